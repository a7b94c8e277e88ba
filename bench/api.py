"""API benchmark: a page of 100 awards against a minimal view; bulk/ against the upload path."""

from __future__ import annotations

import json
import statistics
import time

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
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


@login_required
def bare_page(request):
    """The pages' floor: a signed-in request for the site's frame (base.html: the menu, the
    language switch, the footer) with no content, through every middleware a page passes."""
    return render(request, "base.html", {})


urlpatterns = [
    path("bench/minimal-awards/", minimal_awards),
    path("bench/bare-page/", bare_page),
    path("", include("phdsupport.urls")),
]


def _rate_over_http(base: str, path: str, headers: dict, clients: int, seconds: float) -> float:
    """Requests per second that `clients` concurrent clients get from the server in `seconds`."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    host = urlsplit(base)
    counts = [0] * clients
    stop = time.perf_counter() + seconds

    def client(index: int) -> None:
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        while time.perf_counter() < stop:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            assert response.status == 200, response.status
            counts[index] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - start)


def _wait_until_up(port: int, path: str, headers: dict, server) -> None:
    import http.client

    for _ in range(120):
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path, headers=headers)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer")


def bench(university, secret: str, rows: int) -> None:
    """awards/ (a page of 100) against the floor: the same rows by .values() in a bare view, both
    served by the same gunicorn (2 workers, production settings) to 8 concurrent clients; median of
    5 alternating rounds, so a slow spell on this shared machine hits both sides alike."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.db import connection
    from django.test import Client

    from bench.uploads import award_file, ours

    root = Path(__file__).resolve().parents[1]
    port = 8799
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/15"),
        "DATABASE_URL": os.environ["DATABASE_URL"],
    }
    connection.close()  # the server's workers open their own
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "phdsupport.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=root,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        api_path, floor_path = "/api/v1/awards/?page_size=100", f"/bench/minimal-awards/?university={university.pk}"
        auth = {"Authorization": f"Bearer {secret}", "Host": "127.0.0.1"}
        _wait_until_up(port, floor_path, auth, server)
        api_rounds, floor_rounds = [], []
        for _ in range(5):
            api_rounds.append(_rate_over_http(base, api_path, auth, 8, 3))
            floor_rounds.append(_rate_over_http(base, floor_path, auth, 8, 3))
    finally:
        server.terminate()
        server.wait(timeout=30)
    api_rps, floor_rps = statistics.median(api_rounds), statistics.median(floor_rounds)
    print(f"awards/ page of 100 over gunicorn, 8 clients:   {api_rps:,.1f} req/s (median of 5 rounds)")
    print(f"bare .values() view, same rows, same server:   {floor_rps:,.1f} req/s (median of 5 rounds)")
    print(f"ratio API / bare view:  {api_rps / floor_rps:.2f}   (goal ≥ 0.5)")

    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    # bulk/ with `rows` items (half students, half their awards) against the upload path writing the
    # same records (one file row = a student and an award); compared in records written per second.
    # The upload is timed from its apply step (checked against the data, then written), as bulk/
    # checks once and writes; rounds alternate and the median of each counts.
    from students.models import University

    people = rows // 2
    bulk_times, upload_times = [], []
    for round_ in range(3):
        other = University.objects.create(name_ja=f"ベンチ大学U{round_}", founder="national", is_synthetic=True)
        upload_times.append(ours(other, award_file(people, prefix=f"U{round_}-"), None)[3])
        body = json.dumps(_bulk_body(people, prefix=f"K{round_}-"))
        start = time.perf_counter()
        response = client.post("/api/v1/bulk/", body, content_type="application/json")
        bulk_times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.content[:500]
    bulk_time, upload_time = statistics.median(bulk_times), statistics.median(upload_times)
    records = 2 * people
    print(f"bulk/ {rows:,} items:        {bulk_time:.1f}s = {records / bulk_time:,.0f} records/s (median of 3)")
    print(
        f"upload's apply step, same records: {upload_time:.1f}s = {records / upload_time:,.0f} records/s (median of 3)"
    )
    print(f"ratio bulk / upload: {upload_time / bulk_time:.2f}   (the same planner behind both; goal ≥ 1, no slower)")


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
