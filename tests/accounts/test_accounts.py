"""Accounts (issue #17 item 3): administrators and a university's lead staff invite, change
roles of and stop their own university's accounts; every change recorded; sessions end after a
while idle, after a maximum, and when the role changes."""

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import AccountEvent
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_a(university_a):
    user = user_with_role("lead_a", "university_staff", university=university_a)
    user.membership.can_certify = True
    user.membership.save()
    return user


@pytest.fixture
def administrator(db):
    return user_with_role("root", "administrator")


def test_an_administrator_invites_by_mail_and_the_password_must_pass_the_validators(
    client, administrator, reference, django_capture_on_commit_callbacks
):
    # given
    client.force_login(administrator)
    # when: an officer for SPRING is invited
    from programs.models import Program

    spring = Program.objects.get(code="SPRING")
    with django_capture_on_commit_callbacks(execute=True):  # the mail leaves once the account is saved
        response = client.post(
            "/accounts/users/new/",
            {
                "username": "newofficer",
                "email": "new@example.go.jp",
                "role": "program_officer",
                "programs": [spring.pk],
            },
        )
    # then: the account exists without a password, with the role, and a link went out by mail
    assert response.status_code == 302
    account = get_user_model().objects.get(username="newofficer")
    assert not account.has_usable_password()
    assert account.membership.role == "program_officer"
    assert list(account.membership.programs.values_list("code", flat=True)) == ["SPRING"]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.go.jp"]
    link = re.search(r"http://testserver(/accounts/set-password/\S+/)", mail.outbox[0].body).group(1)
    event = AccountEvent.objects.get(account=account)
    assert (event.kind, event.actor_name, event.after["role"]) == ("invited", "root", "program_officer")
    # when the person opens the link and picks a weak password, it is refused
    client.logout()
    form_url = client.get(link)["Location"]  # Django hides the token behind a redirect
    weak = client.post(form_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200
    assert not get_user_model().objects.get(pk=account.pk).has_usable_password()
    # a good one is taken, and the link works only once
    good = client.post(form_url, {"new_password1": "Kasumigaseki-2025!", "new_password2": "Kasumigaseki-2025!"})
    assert good["Location"] == "/accounts/login/"
    assert get_user_model().objects.get(pk=account.pk).check_password("Kasumigaseki-2025!")
    assert b'id="invalid-link"' in client.get(link, follow=True).content


def test_lead_staff_invite_only_staff_of_their_own_university(client, lead_a, university_a, university_b):
    client.force_login(lead_a)
    # the form offers only university staff, at their university
    page = client.get("/accounts/users/new/")
    assert [value for value, _label in page.context["form"].fields["role"].choices] == ["university_staff"]
    refused = client.post(
        "/accounts/users/new/", {"username": "x", "email": "x@example.ac.jp", "role": "administrator"}
    )
    assert refused.status_code == 200
    assert not get_user_model().objects.filter(username="x").exists()
    # the service refuses another university whatever the form sends
    with pytest.raises(ValidationError) as refused_service:
        services.account_invite(
            acting_user=lead_a,
            username="y",
            email="y@example.ac.jp",
            role="university_staff",
            university=university_b,
            site_url="http://testserver/",
        )
    assert refused_service.value.error_dict["university"][0].code == "university_not_yours"
    ok = client.post(
        "/accounts/users/new/",
        {"username": "z", "email": "z@example.ac.jp", "role": "university_staff", "university": university_a.pk},
    )
    assert ok.status_code == 302
    assert get_user_model().objects.get(username="z").membership.university == university_a


def test_lead_staff_see_only_their_universitys_accounts(client, lead_a, staff_a, staff_b):
    client.force_login(lead_a)
    listed = {a.username for a in client.get("/accounts/users/").context["page"]}
    assert listed == {"lead_a", "staff_a"}
    assert client.get(f"/accounts/users/{staff_b.pk}/").status_code == 404
    assert client.post(f"/accounts/users/{staff_b.pk}/active/", {"active": "0"}).status_code == 404
    client.force_login(staff_a)  # staff without the lead flag manage nothing
    assert client.get("/accounts/users/").status_code == 403


def test_a_role_change_is_recorded_and_ends_the_persons_sessions(client, lead_a, staff_a, university_a):
    # given: staff_a is signed in on their own browser
    from django.test import Client

    theirs = Client()
    theirs.force_login(staff_a)
    assert theirs.get("/students/").status_code == 200
    # when: the lead staff make them certifying staff
    client.force_login(lead_a)
    response = client.post(
        f"/accounts/users/{staff_a.pk}/",
        {"role": "university_staff", "university": university_a.pk, "can_certify": "on"},
    )
    assert response.status_code == 302
    # then: their session is gone, the change is recorded with before and after
    assert theirs.get("/students/")["Location"].startswith("/accounts/login/")
    event = AccountEvent.objects.get(account=staff_a, kind="role_changed")
    assert (event.before["can_certify"], event.after["can_certify"], event.actor_name) == (False, True, "lead_a")
    assert staff_a.membership.history.count() >= 2  # django-simple-history keeps the rows too
    # the lead's own session goes on
    assert client.get("/accounts/users/").status_code == 200


def test_a_stopped_account_is_signed_out_and_cannot_sign_in(client, lead_a, staff_a):
    from django.test import Client

    theirs = Client()
    theirs.force_login(staff_a)
    client.force_login(lead_a)
    client.post(f"/accounts/users/{staff_a.pk}/active/", {"active": "0"})
    assert theirs.get("/students/").status_code == 302
    credentials = {"username": "staff_a", "password": "pass-for-tests-1"}
    assert theirs.post("/accounts/login/", credentials).status_code == 200  # the form again, refused
    client.post(f"/accounts/users/{staff_a.pk}/active/", {"active": "1"})
    assert theirs.post("/accounts/login/", credentials).status_code == 302
    assert [e.kind for e in AccountEvent.objects.filter(account=staff_a).order_by("id")] == [
        "deactivated",
        "reactivated",
    ]


def test_nobody_changes_their_own_role_or_stops_themselves(lead_a, university_a):
    with pytest.raises(ValidationError):
        services.account_set_active(acting_user=lead_a, account=lead_a, active=False)
    with pytest.raises(ValidationError):
        services.account_change_role(
            acting_user=lead_a, account=lead_a, role="university_staff", university=university_a
        )


def test_a_session_ends_after_the_idle_period_and_after_the_maximum(client, staff_a, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client.force_login(staff_a)
    assert client.get("/students/").status_code == 200
    # idle longer than SESSION_COOKIE_AGE
    session = client.session
    session[services.SEEN_SESSION_KEY] = int(time.time()) - settings.SESSION_COOKIE_AGE - 1
    session.save()
    assert client.get("/students/")["Location"] == "/accounts/login/?next=/students/"
    # active all along, but signed in longer than SESSION_MAX_HOURS ago
    client.force_login(staff_a)
    session = client.session
    session[services.SIGNED_IN_SESSION_KEY] = int(time.time()) - settings.SESSION_MAX_HOURS * 3600 - 1
    session.save()
    assert client.get("/students/")["Location"] == "/accounts/login/?next=/students/"
