"""Pure calculations of payments and recovery (DOMAIN.md: Payments and recovery).

Amounts in force, months, suspensions, terms and truncation come from `programs.rules`; this
module only adds what was paid. Exact amounts are carried in twelfths of a yen-year (an annual
amount is twelve times a monthly amount), and truncated below ¥1 once, at the end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from django.db import models
from django.utils.translation import gettext_lazy as _

from programs import rules
from programs.rules import AwardTerms, Month

PaidKey = tuple[int, Month]  # (award id, month)


class DifferenceKind(models.TextChoices):
    """The classes of a month where paid and due differ, most telling first (a month has one)."""

    PAID_TWICE = "paid_twice", _("重複受給（同じ月に重複不可の2事業から支給）")
    PAID_WHILE_SUSPENDED = "paid_while_suspended", _("休止中の支給")
    PAID_AFTER_END = "paid_after_end", _("終了後の支給")
    OVERPAID = "overpaid", _("過払い")
    UNDERPAID = "underpaid", _("未払い・不足")


# --- Due ----------------------------------------------------------------------------------


def due_twelfths(award: AwardTerms, month: Month) -> int:
    """Twelve times what the award owes in `month`: DOMAIN.md (Payments) "its monthly amount
    (annual amount in force / 12) if the award is active that month (inside its dates, not
    wholly suspended, not after termination or completion), else 0". Termination and completion
    move the award's end, so the months after it are outside its dates."""
    return award.annual_amount(month) if month in award.active_months() else 0


def monthly_due(award: AwardTerms, month: Month) -> int:
    """Due in one month in yen: a period of one month, truncated once."""
    return rules.yen(due_twelfths(award, month))


def due_for_period(award: AwardTerms, months: Iterable[Month]) -> int:
    """DOMAIN.md: "Due over a period = sum of the months, truncated below ¥1 once, at the end"."""
    return rules.yen(rules.award_twelfths(award, months))


# --- Reconciliation -----------------------------------------------------------------------


@dataclass(frozen=True)
class PaidMonth:
    """What the ledger says now (its latest entry) for one award and month."""

    living_cost: int
    research_cost: int = 0
    pay_date: date | None = None


@dataclass(frozen=True)
class MonthLine:
    """Due beside paid for one award and month; `kind` None: they agree."""

    award_id: int
    program: str
    month: Month
    due: int
    paid: int
    research_paid: int
    kind: str | None

    @property
    def difference(self) -> int:
        """DOMAIN.md: "Difference = paid − due, per award and month; positive is overpaid"."""
        return self.paid - self.due


def _is_after_end(award: AwardTerms, month: Month) -> bool:
    return month > rules.month_index(award.end)


def classify(award: AwardTerms, month: Month, paid: int, *, paid_twice: bool = False) -> str | None:
    """The class of a month's difference (DifferenceKind), or None when paid equals due.

    A payment in a month the award does not pay (suspended, after its end, before its start) is
    the reason for the difference, so it names the class rather than "overpaid"."""
    due = monthly_due(award, month)
    if paid_twice and paid > 0:
        return DifferenceKind.PAID_TWICE
    if paid == due:
        return None
    if paid > 0 and month in award.suspended_months():
        return DifferenceKind.PAID_WHILE_SUSPENDED
    if paid > 0 and _is_after_end(award, month):
        return DifferenceKind.PAID_AFTER_END
    return DifferenceKind.OVERPAID if paid > due else DifferenceKind.UNDERPAID


def months_paid_twice(awards: Sequence[AwardTerms], paid: Mapping[PaidKey, PaidMonth]) -> set[PaidKey]:
    """(award, month) pairs where one person was paid living cost in the same calendar month by
    two awards of exclusive programs (DOMAIN.md Exclusive programs). `awards`: every record of
    the person (records sharing an e-Rad number)."""
    exclusive = {a.award_id for a in awards if a.is_exclusive}
    by_month: dict[Month, list[int]] = defaultdict(list)
    for (award_id, month), entry in paid.items():
        if award_id in exclusive and entry.living_cost > 0:
            by_month[month].append(award_id)
    return {(award_id, month) for month, ids in by_month.items() if len(ids) > 1 for award_id in ids}


def reconcile(
    awards: Sequence[AwardTerms],
    paid: Mapping[PaidKey, PaidMonth],
    *,
    months: Iterable[Month] | None = None,
    until: Month | None = None,
) -> list[MonthLine]:
    """Due and paid for every award of one person and every month either touches (limited to
    `months` when given), in award then month order. Months after `until` (the month being paid
    now and later) are not yet owed: they appear only where something was paid in advance."""
    twice = months_paid_twice(awards, paid)
    wanted = None if months is None else set(months)
    lines = []
    for award in awards:
        touched = set(award.held_months()) | {m for (a, m) in paid if a == award.award_id}
        for month in sorted(touched if wanted is None else touched & wanted):
            entry = paid.get((award.award_id, month))
            if entry is None:
                if until is not None and month > until:
                    continue
                entry = PaidMonth(0)
            lines.append(
                MonthLine(
                    award_id=award.award_id,
                    program=award.program,
                    month=month,
                    due=monthly_due(award, month),
                    paid=entry.living_cost,
                    research_paid=entry.research_cost,
                    kind=classify(award, month, entry.living_cost, paid_twice=(award.award_id, month) in twice),
                )
            )
    return lines


