from __future__ import annotations

from typing import Any

from django.db import transaction

from dashboards.models import Publication
from dashboards.selectors import Scope
from dashboards.tables import dashboard_tables
from programs import rules
from programs.selectors import floor_in_force


@transaction.atomic
def publication_create(*, fiscal_year: int, current_fy: int, acting_user: Any, note: str = "") -> Publication:
    """Freeze a fiscal year's national figures as of now; the row is never changed afterwards."""
    tables = dashboard_tables(Scope(fiscal_year=fiscal_year), current_fy=current_fy)
    floor = floor_in_force(day=rules.fiscal_year_bounds(fiscal_year)[0]) or 0
    return Publication.objects.create(
        fiscal_year=fiscal_year,
        floor=floor,
        published_by=acting_user,
        note=note,
        figures={key: table.as_dict() for key, table in tables.items()},
    )
