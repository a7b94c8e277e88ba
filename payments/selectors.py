"""Reads of the ledger: due beside paid, open differences, recovery claims ("fetch, then
calculate": rows are read into `payments.rules` inputs, the rules do the rest)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from payments import rules as pay
from payments.models import Budget, ClaimSettlement, PaymentEntry
from programs import rules
from students.models import Award, AwardEvent, Student
from students.selectors import award_terms
from students.services import person_awards

CAUSE_KINDS = [k.value for k in pay.CauseKind]


def paid_ledger(award_ids: Iterable[int]) -> dict[pay.PaidKey, pay.PaidMonth]:
    """The current entry of every award and month, as rule input."""
    rows = PaymentEntry.objects.current().filter(award_id__in=list(award_ids)).order_by()  # no sort for a dict
    return {
        (award_id, rules.month_index(month)): pay.PaidMonth(living, research, pay_date)
        for award_id, month, living, research, pay_date in rows.values_list(
            "award_id", "month", "living_cost", "research_cost", "pay_date"
        ).iterator(chunk_size=5000)
    }


def causes_of(award_terms_by_id: dict[int, rules.AwardTerms]) -> dict[int, list[pay.Cause]]:
    """The recorded changes that can lower what was due, per award."""
    events = AwardEvent.objects.filter(award_id__in=list(award_terms_by_id), kind__in=CAUSE_KINDS)
    causes: dict[int, list[pay.Cause]] = defaultdict(list)
    for pk, award_id, kind, start, end, previous_end, created_at in events.values_list(
        "pk", "award_id", "kind", "start_date", "end_date", "previous_end_date", "created_at"
    ):
        terms = award_terms_by_id[award_id]
        months = pay.cause_months(terms, kind=kind, start=start, end=end, previous_end=previous_end)
        causes[award_id].append(pay.Cause(pk, award_id, kind, timezone.localdate(created_at), months))
    return causes


# --- Reconciliation -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReconciliationRow:
    line: pay.MonthLine
    award: Award | None

    @property
    def month_start(self) -> date:
        return rules.month_start(self.line.month)


def owed_until(today: date | None = None) -> int:
    """The last month that is owed by now: the month before today's (a month is paid during it)."""
    return rules.month_index(today or timezone.localdate()) - 1


def student_reconciliation(student: Student, *, today: date | None = None) -> list[pay.MonthLine]:
    """Due and paid for every award and month of the student's own awards; double payment is
    looked for across every record of the person."""
    awards = person_awards(student)
    ledger = paid_ledger(a.award_id for a in awards)
    own = set(student.awards.values_list("pk", flat=True))
    lines = pay.reconcile(awards, ledger, until=owed_until(today))
    return [line for line in lines if line.award_id in own]


def student_research(student: Student) -> list[pay.ResearchYear]:
    """Research cost reported for the student's own awards, per award and fiscal year (shown
    apart from due and paid: payments.rules, Research cost)."""
    return pay.research_reported(paid_ledger(student.awards.values_list("pk", flat=True)))


def university_open_differences(university_id: int, *, today: date | None = None) -> list[pay.MonthLine]:
    """A university's open differences, oldest month first (issue #15: "A university's page lists
    open differences to fix, oldest first")."""
    terms = award_terms(university_id=university_id)
    partners = _partner_terms(university_id, terms)
    by_award = _ledger_by_award(
        paid_ledger([a.award_id for awards in (*terms.values(), *partners.values()) for a in awards])
    )
    until = owed_until(today)
    lines = []
    for student_id, awards in terms.items():
        own = {a.award_id for a in awards}
        person = [*awards, *partners.get(student_id, [])]
        # Each person reconciled against their own months only: the rules look through the
        # ledger they are given once per award, so the whole university's ledger there made
        # the page quadratic (2,000 awards with a year paid: 18 s, against 1.7 s so, measured
        # side by side on the loaded shared machine).
        ledger = {key: entry for a in person for key, entry in by_award.get(a.award_id, {}).items()}
        lines += [line for line in pay.reconcile(person, ledger, until=until) if line.award_id in own]
    return pay.open_differences(lines)


def _ledger_by_award(ledger: dict[pay.PaidKey, pay.PaidMonth]) -> dict[int, dict[pay.PaidKey, pay.PaidMonth]]:
    """The ledger split per award, in one pass."""
    by_award: dict[int, dict[pay.PaidKey, pay.PaidMonth]] = defaultdict(dict)
    for key, entry in ledger.items():
        by_award[key[0]][key] = entry
    return by_award


