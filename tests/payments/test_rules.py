"""Table tests of payments.rules with the figures of DOMAIN.md (no database)."""

from datetime import date

import pytest

from payments import rules as pay
from payments.rules import Cause, DifferenceKind, PaidMonth
from programs.rules import AwardTerms, RateVersion, Suspension, month_index


def award(
    program="JSPS_DC1",
    living=2_400_000,
    start=date(2025, 4, 1),
    end=date(2028, 3, 31),
    award_id=1,
    suspensions=(),
    changes=(),
    exclusive=True,
):
    return AwardTerms(
        award_id=award_id,
        program=program,
        audience="doctoral",
        annual_living_cost=living,
        start=start,
        end=end,
        suspensions=tuple(suspensions),
        is_exclusive=exclusive,
        amount_changes=tuple(changes),
    )


def m(year, month):
    return month_index(date(year, month, 1))


SPRING_RAISED = award(
    program="SPRING",
    living=1_800_000,  # JAIST ¥150,000 a month standard …
    changes=[RateVersion(date(2025, 10, 1), 2_400_000)],  # … ¥200,000 after the annual evaluation
)
DC_ALLOWANCE = award(changes=[RateVersion(date(2026, 4, 15), 2_760_000)])  # + ¥360,000 special allowance
SUSPENDED = award(suspensions=[Suspension(date(2025, 6, 10), date(2025, 8, 31))])
OPEN_SUSPENSION = award(end=date(2025, 12, 31), suspensions=[Suspension(date(2025, 11, 1), None)])
PARTIAL = award(start=date(2025, 4, 15), end=date(2025, 9, 10))
ENTERED = award(program="SPRING", living=2_000_000)  # an amount the university entered: ¥166,666.67 a month


@pytest.mark.parametrize(
    ("terms", "month", "due"),
    [
        (award(), m(2025, 4), 200_000),  # DC: ¥200,000 a month
        (award(living=4_344_000, program="JSPS_PD"), m(2025, 4), 362_000),  # PD
        (award(), m(2025, 3), 0),  # before the start
        (award(), m(2028, 4), 0),  # after the end
        (SPRING_RAISED, m(2025, 9), 150_000),
        (SPRING_RAISED, m(2025, 10), 200_000),  # the amount in force on the month's first day
        (DC_ALLOWANCE, m(2026, 4), 200_000),  # a change on 15 April: April at the old amount
        (DC_ALLOWANCE, m(2026, 5), 230_000),  # (2,400,000 + 360,000) / 12
        (SUSPENDED, m(2025, 6), 200_000),  # suspended from 10 June: June is only partly suspended
        (SUSPENDED, m(2025, 7), 0),  # wholly suspended
        (SUSPENDED, m(2025, 8), 0),
        (SUSPENDED, m(2025, 9), 200_000),
        (OPEN_SUSPENSION, m(2025, 12), 0),  # an open suspension runs on to the end
        (PARTIAL, m(2025, 4), 200_000),  # a month partly inside counts whole
        (PARTIAL, m(2025, 9), 200_000),
        (PARTIAL, m(2025, 10), 0),
        (ENTERED, m(2025, 4), 166_666),  # one month: truncated once
    ],
)
def test_due_in_a_month(terms, month, due):
    assert pay.monthly_due(terms, month) == due


@pytest.mark.parametrize(
    ("terms", "months", "due"),
    [
        (award(), range(m(2025, 4), m(2026, 4)), 2_400_000),
        (SUSPENDED, range(m(2025, 4), m(2026, 4)), 2_000_000),  # July and August are not due
        (SPRING_RAISED, range(m(2025, 4), m(2026, 4)), 6 * 150_000 + 6 * 200_000),
        (DC_ALLOWANCE, range(m(2026, 4), m(2027, 4)), 200_000 + 11 * 230_000),
        # Truncated once at the end: three months of ¥166,666.67 are ¥500,000, not 3 × ¥166,666.
        (ENTERED, range(m(2025, 4), m(2025, 7)), 500_000),
        (ENTERED, range(m(2025, 4), m(2025, 8)), 666_666),
        (award(end=date(2025, 9, 30)), range(m(2025, 4), m(2026, 4)), 1_200_000),  # ended in September
    ],
)
def test_due_over_a_period_is_truncated_once(terms, months, due):
    assert pay.due_for_period(terms, months) == due


