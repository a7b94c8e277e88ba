"""Issue #15: paid − due summed over a person equals the sum of the person's open differences.

The due below is written from DOMAIN.md ("Payments and recovery", "Amounts in force") with
dates and fractions only; it shares no code with programs.rules or payments.rules. Random
awards (two programs that may overlap), suspensions, dated amount changes and ledgers with
corrections go through the services; the differences come from the reconciliation selector.
"""

import calendar
from datetime import date, timedelta
from fractions import Fraction

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payments import selectors
from payments import services as payments
from payments.models import PaymentEntry
from programs.models import Program
from students import services
from students.models import Award, AwardEvent
from tests.factories import StudentFactory, UniversityFactory, user_with_role

pytestmark = pytest.mark.django_db

MONTHS = [(y, m) for y in (2025, 2026) for m in range(1, 13)]
AMOUNTS = [0, 150_000, 166_667, 200_000, 230_000, 250_000]


def month_days(year, month):
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def brute_due(award: Award, events: list[AwardEvent], year: int, month: int) -> int:
    """DOMAIN.md: the monthly amount (annual amount in force on the month's first day / 12) if
    the award is active that month (touching its dates, not wholly within a suspension), else 0;
    one month's due is truncated below ¥1."""
    first, last = month_days(year, month)
    if last < award.start_date or first > award.end_date:
        return 0
    for event in events:
        if event.kind == "suspension":
            end = event.end_date or date.max
            if event.start_date <= first and last <= end:
                return 0
    annual = award.annual_living_cost
    for event in sorted((e for e in events if e.kind == "amount_change"), key=lambda e: e.start_date):
        if event.start_date <= first:
            annual = event.annual_living_cost
    return int(Fraction(annual, 12))  # floor of a non-negative fraction


award_strategy = st.fixed_dictionaries(
    {
        "start": st.sampled_from([date(2025, 1, 1), date(2025, 4, 15), date(2025, 6, 1)]),
        "months": st.integers(min_value=3, max_value=18),
        "annual": st.sampled_from([1_800_000, 2_000_000, 2_400_000]),
        "suspend": st.none() | st.tuples(st.integers(0, 6), st.integers(0, 3)),
        "change": st.none() | st.tuples(st.integers(1, 8), st.sampled_from([2_000_000, 2_760_000, 1_500_000])),
    }
)
ledger_strategy = st.lists(st.tuples(st.integers(0, 1), st.sampled_from(MONTHS), st.sampled_from(AMOUNTS)), max_size=20)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(awards=st.lists(award_strategy, min_size=1, max_size=2), ledger=ledger_strategy)
def test_paid_minus_due_over_a_person_is_the_sum_of_open_differences(reference, awards, ledger):
    with transaction.atomic():
        staff = user_with_role(f"p{id(awards)}", "university_staff", university=UniversityFactory())
        student = StudentFactory(university=staff.membership.university, entry_date=date(2024, 4, 1))
        made = []
        for spec, code in zip(awards, ["JSPS_DC1", "EMERGENT_RA"], strict=False):
            start = spec["start"]
            end = (start.replace(day=1) + timedelta(days=31 * spec["months"])).replace(day=1) - timedelta(days=1)
            award = services.award_create(
                student=student,
                program=Program.objects.get(code=code),
                start_date=start,
                end_date=end,
                annual_living_cost=spec["annual"],
                acting_user=staff,
            )
            if spec["change"]:
                offset, amount = spec["change"]
                day = (start.replace(day=1) + timedelta(days=31 * offset)).replace(day=1)
                if day <= end:
                    services.award_event_create(
                        award=award, kind="amount_change", start_date=day, annual_living_cost=amount, acting_user=staff
                    )
            if spec["suspend"]:
                offset, length = spec["suspend"]
                # A suspension may not start before its award (DOMAIN.md, term limits).
                begin = max(start, (start.replace(day=1) + timedelta(days=31 * offset)).replace(day=1))
                if begin <= end:
                    services.award_event_create(
                        award=award,
                        kind="suspension",
                        start_date=begin,
                        end_date=None if length == 0 else begin + timedelta(days=30 * length),
                        acting_user=staff,
                    )
            made.append(award)
        for which, (year, month), amount in ledger:
            award = made[which % len(made)]
            payments.payment_record(
                award=award,
                month=date(year, month, 1),
                living_cost=amount,
                research_cost=0,
                pay_date=date(year, month, 20),
                acting_user=staff,
                reason="訂正",
            )
        # when
        lines = selectors.student_reconciliation(student, today=date(2030, 1, 1))
        # then: the brute force over every month of every award plus every month paid
        paid = {
            (e.award_id, e.month): e.living_cost
            for e in PaymentEntry.objects.filter(award__student=student, is_current=True)
        }
        total = 0
        for award in made:
            award.refresh_from_db()
            events = list(award.events.all())
            months = {(d.year, d.month) for d in _month_starts(award.start_date, award.end_date)}
            months |= {(m.year, m.month) for (a, m) in paid if a == award.pk}
            for year, month in months:
                total += paid.get((award.pk, date(year, month, 1)), 0) - brute_due(award, events, year, month)
        assert total == sum(line.difference for line in lines if line.kind is not None)
        transaction.set_rollback(True)


def _month_starts(start: date, end: date):
    day = start.replace(day=1)
    while day <= end:
        yield day
        day = (day + timedelta(days=32)).replace(day=1)