# --- Research cost ------------------------------------------------------------------------
#
# DOMAIN.md (Payments and recovery) defines Due only as "its monthly amount (annual amount in
# force / 12)", and the amount in force is the annual *living-cost* amount (The product's own
# definitions: Amounts in force); "Paid" keeps "living cost and research cost apart". It gives no
# research-cost amount due per program and month (BOOST's ¥300,000 a year is a rule's split with
# no schedule, SPRING's research money varies by university, a DC fellow's KAKENHI is not award
# money). So research cost is reconciled as "paid research cost reported": summed per award and
# fiscal year and shown apart, and never counted toward the living-cost due, a difference, a
# difference class or a recovery claim (`reconcile` and `recovery_claims` read living cost only).


@dataclass(frozen=True)
class ResearchYear:
    """Research cost reported paid for one award in one fiscal year (not a due: see above)."""

    award_id: int
    fiscal_year: int
    reported: int
    months: int  # months of the year with research cost reported


def research_reported(paid: Mapping[PaidKey, PaidMonth]) -> list[ResearchYear]:
    """Research cost reported per award and fiscal year (April-March), in award then year order.
    Whole yen as recorded: nothing is divided, so nothing is truncated."""
    sums: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for (award_id, month), entry in paid.items():
        if entry.research_cost:
            item = sums[(award_id, rules.fiscal_year(rules.month_start(month)))]
            item[0] += entry.research_cost
            item[1] += 1
    return [ResearchYear(a, fy, total, months) for (a, fy), (total, months) in sorted(sums.items())]


def open_differences(lines: Iterable[MonthLine]) -> list[MonthLine]:
    """Lines to fix, oldest month first."""
    return sorted((line for line in lines if line.kind is not None), key=lambda line: (line.month, line.award_id))


# --- Recovery claims ----------------------------------------------------------------------


class CauseKind(models.TextChoices):
    SUSPENSION = "suspension", _("休止")
    TERMINATION = "termination", _("中途終了")
    COMPLETION = "completion", _("修了による終了")
    AMOUNT_CHANGE = "amount_change", _("支給額の変更")


@dataclass(frozen=True)
class Cause:
    """A recorded change that may lower what was due: `recorded_on` is the day it was entered,
    `months` the award months it can lower (a suspension's wholly suspended months, the months
    an early end cut off, the months from an amount change on)."""

    event_id: int
    award_id: int
    kind: str
    recorded_on: date
    months: frozenset[Month]


def cause_months(
    award: AwardTerms, *, kind: str, start: date, end: date | None, previous_end: date | None
) -> frozenset[Month]:
    """The months a change can lower, from the change's own dates."""
    if kind == CauseKind.SUSPENSION:
        last = previous_end if previous_end and previous_end > award.end else award.end
        return frozenset(rules.months_fully_within(start, end, until=rules.month_end(rules.month_index(last))))
    if kind in (CauseKind.TERMINATION, CauseKind.COMPLETION):
        if previous_end is None:
            return frozenset()
        return frozenset(range(rules.month_index(award.end) + 1, rules.month_index(previous_end) + 1))
    if kind == CauseKind.AMOUNT_CHANGE:
        first = rules.month_index(start) if start.day == 1 else rules.month_index(start) + 1
        return frozenset(range(first, rules.month_index(award.end) + 1))
    return frozenset()


@dataclass(frozen=True)
class Claim:
    """What a change makes returnable (返還): the overpaid months it explains that had been paid
    before it was recorded, the amount truncated once."""

    event_id: int
    award_id: int
    kind: str
    recorded_on: date
    months: tuple[Month, ...]
    amount: int


def recovery_claims(award: AwardTerms, causes: Sequence[Cause], paid: Mapping[PaidKey, PaidMonth]) -> list[Claim]:
    """DOMAIN.md (Recovery claim): "when a change recorded later (suspension, termination, amount
    change) lowers what was due for months already paid, the overpaid amount of those months is
    claimed back". Claims are derived from the ledger and the changes as they stand, so a change
    withdrawn (its event gone) leaves no claim and a change extended claims more. A month that
    several changes lower belongs to the first recorded of them, never to two claims."""
    claimed: set[Month] = set()
    claims = []
    for cause in sorted(causes, key=lambda c: (c.recorded_on, c.event_id)):
        months = []
        twelfths = 0
        for month in sorted(cause.months - claimed):
            entry = paid.get((award.award_id, month))
            if entry is None or entry.pay_date is None or entry.pay_date >= cause.recorded_on:
                continue  # not paid before the change was recorded: an open difference, no claim
            over = entry.living_cost * 12 - due_twelfths(award, month)
            if over > 0:
                months.append(month)
                twelfths += over
        if months:
            claimed.update(months)
            claims.append(
                Claim(cause.event_id, award.award_id, cause.kind, cause.recorded_on, tuple(months), rules.yen(twelfths))
            )
    return claims