def _partner_terms(university_id: int, terms: dict[int, list[rules.AwardTerms]]) -> dict[int, list[rules.AwardTerms]]:
    """Per student of the university, the awards of their other records (same e-Rad number)."""
    numbers = dict(
        Student.objects.filter(university_id=university_id).exclude(erad_number="").values_list("pk", "erad_number")
    )
    others = dict(
        Student.objects.filter(erad_number__in=set(numbers.values()))
        .exclude(university_id=university_id)
        .values_list("pk", "erad_number")
    )
    if not others:
        return {}
    other_terms = award_terms(others)
    by_number: dict[str, list[rules.AwardTerms]] = defaultdict(list)
    for pk, number in others.items():
        by_number[number] += other_terms.get(pk, [])
    return {pk: by_number[number] for pk, number in numbers.items() if by_number.get(number)}


# --- Claims -------------------------------------------------------------------------------


@dataclass
class ClaimView:
    """A recovery claim with its settlements: open, settled or cancelled (its change withdrawn)."""

    event_id: int
    award_id: int
    kind: str
    recorded_on: date | None
    months: tuple[int, ...]
    amount: int
    settlements: list[ClaimSettlement] = field(default_factory=list)

    @property
    def settled(self) -> int:
        return sum(s.amount for s in self.settlements)

    @property
    def repaid(self) -> int:
        return sum(s.amount for s in self.settlements if s.kind == ClaimSettlement.Kind.REPAID)

    @property
    def open_amount(self) -> int:
        return max(self.amount - self.settled, 0)

    @property
    def state(self) -> str:
        if self.amount == 0:
            return "cancelled"
        return "open" if self.open_amount > 0 else "settled"

    @property
    def month_starts(self) -> list[date]:
        return [rules.month_start(m) for m in self.months]


def claims_of(terms: Sequence[rules.AwardTerms], *, university_id: int | None = None) -> list[ClaimView]:
    """Claims of the given awards, derived now, with the decisions recorded about them."""
    by_id = {t.award_id: t for t in terms}
    causes = causes_of(by_id)
    ledger = paid_ledger(causes)
    views: dict[int, ClaimView] = {}
    for award_id, award_causes in causes.items():
        for claim in pay.recovery_claims(by_id[award_id], award_causes, ledger):
            views[claim.event_id] = ClaimView(
                claim.event_id, award_id, claim.kind, claim.recorded_on, claim.months, claim.amount
            )
    settlements = ClaimSettlement.objects.filter(award_id__in=list(by_id)).select_related("decided_by")
    for settlement in settlements:
        view = views.get(settlement.cause_event_id)
        if view is None:  # the change was withdrawn, or the ledger corrected: the claim is gone
            view = views[settlement.cause_event_id] = ClaimView(
                settlement.cause_event_id, settlement.award_id, "", None, (), 0
            )
        view.settlements.append(settlement)
    return sorted(views.values(), key=lambda v: (v.recorded_on or date.min, v.event_id))


def award_claims(award: Award) -> list[ClaimView]:
    terms = award_terms([award.student_id]).get(award.student_id, [])
    return claims_of([t for t in terms if t.award_id == award.pk])


def student_claims(student: Student) -> list[ClaimView]:
    return claims_of(award_terms([student.pk]).get(student.pk, []))


def university_claims(university_id: int) -> list[ClaimView]:
    """Claims of a university's awards that have both payments and a change that can lower them."""
    with_causes = set(
        AwardEvent.objects.filter(award__university_id=university_id, kind__in=CAUSE_KINDS).values_list(
            "award_id", flat=True
        )
    )
    with_settlements = set(
        ClaimSettlement.objects.filter(university_id=university_id).values_list("award_id", flat=True)
    )
    return _claims_of_awards(with_causes | with_settlements)


def program_claims(program_ids: Iterable[int] | None) -> list[ClaimView]:
    """Claims of the awards of the given programs (None: every program) at every university, for
    the officers' page: the same derivation as a university's (`university_claims`)."""
    events = AwardEvent.objects.filter(kind__in=CAUSE_KINDS)
    settlements = ClaimSettlement.objects.all()
    if program_ids is not None:
        program_ids = list(program_ids)
        events = events.filter(award__program_id__in=program_ids)
        settlements = settlements.filter(award__program_id__in=program_ids)
    candidates = set(events.values_list("award_id", flat=True)) | set(settlements.values_list("award_id", flat=True))
    return _claims_of_awards(candidates)


