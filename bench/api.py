"""API benchmark: a page of 100 awards against a minimal view; bulk/ against the upload path."""

from __future__ import annotations

import json
import time

from django.http import JsonResponse
from django.urls import include, path

from students.models import Award


def minimal_awards(request):
    """The floor: the same 100 rows with .values(), no framework, no serializer."""
    rows = list(
        Award.objects.filter(university_id=request.GET["university"])
        .order_by("id")
        .values(
            "id",
            "student_id",
            "student__student_number",
            "program__code",
            "start_date",
            "end_date",
            "annual_living_cost",
            "annual_research_cost",
            "status",
            "is_reserved",
            "version",
            "updated_at",
        )[:100]
    )
    return JsonResponse({"results": rows})


urlpatterns = [
    path("bench/minimal-awards/", minimal_awards),
    path("", include("phdsupport.urls")),
]


def requests_per_second(call, seconds: float = 5.0) -> float:
    call()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        call()
        count += 1
    return count / (time.perf_counter() - start)


def bench(university, secret: str, rows: int) -> None:
    from django.test import Client, override_settings

    from bench.uploads import award_file, ours

    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    with override_settings(ROOT_URLCONF="bench.api"):

        def api_page():
            response = client.get("/api/v1/awards/", {"page_size": 100})
            assert response.status_code == 200
            assert len(response.json()["results"]) == 100

        def minimal_page():
            response = client.get("/bench/minimal-awards/", {"university": university.pk})
            assert len(response.json()["results"]) == 100

        # Rounds alternate and the best of each counts: on a shared machine a slow spell then
        # hits both sides alike instead of whichever happened to run during it.
        api_rounds, minimal_rounds = [], []
        for _ in range(5):
            api_rounds.append(requests_per_second(api_page, 2))
            minimal_rounds.append(requests_per_second(minimal_page, 2))
        api_rps, minimal_rps = max(api_rounds), max(minimal_rounds)
    print(f"awards/ page of 100:   {api_rps:,.1f} req/s (best of 5 alternating rounds)")
    print(f"minimal .values() view: {minimal_rps:,.1f} req/s (best of 5)")
    print(f"ratio API / minimal:    {api_rps / minimal_rps:.2f}   (goal ≥ 0.5)")

    # bulk/ with `rows` items (half students, half their awards) against the upload path writing the
    # same records (one file row = a student and an award); compared in records written per second.
    # Rounds alternate and the best of each counts, so neither side gains from going second.
    from students.models import University

    people = rows // 2
    bulk_times, upload_times = [], []
    for round_ in range(3):
        other = University.objects.create(name_ja=f"ベンチ大学U{round_}", founder="national", is_synthetic=True)
        upload_times.append(ours(other, award_file(people, prefix=f"U{round_}-"), None)[0])
        body = json.dumps(_bulk_body(people, prefix=f"K{round_}-"))
        start = time.perf_counter()
        response = client.post("/api/v1/bulk/", body, content_type="application/json")
        bulk_times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.content[:500]
    bulk_time, upload_time = min(bulk_times), min(upload_times)
    records = 2 * people
    print(f"bulk/ {rows:,} items:        {bulk_time:.1f}s = {records / bulk_time:,.0f} records/s (best of 3)")
    print(f"upload path, same records: {upload_time:.1f}s = {records / upload_time:,.0f} records/s (best of 3)")
    print(f"ratio bulk / upload: {upload_time / bulk_time:.2f}   (goal ≥ 1, no slower)")


def _bulk_body(people: int, prefix: str) -> dict:
    students, awards = [], []
    for i in range(people):
        number = f"{prefix}{i:06d}"
        students.append(
            {"student_number": number, "family_name": "山田", "field": "engineering", "entry_date": "2025-04-01"}
        )
        awards.append(
            {
                "student_number": number,
                "program": "SPRING",
                "start_date": "2025-04-01",
                "end_date": "2028-03-31",
                "annual_living_cost": 1_800_000,
            }
        )
    return {"students": students, "awards": awards}
