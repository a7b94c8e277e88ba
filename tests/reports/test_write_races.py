"""Reports and deadlines written twice at once (PostgreSQL only).

Preparing a report and setting a deadline are upserts: a second writer at the same moment gets
what a sequential second call gets (the same report; its own deadline kept), never the unique
constraint's error (a 500); see tests/races.py for how the interleaving is forced.
"""

from datetime import date

import pytest

from programs.models import Program
from reports import services as report_services
from reports.models import Report, ReportDeadline
from tests.factories import StudentFactory, UniversityFactory, user_with_role
from tests.races import Race, award_create, needs_postgresql

pytestmark = [needs_postgresql, pytest.mark.django_db(transaction=True)]


def test_one_report_prepared_twice_at_once_both_get_the_same_draft(reference, monkeypatch):
    # Two staff open the FY2025 SPRING report of their university at the same moment. The first
    # has created the draft and is computing its figures; the second runs meanwhile.
    university = UniversityFactory()
    staff = user_with_role("staff", "university_staff", university=university)
    spring = Program.objects.get(code="SPRING")
    prepared = []

    def prepare():
        prepared.append(
            report_services.report_prepare(university=university, program=spring, fiscal_year=2025, acting_user=staff)
        )

    race = Race()
    race.pause_after(monkeypatch, report_services, "report_figures")

    errors = race.run(prepare, prepare)

    assert errors == []
    report = Report.objects.get()
    assert [r.pk for r in prepared] == [report.pk] * 2
    # As one after the other: created, its figures added; the second found them current.
    assert report.history.count() == 2


def test_a_report_prepared_while_it_is_submitted_is_not_written_over(reference, monkeypatch):
    # The draft's figures are out of date (an award added since); staff open it, which refreshes
    # them, while the certifier submits it. Before: the prepare, having read the draft unlocked,
    # wrote its figures after the submission under the submission's own version, and its history
    # row put the submitted report back to draft.
    university = UniversityFactory()
    staff = user_with_role("staff", "university_staff", university=university)
    certifier = user_with_role("certifier", "university_staff", university=university)
    certifier.membership.can_certify = True
    certifier.membership.save()
    spring = Program.objects.get(code="SPRING")
    award_create(StudentFactory(university=university), "SPRING", staff)

    def prepare():
        return report_services.report_prepare(
            university=university, program=spring, fiscal_year=2025, acting_user=staff
        )

    report = prepare()  # version 2: created, then its figures
    award_create(StudentFactory(university=university), "SPRING", staff)
    race = Race()
    race.pause_after(monkeypatch, report_services, "report_figures")

    errors = race.run(prepare, lambda: report_services.report_submit(report=report, acting_user=certifier))

    assert errors == []
    report.refresh_from_db()
    assert (report.state, report.version) == (Report.State.SUBMITTED, 4)
    assert list(report.history.order_by("history_id").values_list("version", "state"))[-2:] == [
        (3, Report.State.DRAFT),
        (4, Report.State.SUBMITTED),
    ]


def test_one_deadline_set_twice_at_once_the_later_is_kept(reference, monkeypatch):
    # Two officers of SPRING set the FY2031 deadline at the same moment, none set before. The first
    # has found no deadline and waits; the second runs meanwhile. Before: the second wrote its
    # deadline and the first's insert hit the unique constraint (a 500). As one after the other:
    # the second's date is kept, both are in the history.
    spring = Program.objects.get(code="SPRING")
    officer = user_with_role("officer", "program_officer", programs=[spring])

    def set_deadline(day):
        return report_services.deadline_set(program=spring, fiscal_year=2031, due_date=day, acting_user=officer)

    race = Race()
    race.pause_after(monkeypatch, report_services, "_clean_fields")

    errors = race.run(lambda: set_deadline(date(2032, 6, 10)), lambda: set_deadline(date(2032, 6, 30)))

    assert errors == []
    deadlines = ReportDeadline.objects.filter(fiscal_year=2031)
    assert list(deadlines.values_list("program_id", "due_date")) == [(spring.pk, date(2032, 6, 30))]
    assert list(deadlines.get().history.order_by("history_id").values_list("due_date", flat=True)) == [
        date(2032, 6, 10),
        date(2032, 6, 30),
    ]
