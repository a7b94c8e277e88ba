"""Budgets of the programs (reference data, 000_aa2d19c35d4c7748.txt), loaded by load_reference."""

from __future__ import annotations

from django.db import transaction

from payments.models import Budget
from phdsupport.reference import Seeder
from programs.models import Program

SEED = "出典: 000_aa2d19c35d4c7748.txt"
OKU = 100_000_000  # 億円
MILLION = 1_000_000  # 百万円

# label, programs, fiscal year, kind, amount (yen), note
BUDGETS = [
    ("JSPS DC", ("JSPS_DC1", "JSPS_DC2"), 2024, "annual", 10_635 * MILLION, "DC: 10,635百万円（令和6年度）"),
    ("JSPS DC", ("JSPS_DC1", "JSPS_DC2"), 2025, "annual", 10_635 * MILLION, "DC: 10,635百万円（令和7年度）"),
    ("JSPS PD", ("JSPS_PD",), 2024, "annual", 4_359 * MILLION, "PD: 4,359百万円（令和6年度）"),
    ("JSPS PD", ("JSPS_PD",), 2025, "annual", 4_402 * MILLION, "PD: 4,402百万円（令和7年度）"),
    ("JSPS RPD", ("JSPS_RPD",), 2024, "annual", 951 * MILLION, "RPD: 951百万円（令和6年度）"),
    ("JSPS RPD", ("JSPS_RPD",), 2025, "annual", 951 * MILLION, "RPD: 951百万円（令和7年度）"),
    ("JSPS CPD", ("JSPS_CPD",), 2024, "annual", 309 * MILLION, "CPD: 309百万円（令和6年度）"),
    ("JSPS CPD", ("JSPS_CPD",), 2025, "annual", 230 * MILLION, "CPD: 230百万円（令和7年度）"),
    ("SPRING", ("SPRING",), 2020, "supplementary", 174 * OKU, "R2補正 174億円"),
    ("SPRING", ("SPRING",), 2021, "supplementary", 348 * OKU, "R3補正 348億円"),
    ("SPRING", ("SPRING",), 2023, "supplementary", 499 * OKU, "令和5年度補正予算額 499億円（約11,100人）"),
    ("SPRING", ("SPRING",), 2025, "annual", 30_000_000, "令和7年度予算額 0.3億円（別途、大学ファンドの運用益も充当）"),
    ("BOOST", ("BOOST",), 2023, "supplementary", 70 * OKU, "令和5年度補正予算額 70億円（全体213億円）"),
    ("EMERGENT_RA", ("EMERGENT_RA",), 2023, "supplementary", 6 * OKU, "令和5年度補正予算額 6億円"),
    ("FELLOWSHIP", ("FELLOWSHIP",), 2021, "annual", 23 * OKU, "R3当初 23億円"),
    ("FELLOWSHIP", ("FELLOWSHIP",), 2022, "annual", 34 * OKU, "R4当初 34億円"),
    ("FELLOWSHIP", ("FELLOWSHIP",), 2023, "annual", 36 * OKU, "R5当初 36億円"),
]

# label: the last fiscal year of the annual budgets of a program that has ended. The fellowship
# ran FY2021–FY2023 and was folded into SPRING from FY2024 (DOMAIN.md, the published breakdown by
# program): its R5 budget is not in force in FY2024 or later.
LAST_FISCAL_YEAR = {"FELLOWSHIP": 2023}


@transaction.atomic
def load_budgets(seeder: Seeder | None = None) -> int:
    """Create the seed's budgets and bring unedited ones to the seed. A budget an administrator
    changed (its history names a person) is kept as they left it, its programs included, as
    load_reference does for every reference row since issue #12 (phdsupport.reference.Seeder);
    one they deleted is not created again."""
    seeder = seeder or Seeder()
    programs = {p.code: p for p in Program.objects.all()}
    for label, codes, fy, kind, amount, note in BUDGETS:
        budget = seeder.update_or_create(
            Budget,
            label=label,
            fiscal_year=fy,
            kind=kind,
            defaults={
                "amount": amount,
                "source": f"{note} {SEED}",
                "last_fiscal_year": LAST_FISCAL_YEAR.get(label) if kind == Budget.Kind.ANNUAL else None,
            },
        )
        if budget is None:
            continue
        wanted = {programs[c].pk for c in codes if c in programs}
        if set(budget.programs.values_list("pk", flat=True)) != wanted:
            budget.programs.set(wanted)
    return len(BUDGETS)
