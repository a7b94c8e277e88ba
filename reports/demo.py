"""Synthetic annual reports for the demo: closed years accepted (and locked), the last one mixed."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction

from programs import rules
from programs.models import Program
from reports.models import Report
from reports.selectors import report_figures, report_statuses
from students.models import University, YearLock


@transaction.atomic
def demo_reports(*, today: date, rng: random.Random) -> int:
    """Accepted reports for closed years, the last closed year mixed (some submitted, some never
    started: late), 東京大学's left for the demo staff to prepare. Accepted years are locked."""
    last_closed = rules.fiscal_year(today) - 1
    reports = []
    programs = {p.code: p for p in Program.objects.all()}
    universities = {u.pk: u for u in University.objects.all()}
    for fy in range(last_closed - 2, last_closed + 1):
        deadline = date(fy + 1, 5, 31)
        for status in report_statuses(fiscal_year=fy, today=today):
            roll = rng.random()
            if fy == last_closed and (status.university_name == "東京大学" or roll < 0.15):
                continue  # never started
            state = Report.State.ACCEPTED
            if fy == last_closed and roll < 0.3:
                state = Report.State.SUBMITTED
            if fy == last_closed and 0.3 <= roll < 0.36:
                state = Report.State.DRAFT
            university, program = universities[status.university_id], programs[status.program_code]
            submitted = None
            if state != Report.State.DRAFT:
                late = rng.random() < 0.1
                submitted = datetime.combine(
                    deadline + timedelta(days=12 if late else -rng.randrange(1, 30)), time(10), tzinfo=UTC
                )
            reports.append(
                Report(
                    university=university,
                    program=program,
                    fiscal_year=fy,
                    state=state,
                    submitted_at=submitted,
                    figures=report_figures(university=university, program=program, fiscal_year=fy),
                )
            )
    Report.objects.bulk_create(reports, batch_size=2000)
    YearLock.objects.bulk_create(
        [
            YearLock(university_id=r.university_id, program_id=r.program_id, fiscal_year=r.fiscal_year)
            for r in reports
            if r.state == Report.State.ACCEPTED
        ],
        batch_size=2000,
    )
    return len(reports)
