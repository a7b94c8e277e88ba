"""Query counts of the work and dashboard pages, pinned: a page costs the same queries for one
record as for many (DESIGN.md: Lists), and the long lists are paginated with their filters kept."""

from datetime import UTC, date, datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careers.models import CareerOutcome
from students.models import Award, AwardEvent
from tests.factories import AwardFactory, StudentFactory, user_with_role

pytestmark = pytest.mark.django_db
LATE = datetime(2025, 8, 1, 3, 0, tzinfo=UTC)  # more than a month after an April start


def queries(client, url: str, **params) -> int:
    """The queries of the page computed afresh (as right after a write: nothing cached), in a
    session that has already made a request (the first request of a session also asks whether
    the person has a second factor and saves the answer in the session: accounts.middleware)."""
    client.get(url, params)
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def graduates(university, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        student = StudentFactory(
            university=university, student_number=f"G{i:03d}", status="completed", completion_date=date(2020, 3, 31)
        )
        award = AwardFactory(student=student, start_date=date(2019, 4, 1), end_date=date(2020, 3, 31))
        Award.objects.filter(pk=award.pk).update(created_at=LATE.replace(year=2019))
        event = AwardEvent.objects.create(award=award, kind="suspension", start_date=date(2019, 10, 1))
        AwardEvent.objects.filter(pk=event.pk).update(created_at=LATE.replace(year=2020))
        CareerOutcome.objects.create(
            student=student, survey_point="completion", destination="postdoc", sector="academia"
        )


@pytest.fixture
def staff_client(client, reference, university_a):
    client.force_login(user_with_role("pinned_staff", "university_staff", university=university_a))
    return client


@pytest.fixture
def ministry_client_b(reference):
    """A ministry viewer in a client of their own, beside staff_client."""
    from django.test import Client

    client = Client()
    client.force_login(user_with_role("pinned_ministry_b", "ministry_viewer"))
    return client


@pytest.fixture
def ministry_client(client, reference):
    client.force_login(user_with_role("pinned_ministry", "ministry_viewer"))
    return client


# The pinned counts: session and user, the role, then the page's own reads. Since the merge of
# #13 item 6 and #17: the ministry's pages read the verified second factor's device (django-otp,
# one query), the student list writes its access-log row (one INSERT), and the pages that name
# universities and programs read both their names (the page's language). Who must report is read
# for all the judged years in one query of the derived award counts, programs once; the ministry
# home and the ranking count reports past their deadline without names (#14). The signed-in
# person is read with their membership and university in one query (accounts.backends, #14):
# two fewer for staff (membership, university), one fewer for the ministry (membership).
STAFF_PAGES = {"/students/careers/": 5, "/students/quality/": 22, "/": 11, "/students/": 6}
# The university page for its own staff, figures computed afresh: 26 before #14's per-request cuts
# (the person in one query: 24; their own university from their sign-in: 23; the counted students
# per year and program, the five breakdowns and the targets each read once: 12).
PINNED_UNIVERSITY_AFRESH = 12
# The national page afresh (#14): session, person, second factor, facts version, then the figures:
# the targets, programs, the last fiscal year, the counted students per year and program (one
# query at the floor in force; a what-if floor adds the floor bands of its years), gross awards,
# the five breakdowns in one, overlaps (two), the university table (two: the kept counts per
# university with their awards, the names; a what-if floor adds its counted fact rows), persons
# counted at several universities. 31 and 34 before (the trend, the programs per year and the
# targets apart); 16 before the kept counts (the university table's counts and awards apart).
PINNED_NATIONAL_AFRESH = {None: 15, 2_000_000: 17}
NATIONAL_PAGES = {"/dashboards/outcomes/": 10, "/dashboards/reports/": 15, "/": 6}


@pytest.mark.parametrize(("url", "pinned"), STAFF_PAGES.items())
def test_staff_pages_cost_the_same_queries_for_one_record_as_for_many(staff_client, university_a, url, pinned):
    graduates(university_a, 1)
    one = queries(staff_client, url)
    graduates(university_a, 70, start=1)
    assert (one, queries(staff_client, url)) == (pinned, pinned)


@pytest.mark.parametrize(("url", "pinned"), NATIONAL_PAGES.items())
def test_national_pages_cost_the_same_queries_for_one_record_as_for_many(
    ministry_client, university_a, university_b, url, pinned
):
    graduates(university_a, 1)
    one = queries(ministry_client, url)
    graduates(university_a, 40, start=1)
    graduates(university_b, 40, start=100)
    assert (one, queries(ministry_client, url)) == (pinned, pinned)


def warm_queries(client, url: str) -> list[str]:
    """The queries of a page whose figures are cached (its second request)."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return [q["sql"] for q in captured.captured_queries]


def test_the_university_page_costs_few_queries_warm_and_a_fixed_number_afresh(
    staff_client, ministry_client_b, university_a
):
    """Warm: the session, the person (with their role and university, one query), the facts'
    version; staff reach their own university with their sign-in, others read it (and django-otp
    reads the ministry's passed second factor)."""
    graduates(university_a, 3)
    url = f"/dashboards/universities/{university_a.pk}/"
    staff_warm = warm_queries(staff_client, url)
    assert len(staff_warm) == 3
    assert not [sql for sql in staff_warm if 'FROM "students_university"' in sql]
    assert len(warm_queries(ministry_client_b, url)) == 5
    assert queries(staff_client, url) == PINNED_UNIVERSITY_AFRESH


@pytest.mark.parametrize(("floor", "pinned"), PINNED_NATIONAL_AFRESH.items())
def test_the_national_page_afresh_costs_a_fixed_number_of_queries(ministry_client, population, floor, pinned):
    from students.demo import demo_generate
    from students.facts import facts_rebuild

    params = {"fiscal_year": 2025, **({"floor": floor} if floor else {})}
    one = queries(ministry_client, "/dashboards/", **params)
    demo_generate(scale=0.003, first_fy=2021, last_fy=2025, seed=5)
    facts_rebuild()
    assert (one, queries(ministry_client, "/dashboards/", **params)) == (pinned, pinned)


def test_careers_due_is_paginated_and_keeps_its_filters(staff_client, university_a):
    graduates(university_a, 60)  # each: year 1 and year 5 due and overdue (completion recorded)
    response = staff_client.get("/students/careers/", {"point": "year_1", "overdue": "1"})
    html = response.content.decode()
    assert len(response.context["page"].object_list) == 50
    assert {d.survey_point for d in response.context["page"]} == {"year_1"}
    assert response.context["page"].paginator.count == 60
    assert "point=year_1&amp;overdue=1&amp;page=2" in html
    second = staff_client.get("/students/careers/", {"point": "year_1", "overdue": "1", "page": 2})
    assert [d.student.student_number for d in second.context["page"]] == [f"G{i:03d}" for i in range(50, 60)]
    assert second.context["due_count"] == 120  # the summary counts every due record, filters aside


def test_quality_lists_are_paginated_each_keeping_the_others_page(staff_client, university_a):
    graduates(university_a, 60)
    response = staff_client.get("/students/quality/", {"changes_page": 2})
    assert response.context["counts"]["late_awards"] == 60
    assert len(response.context["late_awards"].object_list) == 50
    assert [e.student_number for e in response.context["late_changes"]] == [f"G{i:03d}" for i in range(50, 60)]
    html = response.content.decode()
    assert "changes_page=2&amp;awards_page=2#late-awards" in html
