"""A paid month is never edited away (issue #15, DOMAIN.md "A correction is a new ledger entry,
never an edit"): deleting an award or a student with ledger entries is refused with a message
in the user's language, and the ledger's foreign key protects it from any other path. On the
old code (on_delete=CASCADE, no refusal) each of these deleted the ledger silently."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.utils import translation

from payments import services as payments
from payments.models import PaymentEntry
from programs.models import Program
from students import services
from students.api.keys import api_key_create
from students.models import Award, Student
from tests.api.test_api import client_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(dc_award, staff_a):
    payments.payment_record(
        award=dc_award,
        month=date(2025, 4, 1),
        living_cost=200_000,
        research_cost=0,
        pay_date=date(2025, 4, 20),
        acting_user=staff_a,
    )
    return dc_award


def test_deleting_a_paid_award_is_refused_and_the_ledger_stays(paid, staff_a):
    with pytest.raises(ValidationError) as refused:
        services.award_delete(award=paid, acting_user=staff_a)
    assert "支給実績が記録されている支援があるため削除できません" in refused.value.messages[0]
    assert Award.objects.filter(pk=paid.pk).exists()
    assert PaymentEntry.objects.filter(award=paid).count() == 1


def test_deleting_a_student_with_a_paid_award_is_refused_in_english_too(paid, staff_a):
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            services.student_delete(student=paid.student, acting_user=staff_a)
        assert "payments recorded" in refused.value.messages[0]
    assert Student.objects.filter(pk=paid.student_id).exists()
    assert PaymentEntry.objects.count() == 1


def test_an_award_without_payments_is_still_deleted(paid, staff_a):
    other = services.award_create(
        student=paid.student,
        program=Program.objects.get(code="EMERGENT_RA"),
        start_date=date(2025, 4, 1),
        end_date=date(2026, 3, 31),
        annual_living_cost=1_200_000,
        acting_user=staff_a,
    )
    services.award_delete(award=other, acting_user=staff_a)
    assert not Award.objects.filter(pk=other.pk).exists()


def test_the_api_refuses_the_deletion_with_the_message(paid, staff_a, university_a):
    key = api_key_create(name="w", scope="write", university=university_a, acting_user=staff_a)[1]
    client = client_with(key, language="en")
    response = client.delete(f"/api/v1/awards/{paid.pk}/", HTTP_IF_MATCH="*")
    assert response.status_code == 422
    assert "payments recorded" in response.content.decode()
    assert PaymentEntry.objects.count() == 1


def test_the_foreign_key_protects_the_ledger_on_any_other_path(paid):
    with pytest.raises(ProtectedError):
        Award.objects.get(pk=paid.pk).delete()
    assert PaymentEntry.objects.count() == 1
