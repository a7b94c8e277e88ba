"""Every URL that takes an object id answers 404 to another university's staff.

Built from the URL configuration: a new route with an id fails here until it is listed
with the object it takes, so nobody has to remember to test it.
"""

from datetime import date

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from careers.models import CareerOutcome
from dashboards.models import Publication
from enrolment import services as enrolment_services
from programs.models import Program
from reports.models import Report
from students import services
from students.api.keys import api_key_create
from students.models import UploadJob
from tests.factories import StudentFactory, user_with_role

pytestmark = pytest.mark.django_db

# Routes whose id is not a university's object, with the reason.
NOT_TENANT_OBJECTS = {
    "dashboards:publication": "national published figures; staff get 403 as for every national page",
    "students:program_defaults": "a program code, public reference data",
    "api:university-detail": "the list of universities is public reference data (names, founder, adoption)",
    "enrolment:snapshot": "a published national indicator; staff get 403 as for every national page",
}


def id_kwargs(pattern) -> list[str]:
    """Names of the id parameters of a route: int converters, or the router's `pk` groups."""
    converters = getattr(pattern.pattern, "converters", {})
    names = [name for name, converter in converters.items() if isinstance(converter, IntConverter)]
    groups = list(pattern.pattern.regex.groupindex)
    if "format" in groups:  # the router's .json twin of a route that is walked already
        return []
    return names or [g for g in groups if g == "pk"]


def walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern) and id_kwargs(pattern):
            yield f"{namespace}{pattern.name}", prefix + str(pattern.pattern), pattern


@pytest.fixture
def objects_of_a(reference, university_a, staff_a):
    student = StudentFactory(university=university_a)
    award = services.award_create(
        student=student,
        program=Program.objects.get(code="SPRING"),
        start_date=date(2025, 4, 1),
        end_date=date(2028, 3, 31),
        acting_user=staff_a,
    )
    suspension = services.award_event_create(
        award=award, kind="suspension", start_date=date(2025, 6, 1), end_date=date(2025, 6, 30), acting_user=staff_a
    )
    key, _secret = api_key_create(name="a", scope="read", university=university_a, acting_user=staff_a)
    job = UploadJob.objects.create(
        university=university_a, created_by=staff_a, filename="a.csv", content=b"", state="checked"
    )
    report = Report.objects.create(university=university_a, program=award.program, fiscal_year=2025)
    graduate = StudentFactory(university=university_a, status="completed", completion_date=date(2024, 3, 31))
    career = CareerOutcome.objects.create(
        student=graduate, survey_point="completion", destination="postdoc", sector="academia"
    )
    report_routes = ["detail", "text", "submit", "return", "accept", "reopen", "print", "xlsx"]
    staff = staff_a
    return {
        **{f"reports:{name}": report.pk for name in report_routes},
        "careers:create": graduate.pk,
        "careers:edit": career.pk,
        "careers:delete": career.pk,
        "api:report-detail": report.pk,
        "api:report-submit": report.pk,
        "api:career-detail": career.pk,
        "students:detail": student.pk,
        "accounts:student_reads": student.pk,
        "accounts:account": staff.pk,
        "accounts:account_active": staff.pk,
        "students:edit": student.pk,
        "students:award_create": student.pk,
        "students:award": award.pk,
        "students:award_edit": award.pk,
        "students:award_event": award.pk,
        "students:upload": job.pk,
        "students:upload_apply": job.pk,
        "students:upload_retry": job.pk,
        "students:api_key_revoke": key.pk,
        "students:award_event_withdraw": suspension.pk,
        "payments:record": student.pk,
        "payments:history": award.pk,
        "payments:settle": award.pk,
        "dashboards:university": university_a.pk,
        **enrolment_objects(university_a, staff_a),
        **api_objects(student, award),
    }


def enrolment_objects(university, staff):
    statistic = enrolment_services.statistic_create(
        university=university,
        acting_user=staff,
        fiscal_year=2024,
        field="engineering",
        admission_capacity=10,
        entrants=10,
        enrolled=30,
        degrees_conferred=5,
        completions_within_term=4,
        standard_term_years=3,
    )
    job = UploadJob.objects.create(
        university=university,
        kind=enrolment_services.UPLOAD_KIND,
        created_by=staff,
        filename="s.csv",
        content=b"",
        state="checked",
    )
    return {
        "enrolment:upload_job": job.pk,
        "enrolment:upload_apply": job.pk,
        "enrolment:upload_retry": job.pk,
        "enrolment:edit": statistic.pk,
        "enrolment:university": university.pk,
        "enrolment:lock": university.pk,
        "api:enrolment-statistic-detail": statistic.pk,
    }


def api_objects(student, award):
    """Filled in by the API's routes (students and awards by id)."""
    from payments.models import PaymentEntry

    payment = PaymentEntry.objects.create(
        award=award,
        university_id=award.university_id,
        month=date(2025, 4, 1),
        living_cost=150_000,
        pay_date=date(2025, 4, 20),
    )
    return {
        "api:student-detail": student.pk,
        "api:award-detail": award.pk,
        "api:award-events": award.pk,
        "api:payment-detail": payment.pk,
    }


def test_every_object_route_is_404_for_another_university(client, objects_of_a, staff_b):
    client.force_login(staff_b)
    seen = []
    for name, route, pattern in walk(get_resolver().url_patterns):
        if name in NOT_TENANT_OBJECTS:
            continue
        assert name in objects_of_a, f"{name} ({route}) takes an id: add it to objects_of_a"
        url = reverse(name, kwargs=dict.fromkeys(id_kwargs(pattern), objects_of_a[name]))
        statuses = {method: getattr(client, method)(url).status_code for method in ("get", "post", "patch", "delete")}
        assert set(statuses.values()) <= {404, 405}, f"{name} {url} answered {statuses}"
        assert 404 in statuses.values(), f"{name} {url} answered {statuses}"
        seen.append(name)
    assert "students:detail" in seen
    assert "dashboards:university" in seen
    assert {"api:student-detail", "api:award-detail", "api:award-events"} <= set(seen)


def test_publication_route_is_refused_to_university_staff(client, staff_b, reference):
    publication = Publication.objects.create(
        fiscal_year=2025, floor=1_800_000, figures={}, published_by=user_with_role("pub", "program_officer")
    )
    client.force_login(staff_b)
    assert client.get(f"/dashboards/publications/{publication.pk}/").status_code == 403