def paid(award_id, year, month, living, pay_date=None, research=0):
    return {(award_id, m(year, month)): PaidMonth(living, research, pay_date or date(year, month, 20))}


@pytest.mark.parametrize(
    ("terms", "month", "amount", "twice", "kind"),
    [
        (award(), m(2025, 4), 200_000, False, None),
        (award(), m(2025, 4), 0, False, DifferenceKind.UNDERPAID),
        (award(), m(2025, 4), 150_000, False, DifferenceKind.UNDERPAID),
        (award(), m(2025, 4), 250_000, False, DifferenceKind.OVERPAID),
        (award(), m(2025, 3), 200_000, False, DifferenceKind.OVERPAID),  # before the start
        (SUSPENDED, m(2025, 7), 200_000, False, DifferenceKind.PAID_WHILE_SUSPENDED),
        (SUSPENDED, m(2025, 7), 0, False, None),
        (award(end=date(2025, 9, 30)), m(2025, 10), 200_000, False, DifferenceKind.PAID_AFTER_END),
        (award(end=date(2025, 9, 30)), m(2025, 10), 200_000, True, DifferenceKind.PAID_TWICE),
        (SPRING_RAISED, m(2025, 10), 150_000, False, DifferenceKind.UNDERPAID),  # the raise not paid
    ],
)
def test_each_class_of_difference(terms, month, amount, twice, kind):
    assert pay.classify(terms, month, amount, paid_twice=twice) == kind


def test_paid_twice_by_two_exclusive_programs_in_one_month():
    # given a DC1 award ended in September and SPRING from October: both paid October
    dc = award(award_id=1, end=date(2025, 9, 30))
    spring = award(award_id=2, program="SPRING", living=1_800_000, start=date(2025, 10, 1))
    ra = award(award_id=3, program="EMERGENT_RA", exclusive=False)
    ledger = {**paid(1, 2025, 10, 200_000), **paid(2, 2025, 10, 150_000), **paid(3, 2025, 10, 200_000)}
    # when
    lines = pay.reconcile([dc, spring, ra], ledger, months=[m(2025, 10)])
    # then both exclusive awards are flagged; the RA (pay for work) is not
    kinds = {line.award_id: line.kind for line in lines}
    assert kinds == {1: DifferenceKind.PAID_TWICE, 2: DifferenceKind.PAID_TWICE, 3: None}
    assert [(line.award_id, line.difference) for line in pay.open_differences(lines)] == [(1, 200_000), (2, 0)]


def test_open_differences_oldest_first():
    terms = award(end=date(2025, 6, 30))
    ledger = {**paid(1, 2025, 4, 200_000), **paid(1, 2025, 6, 100_000), **paid(1, 2025, 8, 200_000)}
    lines = pay.open_differences(pay.reconcile([terms], ledger))
    assert [(line.month, line.kind, line.difference) for line in lines] == [
        (m(2025, 5), DifferenceKind.UNDERPAID, -200_000),
        (m(2025, 6), DifferenceKind.UNDERPAID, -100_000),
        (m(2025, 8), DifferenceKind.PAID_AFTER_END, 200_000),
    ]


# --- Recovery claims ----------------------------------------------------------------------

RECORDED = date(2025, 9, 5)


def cause(terms, kind, start, end=None, previous_end=None, event_id=10, recorded_on=RECORDED):
    return Cause(
        event_id,
        terms.award_id,
        kind,
        recorded_on,
        pay.cause_months(terms, kind=kind, start=start, end=end, previous_end=previous_end),
    )