def _claims_of_awards(candidates: set[int]) -> list[ClaimView]:
    if not candidates:
        return []
    student_ids = set(Award.objects.filter(pk__in=candidates).values_list("student_id", flat=True))
    terms = [t for awards in award_terms(student_ids).values() for t in awards if t.award_id in candidates]
    return claims_of(terms)


# --- Totals -------------------------------------------------------------------------------


def paid_totals(entries) -> dict[str, int]:
    """Sums of current entries (one aggregate query)."""
    sums = entries.current().aggregate(living=Sum("living_cost"), research=Sum("research_cost"))
    return {"living": sums["living"] or 0, "research": sums["research"] or 0}


# --- Money: paid against due and budget (dashboards read these; aggregates only) ----------


@dataclass
class Money:
    """Due (in twelfths, truncated once when shown), paid and recovered for one group."""

    due_twelfths: int = 0
    paid: int = 0
    research_paid: int = 0
    recovered: int = 0

    @property
    def due(self) -> int:
        return rules.yen(self.due_twelfths)

    @property
    def difference(self) -> int:
        return self.paid - self.due


# group → (the key on a ledger entry, the key on an award)
GROUPS = {
    "program": ("award__program__code", "program__code"),
    "university": ("university_id", "university_id"),
    "founder": ("university__founder", "university__founder"),
}


def _fy_awards(fiscal_year: int, university_id: int | None, program_codes: Iterable[str] | None):
    first, last = rules.fiscal_year_bounds(fiscal_year)
    awards = Award.objects.filter(start_date__lte=last, end_date__gte=first)
    if university_id is not None:
        awards = awards.filter(university_id=university_id)
    if program_codes is not None:
        awards = awards.filter(program__code__in=list(program_codes))
    return awards


def money_by(
    fiscal_year: int,
    group: str,
    *,
    university_id: int | None = None,
    program_codes: Iterable[str] | None = None,
) -> dict[object, Money]:
    """Due, paid and recovered in a fiscal year per program, university or founder.

    Due comes from the rules over every award active in the year (each group's twelfths summed,
    truncated once when shown); paid is one aggregate over the current ledger entries of the
    year's months; recovered is what was repaid on claims of those awards, decided in the year."""
    entry_key, award_key = GROUPS[group]
    codes = None if program_codes is None else list(program_codes)
    months = set(rules.fiscal_year_months(fiscal_year))
    figures: dict[object, Money] = defaultdict(Money)
    awards = _fy_awards(fiscal_year, university_id, codes)
    group_of = dict(awards.values_list("pk", award_key))
    student_ids = set(awards.values_list("student_id", flat=True))
    for terms_list in award_terms(student_ids).values():
        for terms in terms_list:
            if terms.award_id in group_of:
                figures[group_of[terms.award_id]].due_twelfths += rules.award_twelfths(terms, months)
    first, last = rules.fiscal_year_bounds(fiscal_year)
    entries = PaymentEntry.objects.current().filter(month__gte=first, month__lte=last)
    settlements = ClaimSettlement.objects.filter(
        kind=ClaimSettlement.Kind.REPAID, decided_on__gte=first, decided_on__lte=last
    )
    if university_id is not None:
        entries, settlements = (
            entries.filter(university_id=university_id),
            settlements.filter(university_id=university_id),
        )
    if codes is not None:
        entries = entries.filter(award__program__code__in=codes)
        settlements = settlements.filter(award__program__code__in=codes)
    for row in entries.values(entry_key).annotate(paid=Sum("living_cost"), research=Sum("research_cost")):
        money = figures[row[entry_key]]
        money.paid, money.research_paid = row["paid"] or 0, row["research"] or 0
    for row in settlements.values(entry_key).annotate(repaid=Sum("amount")):
        figures[row[entry_key]].recovered = row["repaid"] or 0
    return dict(figures)


@dataclass(frozen=True)
class DoublePayment:
    """One person paid living cost by two exclusive programs in one calendar month."""

    person: str
    month: date
    entries: tuple[tuple[int, str, str, int], ...]  # (student id, student number, program, amount)


