"""Synthetic payments for the demo: two universities' current fiscal year paid from their
payroll, a few deliberate differences, and one suspension recorded late (a recovery claim)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction

from payments import rules as pay
from payments.models import PaymentEntry
from programs import rules
from students import services
from students.models import Award, University
from students.selectors import award_terms

DEMO_UNIVERSITIES = ("東京大学", "京都大学")
PAY_DAY = 20


@transaction.atomic
def demo_payments(*, today: date, rng: random.Random) -> int:
    fy = rules.fiscal_year(today)
    last_paid = rules.month_index(today) if today.day > PAY_DAY else rules.month_index(today) - 1
    this_year = [m for m in rules.fiscal_year_months(fy) if m <= last_paid]
    entries: list[PaymentEntry] = []
    late_suspension: tuple[int, int] | None = None
    # In this order: the late suspension lands at the demo's first staff account's university.
    for name in DEMO_UNIVERSITIES:
        university = University.objects.filter(name_ja=name).first()
        if university is None:
            continue
        for awards in award_terms(university_id=university.pk).values():
            for terms in awards:
                for month in range(
                    rules.month_index(terms.start), min(rules.month_index(terms.end) + 2, last_paid + 1)
                ):
                    due = pay.monthly_due(terms, month)
                    roll = rng.random()
                    if due == 0 and not (roll < 0.01 and month == rules.month_index(terms.end) + 1):
                        continue  # nothing due; one in a hundred keeps paying a month after the end
                    amount = due or terms.annual_amount(month) // 12
                    if 0.01 <= roll < 0.015:
                        amount = due // 2  # a short month the payroll must make good
                    entries.append(
                        PaymentEntry(
                            award_id=terms.award_id,
                            university_id=university.pk,
                            month=rules.month_start(month),
                            living_cost=amount,
                            pay_date=rules.month_start(month).replace(day=PAY_DAY),
                            source=PaymentEntry.Source.UPLOAD,
                        )
                    )
                if late_suspension is None and len(this_year) >= 4 and terms.active_months() >= set(this_year):
                    late_suspension = (terms.award_id, this_year[-3])
    PaymentEntry.objects.bulk_create(entries, batch_size=5000)
    if late_suspension is not None:
        # Recorded now, after the money went out: the two suspended months become a claim.
        award = Award.objects.get(pk=late_suspension[0])
        start = rules.month_start(late_suspension[1])
        services.award_event_create(
            award=award,
            kind="suspension",
            start_date=start,
            end_date=rules.month_start(late_suspension[1] + 2) - timedelta(days=1),
            reason="休学（届出の遅れ）",
            acting_user=None,
        )
    return len(entries)
