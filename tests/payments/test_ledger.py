"""The ledger: append-only, idempotent per award and month, locked by an accepted report."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from payments import selectors
from payments import services as payments
from payments.models import PaymentEntry
from payments.rules import DifferenceKind
from programs.rules import month_index
from students import services

pytestmark = pytest.mark.django_db


def record(award, user, month, living=200_000, research=0, pay_date=None, reason=""):
    return payments.payment_record(
        award=award,
        month=month,
        living_cost=living,
        research_cost=research,
        pay_date=pay_date or month.replace(day=20),
        acting_user=user,
        reason=reason,
    )


def test_a_month_paid_is_recorded_with_who_and_when(dc_award, staff_a):
    entry = record(dc_award, staff_a, date(2025, 4, 15))
    assert (entry.month, entry.living_cost, entry.created_by, entry.is_current) == (
        date(2025, 4, 1),
        200_000,
        staff_a,
        True,
    )
    assert entry.university_id == dc_award.university_id


def test_the_same_values_again_write_nothing(dc_award, staff_a):
    record(dc_award, staff_a, date(2025, 4, 1))
    assert record(dc_award, staff_a, date(2025, 4, 1)) is None
    assert PaymentEntry.objects.count() == 1


def test_a_correction_is_a_new_entry_saying_why(dc_award, staff_a):
    # given April recorded as ¥250,000
    first = record(dc_award, staff_a, date(2025, 4, 1), living=250_000)
    # when corrected without a reason, then refused
    with pytest.raises(ValidationError) as refused:
        record(dc_award, staff_a, date(2025, 4, 1), living=200_000)
    assert refused.value.error_dict["reason"][0].code == "reason_required"
    # when corrected with one
    second = record(dc_award, staff_a, date(2025, 4, 1), living=200_000, reason="給与システムの入力誤り")
    # then both entries are kept and the latest is the month's value
    first.refresh_from_db()
    assert (first.living_cost, first.is_current) == (250_000, False)
    assert (second.living_cost, second.is_current, second.reason) == (200_000, True, "給与システムの入力誤り")
    assert selectors.paid_ledger([dc_award.pk])[(dc_award.pk, month_index(date(2025, 4, 1)))].living_cost == 200_000


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"living": -1}, "living_cost", "amount_range"),
        ({"living": 10_000_001}, "living_cost", "amount_range"),
        ({"research": True}, "research_cost", "amount_range"),
        ({"month": date(2032, 4, 1)}, "month", "month_outside"),
        ({"pay_date": date(1900, 1, 1)}, "pay_date", None),
    ],
)
def test_bad_input_is_refused_field_by_field(dc_award, staff_a, changes, field, code):
    with pytest.raises(ValidationError) as refused:
        record(
            dc_award,
            staff_a,
            changes.get("month", date(2025, 4, 1)),
            living=changes.get("living", 200_000),
            research=changes.get("research", 0),
            pay_date=changes.get("pay_date"),
        )
    assert field in refused.value.error_dict
    if code:
        assert refused.value.error_dict[field][0].code == code
    assert PaymentEntry.objects.count() == 0


def test_an_accepted_report_locks_that_years_payments(dc_award, staff_a):
    record(dc_award, staff_a, date(2025, 4, 1))
    services.year_lock(university_id=dc_award.university_id, program_id=dc_award.program_id, fiscal_year=2025)
    # the same values still write nothing (idempotent), a change is refused
    assert record(dc_award, staff_a, date(2025, 4, 1)) is None
    with pytest.raises(ValidationError) as refused:
        record(dc_award, staff_a, date(2025, 5, 1))
    assert refused.value.error_dict["__all__"][0].code == "report_locked"
    # FY2026 is open
    assert record(dc_award, staff_a, date(2026, 4, 1)) is not None


def test_many_rows_are_all_or_nothing(dc_award, staff_a):
    rows = [
        payments.PaymentInput(dc_award.pk, date(2025, 4, 1), 200_000, 0, date(2025, 4, 20)),
        payments.PaymentInput(dc_award.pk, date(2025, 5, 1), -5, 0, date(2025, 5, 20)),
        payments.PaymentInput(dc_award.pk, date(2025, 4, 1), 200_000, 0, date(2025, 4, 20)),
    ]
    with pytest.raises(payments.RowErrors) as refused:
        payments.payments_record(university_id=dc_award.university_id, rows=rows, acting_user=staff_a)
    assert sorted(refused.value.by_row) == [1, 2]
    assert PaymentEntry.objects.count() == 0


def test_another_universitys_award_is_not_found(dc_award, staff_b, university_b):
    rows = [payments.PaymentInput(dc_award.pk, date(2025, 4, 1), 200_000, 0, date(2025, 4, 20))]
    with pytest.raises(payments.RowErrors) as refused:
        payments.payments_record(university_id=university_b.pk, rows=rows, acting_user=staff_b)
    assert refused.value.by_row[0].error_dict["award"][0].code == "no_award"


def test_the_student_reconciliation_shows_due_and_paid(dc_award, staff_a):
    # given April paid in full, May short, and a suspension for June–July recorded, June paid
    record(dc_award, staff_a, date(2025, 4, 1))
    record(dc_award, staff_a, date(2025, 5, 1), living=150_000)
    record(dc_award, staff_a, date(2025, 6, 1))
    services.award_event_create(
        award=dc_award, kind="suspension", start_date=date(2025, 6, 1), end_date=date(2025, 7, 31), acting_user=staff_a
    )
    # when
    lines = {line.month: line for line in selectors.student_reconciliation(dc_award.student, today=date(2028, 5, 1))}
    # then
    april, may, june = (lines[month_index(date(2025, m, 1))] for m in (4, 5, 6))
    assert (april.due, april.paid, april.kind) == (200_000, 200_000, None)
    assert (may.due, may.paid, may.difference, may.kind) == (200_000, 150_000, -50_000, DifferenceKind.UNDERPAID)
    assert (june.due, june.paid, june.kind) == (0, 200_000, DifferenceKind.PAID_WHILE_SUSPENDED)
    assert len(lines) == 36  # every month of the award, paid or not
    # months not yet owed (from the current month on) are left out unless paid in advance
    assert len(selectors.student_reconciliation(dc_award.student, today=date(2025, 7, 10))) == 3
    opened = selectors.university_open_differences(dc_award.university_id)
    assert [(line.month, line.kind) for line in opened][:3] == [
        (month_index(date(2025, 5, 1)), DifferenceKind.UNDERPAID),
        (month_index(date(2025, 6, 1)), DifferenceKind.PAID_WHILE_SUSPENDED),
        (month_index(date(2025, 8, 1)), DifferenceKind.UNDERPAID),
    ]
