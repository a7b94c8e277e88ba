"""Annual reports: every role against every transition, locking and reopening, figures."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from programs.models import Program
from reports import selectors as report_selectors
from reports import services as report_services
from reports.models import Report, ReportEvent
from students import imports, services
from students.models import Award
from tests.factories import StudentFactory, user_with_role
from tests.students.test_imports import GOOD_ROWS, csv_bytes

pytestmark = pytest.mark.django_db
FY = 2025


@pytest.fixture
def actors(reference, university_a, university_b):
    spring = Program.objects.get(code="SPRING")
    certifier = user_with_role("certifier", "university_staff", university=university_a)
    certifier.membership.can_certify = True
    certifier.membership.save()
    return {
        "certifier": certifier,
        "staff": user_with_role("plain_staff", "university_staff", university=university_a),
        "other_certifier": _certifier_of(university_b),
        "officer": user_with_role("spring_officer", "program_officer", programs=[spring]),
        "other_officer": user_with_role(
            "dc_officer", "program_officer", programs=Program.objects.filter(code="JSPS_DC1")
        ),
        "ministry": user_with_role("viewer", "ministry_viewer"),
    }


def _certifier_of(university):
    user = user_with_role("certifier_b", "university_staff", university=university)
    user.membership.can_certify = True
    user.membership.save()
    return user


@pytest.fixture
def award(university_a, actors):
    student = StudentFactory(university=university_a, student_number="R1")
    return services.award_create(
        student=student,
        program=Program.objects.get(code="SPRING"),
        start_date=date(2025, 4, 1),
        end_date=date(2028, 3, 31),
        acting_user=actors["staff"],
    )


@pytest.fixture
def report(university_a, award, actors):
    return report_services.report_prepare(
        university=university_a, program=award.program, fiscal_year=FY, acting_user=actors["staff"]
    )


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("certifier", True), ("staff", False), ("other_certifier", False), ("officer", False), ("ministry", False)],
)
def test_only_the_universitys_certifier_submits(report, actors, who, allowed):
    if allowed:
        assert report_services.report_submit(report=report, acting_user=actors[who]).state == "submitted"
    else:
        with pytest.raises(PermissionDenied):
            report_services.report_submit(report=report, acting_user=actors[who])
        report.refresh_from_db()
        assert report.state == "draft"


@pytest.mark.parametrize(
    ("who", "allowed"), [("officer", True), ("other_officer", False), ("certifier", False), ("ministry", False)]
)
def test_only_the_programs_officer_accepts_or_returns(report, actors, who, allowed):
    report_services.report_submit(report=report, acting_user=actors["certifier"])
    for action in (
        lambda: report_services.report_return(report=report, acting_user=actors[who], comment="数値を確認"),
    ):
        if allowed:
            assert action().state == "draft"
        else:
            with pytest.raises(PermissionDenied):
                action()
    report.refresh_from_db()
    assert report.state == ("draft" if allowed else "submitted")


def test_submit_return_fix_resubmit_accept_is_recorded(report, actors):
    report_services.report_submit(report=report, acting_user=actors["certifier"])
    returned = report_services.report_return(report=report, acting_user=actors["officer"], comment="研究費の記載漏れ")
    assert returned.officer_comment == "研究費の記載漏れ"
    report_services.report_update_text(
        report=report,
        acting_user=actors["staff"],
        comments="修正しました",
        career_activities="企業インターンシップ 3名",
    )
    report_services.report_submit(report=report, acting_user=actors["certifier"])
    accepted = report_services.report_accept(report=report, acting_user=actors["officer"])
    assert accepted.state == "accepted"
    assert list(ReportEvent.objects.filter(report=report).values_list("action", flat=True)) == [
        "submit",
        "return",
        "submit",
        "accept",
    ]


def test_nothing_else_moves_a_report(report, actors):
    with pytest.raises(ValidationError):
        report_services.report_accept(report=report, acting_user=actors["officer"])  # a draft cannot be accepted
    with pytest.raises(ValidationError):
        report_services.report_reopen(report=report, acting_user=actors["officer"], comment="x")
    report_services.report_submit(report=report, acting_user=actors["certifier"])
    with pytest.raises(ValidationError):
        report_services.report_submit(report=report, acting_user=actors["certifier"])
    with pytest.raises(ValidationError):
        report_services.report_return(report=report, acting_user=actors["officer"], comment="  ")


def test_accepted_report_locks_the_awards_until_reopened(report, award, actors, university_a):
    report_services.report_submit(report=report, acting_user=actors["certifier"])
    report_services.report_accept(report=report, acting_user=actors["officer"])
    # every kind of change to FY2025 SPRING awards at this university is refused
    with pytest.raises(ValidationError, match="受理済み"):
        services.award_update(award=award, annual_living_cost=2_000_000, acting_user=actors["staff"])
    with pytest.raises(ValidationError):
        services.award_event_create(
            award=award, kind="termination", start_date=date(2025, 9, 30), acting_user=actors["staff"]
        )
    with pytest.raises(ValidationError):
        services.award_create(
            student=StudentFactory(university=university_a),
            program=award.program,
            start_date=date(2025, 10, 1),
            end_date=date(2026, 9, 30),
            acting_user=actors["staff"],
        )
    with pytest.raises(ValidationError):
        services.award_delete(award=award, acting_user=actors["staff"])
    upload = imports.import_check(university=university_a, content=csv_bytes(GOOD_ROWS[:1]))
    assert any("受理済み" in e.message for e in upload.result.errors)
    # a later fiscal year and another program stay open
    services.award_create(
        student=StudentFactory(university=university_a),
        program=Program.objects.get(code="JSPS_DC1"),
        start_date=date(2025, 4, 1),
        end_date=date(2028, 3, 31),
        acting_user=actors["staff"],
    )
    # reopening is recorded and unlocks
    report_services.report_reopen(report=report, acting_user=actors["officer"], comment="修正依頼のため")
    services.award_update(award=award, annual_living_cost=2_000_000, acting_user=actors["staff"])
    assert Award.objects.get(pk=award.pk).annual_living_cost == 2_000_000
    assert ReportEvent.objects.filter(report=report, action="reopen", comment="修正依頼のため").exists()


def test_report_figures_from_the_rules(reference, university_a, actors):
    spring = Program.objects.get(code="SPRING")
    staff = actors["staff"]
    # a full year; a suspension of three months; an award ending in the year with the student's completion
    s1 = StudentFactory(university=university_a)
    services.award_create(
        student=s1, program=spring, start_date=date(2024, 4, 1), end_date=date(2027, 3, 31), acting_user=staff
    )
    s2 = StudentFactory(university=university_a)
    a2 = services.award_create(
        student=s2, program=spring, start_date=date(2025, 4, 1), end_date=date(2028, 3, 31), acting_user=staff
    )
    services.award_event_create(
        award=a2, kind="suspension", start_date=date(2025, 7, 1), end_date=date(2025, 9, 30), acting_user=staff
    )
    s3 = StudentFactory(university=university_a, status="completed", completion_date=date(2025, 9, 30))
    services.award_create(
        student=s3, program=spring, start_date=date(2023, 4, 1), end_date=date(2025, 9, 30), acting_user=staff
    )
    figures = report_selectors.report_figures(university=university_a, program=spring, fiscal_year=FY)
    assert figures == {
        "students": 3,
        "awards": 3,
        "awards_started": 1,
        "awards_ended": 1,
        "suspensions": 1,
        "months_paid": 12 + 9 + 6,
        "living_cost_paid": 1_800_000 + 1_350_000 + 900_000,
        "research_cost_paid": 1_100_000 + 825_000 + 550_000,
        "completions": 1,
        "withdrawals": 0,
        # from the payment ledger (nothing recorded yet): due by the same rules
        "ledger_due": 1_800_000 + 1_350_000 + 900_000,
        "ledger_paid": 0,
        "ledger_research_reported": 0,
        "ledger_recovered": 0,
        "ledger_open_claims": 0,
    }
    report = Report.objects.create(university=university_a, program=spring, fiscal_year=FY)
    assert report.state == "draft"
