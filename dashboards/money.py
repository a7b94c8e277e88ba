"""Money on the dashboards: paid against due and budget, by program, university, founder and
fiscal year, recovered amounts, and persons paid twice by exclusive programs (issue #15).

Aggregates only for the ministry; officers also see the persons paid twice by their programs;
a university's staff see their own university."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from dashboards.tables import Table
from payments import selectors as money
from phdsupport import release
from programs.labels import localized_name
from programs.models import Program
from students.facts import facts_version
from students.models import Founder, University


def _percent(part: int, whole: int | None) -> str:
    return f"{part / whole * 100:.1f}%" if whole else "—"


@dataclass
class MoneyPage:
    tables: dict[str, Table] = field(default_factory=dict)
    paid_twice_persons: int = 0
    paid_twice: list[money.DoublePayment] = field(default_factory=list)
    program_names: dict[str, str] = field(default_factory=dict)  # code: name in the page's language


def _money_row(label: str, figures: money.Money) -> list[Any]:
    # Research cost reported is shown apart: never in due, paid or the difference (payments.rules).
    return [label, figures.due, figures.paid, figures.difference, figures.recovered, figures.research_paid]


def money_page(fiscal_year: int, *, university_id: int | None = None) -> MoneyPage:
    """Every table of the page, cached by what it depends on (the release, the facts, the ledger, the claims)."""
    key = f"money:{release.code_version()}:{facts_version()}:{money.money_version()}:{get_language()}:{fiscal_year}:{university_id}"
    page = cache.get(key)
    if page is None:
        page = _build(fiscal_year, university_id)
        cache.set(key, page, timeout=24 * 3600)
    return page


def _build(fiscal_year: int, university_id: int | None) -> MoneyPage:
    page = MoneyPage()
    headers = [
        _("区分"),
        _("支給すべき額"),
        _("支給額"),
        _("差額（支給−支給すべき額）"),
        _("返還済み"),
        _("研究費（報告額・差額に含めない）"),
    ]
    # In the programs' order, as every page lists them (Program.Meta.ordering).
    names = {code: localized_name(ja, en) for code, ja, en in Program.objects.values_list("code", "name_ja", "name_en")}
    order = {code: position for position, code in enumerate(names)}
    by_program = money.money_by(fiscal_year, "program", university_id=university_id)
    total = money.Money()
    for figures in by_program.values():
        total.due_twelfths += figures.due_twelfths
        total.paid += figures.paid
        total.recovered += figures.recovered
        total.research_paid += figures.research_paid
    page.tables["total"] = Table("total", _("支給すべき額と支給額（合計）"), headers, [_money_row(_("合計"), total)])
    page.tables["program"] = Table(
        "program",
        _("事業別"),
        headers,
        [
            _money_row(names.get(code, code), figures)
            for code, figures in sorted(by_program.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
        ],
    )
    if university_id is None:
        page.tables["budget"] = _budget_table(fiscal_year, by_program, names)
        founders = dict(Founder.choices)
        by_founder = money.money_by(fiscal_year, "founder")
        page.tables["founder"] = Table(
            "founder",
            _("設置者別"),
            headers,
            [_money_row(str(founders.get(k, k)), f) for k, f in sorted(by_founder.items(), key=lambda kv: str(kv[0]))],
        )
        by_university = money.money_by(fiscal_year, "university")
        universities = {
            pk: localized_name(ja, en)
            for pk, ja, en in University.objects.filter(pk__in=list(by_university)).values_list(
                "pk", "name_ja", "name_en"
            )
        }
        rows = sorted(by_university.items(), key=lambda kv: (-kv[1].paid, -kv[1].due_twelfths, kv[0]))
        page.tables["university"] = Table(
            "university", _("大学別"), headers, [_money_row(universities.get(k, str(k)), f) for k, f in rows]
        )
    twice = money.paid_twice(fiscal_year, university_id=university_id)
    page.paid_twice = twice
    page.program_names = names
    page.paid_twice_persons = len({d.person for d in twice})
    return page


def _budget_label(line: money.BudgetLine, names: dict[str, str]) -> str:
    """A budget named by its programs in the page's language (JSPS DC: 特別研究員 DC1 / 特別研究員 DC2);
    its label (the seeder's key, EMERGENT_RA) only when it funds no program."""
    return " / ".join(names.get(code, code) for code in line.program_codes) or line.label


def _budget_table(fiscal_year: int, by_program: dict[object, money.Money], names: dict[str, str]) -> Table:
    rows = []
    for line in money.budget_lines(fiscal_year):
        paid = sum(by_program[c].paid for c in line.program_codes if c in by_program)
        due = money.Money(due_twelfths=sum(by_program[c].due_twelfths for c in line.program_codes if c in by_program))
        budget = (line.annual or 0) + line.supplementary
        rows.append(
            [
                _budget_label(line, names),
                line.annual if line.annual is not None else "—",
                line.supplementary,
                due.due,
                paid,
                _percent(paid, budget),
            ]
        )
    return Table(
        "budget",
        _("予算と支給額"),
        [
            _("予算"),
            _("当初予算（適用中）"),
            _("補正予算（当年度）"),
            _("支給すべき額"),
            _("支給額"),
            _("予算に対する支給額"),
        ],
        rows,
    )
