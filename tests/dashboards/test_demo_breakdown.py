"""Issue #13 item 3: the synthetic demo reproduces the published breakdown by program.

DOMAIN.md "The published breakdown by program": at `scale`, every group within ±5% and every
year's total within ±3% of the published figures (R3–R6), by the facts' own attribution (the
program breakdown of the national page). A full run at scale 1.0 is reported in the issue.
"""

import pytest

from dashboards import selectors
from dashboards.selectors import Scope
from programs import reference as program_reference
from programs.models import Target
from students.demo import demo_generate

pytestmark = pytest.mark.django_db
SCALE = 0.05


def group_figures(fiscal_year: int) -> dict[str, int]:
    attributed = selectors.by_program(Scope(fiscal_year))
    return {
        key: sum(attributed.get(code, 0) for code in codes) for key, _label, codes in program_reference.PUBLISHED_GROUPS
    }


def test_demo_reproduces_the_published_breakdown(reference):
    demo_generate(scale=SCALE, first_fy=2021, last_fy=2025, seed=3)
    totals = dict(Target.objects.filter(kind="published", program=None).values_list("fiscal_year", "headcount"))
    for fiscal_year, published in program_reference.PUBLISHED_BREAKDOWN.items():
        figures = group_figures(fiscal_year)
        for group, expected in published.items():
            if expected is None:
                assert figures[group] == 0, (fiscal_year, group)
                continue
            assert abs(figures[group] - expected * SCALE) <= 0.05 * expected * SCALE, (fiscal_year, group, figures)
        total = selectors.headcount(Scope(fiscal_year))
        assert abs(total - totals[fiscal_year] * SCALE) <= 0.03 * totals[fiscal_year] * SCALE, (fiscal_year, total)
        # The groups are the whole count in R3–R6: nothing outside the published columns.
        assert sum(figures.values()) == total
