"""Recovery claims (返還): created by a change recorded after the money went out, settled as
events, cancelled when the change is withdrawn."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from payments import selectors
from payments import services as payments
from payments.models import ClaimSettlement
from students import services
from students.models import AwardEvent

pytestmark = pytest.mark.django_db


def pay_april_to_september(award, user):
    payments.payments_record(
        university_id=award.university_id,
        rows=[payments.PaymentInput(award.pk, date(2025, m, 1), 200_000, 0, date(2025, m, 20)) for m in range(4, 10)],
        acting_user=user,
    )


def test_a_late_suspension_creates_the_claim_and_withdrawing_it_cancels_it(dc_award, staff_a):
    # given April–September 2025 paid (¥200,000 each), then a suspension for July and August recorded later
    pay_april_to_september(dc_award, staff_a)
    suspension = services.award_event_create(
        award=dc_award, kind="suspension", start_date=date(2025, 7, 1), end_date=date(2025, 8, 31), acting_user=staff_a
    )
    # then a claim for the two months
    [claim] = selectors.award_claims(dc_award)
    assert (claim.event_id, claim.kind, claim.amount, claim.state) == (suspension.pk, "suspension", 400_000, "open")
    assert claim.month_starts == [date(2025, 7, 1), date(2025, 8, 1)]
    assert [c.amount for c in selectors.university_claims(dc_award.university_id)] == [400_000]
    # when the suspension is withdrawn
    services.award_event_withdraw(event=suspension, acting_user=staff_a)
    # then the claim is gone
    assert selectors.award_claims(dc_award) == []
    assert not AwardEvent.objects.filter(pk=suspension.pk).exists()


def test_a_late_termination_claims_the_months_after_the_end(dc_award, staff_a):
    pay_april_to_september(dc_award, staff_a)
    services.award_event_create(award=dc_award, kind="termination", start_date=date(2025, 7, 10), acting_user=staff_a)
    [claim] = selectors.award_claims(dc_award)
    assert (claim.kind, claim.month_starts, claim.amount) == (
        "termination",
        [date(2025, 8, 1), date(2025, 9, 1)],
        400_000,
    )


def test_a_lowered_amount_claims_the_difference(dc_award, staff_a):
    pay_april_to_september(dc_award, staff_a)
    services.award_event_create(
        award=dc_award,
        kind="amount_change",
        start_date=date(2025, 8, 1),
        annual_living_cost=2_000_000,
        acting_user=staff_a,
    )
    [claim] = selectors.award_claims(dc_award)
    # August and September: 2 × (200,000 − 166,666.67), truncated once
    assert (claim.kind, claim.amount) == ("amount_change", 66_666)


def test_a_claim_is_settled_by_decisions_never_edits(dc_award, staff_a):
    # given a claim of ¥400,000
    pay_april_to_september(dc_award, staff_a)
    suspension = services.award_event_create(
        award=dc_award, kind="suspension", start_date=date(2025, 7, 1), end_date=date(2025, 8, 31), acting_user=staff_a
    )
    # when ¥300,000 is repaid and ¥100,000 waived
    payments.claim_settle(
        award=dc_award,
        cause_event_id=suspension.pk,
        kind="repaid",
        amount=300_000,
        reason="振込確認",
        acting_user=staff_a,
    )
    with pytest.raises(ValidationError) as refused:
        payments.claim_settle(
            award=dc_award, cause_event_id=suspension.pk, kind="waived", amount=200_000, reason="x", acting_user=staff_a
        )
    assert refused.value.error_dict["amount"][0].code == "too_large"
    payments.claim_settle(
        award=dc_award,
        cause_event_id=suspension.pk,
        kind="waived",
        amount=100_000,
        reason="災害による免除",
        acting_user=staff_a,
    )
    # then the claim is settled, and both decisions say who and why
    [claim] = selectors.award_claims(dc_award)
    assert (claim.amount, claim.repaid, claim.open_amount, claim.state) == (400_000, 300_000, 0, "settled")
    assert [(s.kind, s.decided_by, s.reason) for s in claim.settlements] == [
        ("repaid", staff_a, "振込確認"),
        ("waived", staff_a, "災害による免除"),
    ]
    with pytest.raises(ValidationError):
        payments.claim_settle(
            award=dc_award, cause_event_id=suspension.pk, kind="repaid", amount=1, reason="x", acting_user=staff_a
        )
    assert ClaimSettlement.objects.count() == 2


def test_a_withdrawn_change_after_repayment_shows_the_claim_cancelled(dc_award, staff_a):
    pay_april_to_september(dc_award, staff_a)
    suspension = services.award_event_create(
        award=dc_award, kind="suspension", start_date=date(2025, 7, 1), end_date=date(2025, 8, 31), acting_user=staff_a
    )
    payments.claim_settle(
        award=dc_award,
        cause_event_id=suspension.pk,
        kind="repaid",
        amount=400_000,
        reason="振込確認",
        acting_user=staff_a,
    )
    services.award_event_withdraw(event=suspension, acting_user=staff_a)
    [claim] = selectors.award_claims(dc_award)
    assert (claim.state, claim.amount, claim.repaid) == ("cancelled", 0, 400_000)  # the repayment is owed back