def paid_twice(fiscal_year: int, *, university_id: int | None = None) -> list[DoublePayment]:
    """DOMAIN.md Exclusive programs, as paid: months of the year in which one person (every
    record sharing an e-Rad number) received living cost from two exclusive programs."""
    first, last = rules.fiscal_year_bounds(fiscal_year)
    rows = (
        PaymentEntry.objects.current()
        .filter(month__gte=first, month__lte=last, living_cost__gt=0, award__program__is_exclusive=True)
        .values_list(
            "award__student_id",
            "award__student__erad_number",
            "award__student__student_number",
            "award__program__code",
            "month",
            "living_cost",
            "university_id",
        )
    )
    by_person_month: dict[tuple[str, date], list[tuple[int, str, str, int, int]]] = defaultdict(list)
    for student_id, erad, number, code, month, amount, university in rows.iterator(chunk_size=5000):
        person = erad or f"s{student_id}"
        by_person_month[(person, month)].append((student_id, number, code, amount, university))
    found = []
    for (person, month), items in sorted(by_person_month.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if len({code for _s, _n, code, _a, _u in items}) < 2:
            continue
        if university_id is not None and all(u != university_id for *_rest, u in items):
            continue
        found.append(DoublePayment(person, month, tuple((s, n, c, a) for s, n, c, a, _u in items)))
    return found


@dataclass(frozen=True)
class BudgetLine:
    label: str
    program_codes: tuple[str, ...]
    annual: int | None  # the annual budget in force in the year (the latest from it or before, unless it has ended)
    supplementary: int  # supplementary budgets voted in the year (often multi-year funds)
    sources: tuple[str, ...]


def budget_lines(fiscal_year: int) -> list[BudgetLine]:
    """The budgets in force in the year, a line per label, in the programs' order (as every page
    lists programs: display order, then code), then by the year each line began; a line funding
    no program comes last. An annual budget past its last fiscal year (a program that has ended)
    is not in force, and a label with no budget in force in the year has no line."""
    lines: dict[str, dict] = {}
    budgets = Budget.objects.filter(fiscal_year__lte=fiscal_year).prefetch_related("programs").order_by("fiscal_year")
    for budget in budgets:
        line = lines.setdefault(
            budget.label,
            {"programs": set(), "annual": None, "supplementary": 0, "sources": [], "first_year": budget.fiscal_year},
        )
        line["programs"].update((p.display_order, p.code) for p in budget.programs.all())
        if budget.kind == Budget.Kind.ANNUAL:
            # Later years replace earlier ones; the latest one past its last year leaves none.
            ended = budget.last_fiscal_year is not None and budget.last_fiscal_year < fiscal_year
            line["annual"] = None if ended else budget.amount
            line["annual_source"] = None if ended else budget.source
        elif budget.fiscal_year == fiscal_year:
            line["supplementary"] += budget.amount
            line["sources"].append(budget.source)
    return [
        BudgetLine(
            label,
            tuple(code for _order, code in sorted(line["programs"])),
            line["annual"],
            line["supplementary"],
            (*([line["annual_source"]] if line.get("annual_source") else []), *line["sources"]),
        )
        for label, line in sorted(lines.items(), key=_budget_line_order)
        if line["annual"] is not None or line["supplementary"]
    ]


def _budget_line_order(item: tuple[str, dict]) -> tuple[Any, ...]:
    label, line = item
    first_program = min(line["programs"], default=None)
    return (first_program is None, first_program or (0, ""), line["first_year"], label)


def money_version() -> str:
    """Changes whenever the ledger, a claim decision or a budget does (pages cache by it with the facts' version)."""
    last_entry = PaymentEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_settlement = ClaimSettlement.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_budget = Budget.history.order_by("-history_id").values_list("history_id", flat=True).first() or 0
    return f"{last_entry}-{last_settlement}-{last_budget}"


def report_figures(*, university: Any, program: Any, fiscal_year: int) -> dict[str, int]:
    """The annual report's ledger figures for one university, program and fiscal year: due by
    the rules (truncated once), paid (current entries), recovered (repaid decisions in the year)
    and open claims of the program's awards."""
    figures = money_by(fiscal_year, "program", university_id=university.pk, program_codes=[program.code]).get(
        program.code, Money()
    )
    claims = university_claims(university.pk)
    program_awards = set(
        Award.objects.filter(university_id=university.pk, program_id=program.pk).values_list("pk", flat=True)
    )
    return {
        "ledger_due": figures.due,
        "ledger_paid": figures.paid,
        # Reported apart, never part of due or paid above (payments.rules, Research cost).
        "ledger_research_reported": figures.research_paid,
        "ledger_recovered": figures.recovered,
        "ledger_open_claims": sum(c.open_amount for c in claims if c.award_id in program_awards),
    }