def year_paid(award_id, amount, months=range(4, 10)):
    ledger = {}
    for month in months:
        ledger.update(paid(award_id, 2025, month, amount))
    return ledger


def test_a_suspension_recorded_after_payment_claims_the_suspended_months():
    # given DC1 paid April–September 2025, then a suspension from 10 June to 31 August recorded on 5 September
    terms = award(suspensions=[Suspension(date(2025, 6, 10), date(2025, 8, 31))])
    suspension = cause(terms, "suspension", date(2025, 6, 10), date(2025, 8, 31))
    # when
    claims = pay.recovery_claims(terms, [suspension], year_paid(1, 200_000))
    # then July and August (wholly suspended, paid before) are claimed; June was due
    assert [(c.months, c.amount) for c in claims] == [((m(2025, 7), m(2025, 8)), 400_000)]


def test_a_payment_after_the_change_was_recorded_is_a_difference_not_a_claim():
    terms = award(suspensions=[Suspension(date(2025, 6, 10), date(2025, 8, 31))])
    suspension = cause(terms, "suspension", date(2025, 6, 10), date(2025, 8, 31), recorded_on=date(2025, 7, 25))
    claims = pay.recovery_claims(terms, [suspension], year_paid(1, 200_000))
    assert [(c.months, c.amount) for c in claims] == [((m(2025, 7),), 200_000)]  # August paid on 20 August


def test_an_early_termination_claims_the_months_cut_off():
    terms = award(end=date(2025, 6, 15))  # terminated on 15 June; it ran to March 2028
    termination = cause(terms, "termination", date(2025, 6, 15), previous_end=date(2028, 3, 31))
    claims = pay.recovery_claims(terms, [termination], year_paid(1, 200_000))
    assert [(c.kind, c.months, c.amount) for c in claims] == [
        ("termination", (m(2025, 7), m(2025, 8)), 400_000)  # June is partly inside: due in full
    ]


def test_an_amount_lowered_claims_the_difference_truncated_once():
    # given ¥2,400,000 a year paid monthly, lowered to an entered ¥2,000,000 from July
    terms = award(changes=[RateVersion(date(2025, 7, 1), 2_000_000)])
    change = cause(terms, "amount_change", date(2025, 7, 1))
    claims = pay.recovery_claims(terms, [change], year_paid(1, 200_000))
    # then July and August: 2 × (200,000 − 166,666.67) = 66,666.67 → ¥66,666 (not 2 × 33,333)
    assert [(c.months, c.amount) for c in claims] == [((m(2025, 7), m(2025, 8)), 66_666)]


def test_a_month_lowered_by_two_changes_is_claimed_once():
    terms = award(end=date(2025, 6, 30), suspensions=[Suspension(date(2025, 6, 1), None)])
    suspension = cause(terms, "suspension", date(2025, 6, 1), None, previous_end=date(2028, 3, 31), event_id=10)
    termination = cause(
        terms,
        "termination",
        date(2025, 6, 30),
        previous_end=date(2028, 3, 31),
        event_id=11,
        recorded_on=date(2025, 9, 6),
    )
    claims = pay.recovery_claims(terms, [termination, suspension], year_paid(1, 200_000))
    assert [(c.event_id, c.months) for c in claims] == [(10, (m(2025, 6), m(2025, 7), m(2025, 8)))]


def test_a_withdrawn_change_leaves_no_claim():
    # the suspension's event is gone: the award pays every month and nothing is overpaid
    assert pay.recovery_claims(award(), [], year_paid(1, 200_000)) == []


def test_months_not_yet_owed_appear_only_when_paid_in_advance():
    ledger = {**paid(1, 2025, 4, 200_000), **paid(1, 2025, 7, 200_000)}
    lines = pay.reconcile([award()], ledger, until=m(2025, 5))
    assert [(line.month, line.kind) for line in lines] == [
        (m(2025, 4), None),
        (m(2025, 5), DifferenceKind.UNDERPAID),
        (m(2025, 7), None),
    ]
