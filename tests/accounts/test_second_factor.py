"""The second factor (issue #17 item 2): TOTP with single-use recovery codes, required for
ministry, officer and administrator accounts, optional for university staff."""

import re
from base64 import b32decode
from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import second_factor
from accounts.demo import totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.real_second_factor]

PASSWORD = "pass-for-tests-1"


def sign_in(client, username):
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return response


def wait_out_the_throttle(user) -> None:
    """django-otp locks a device for 2^(n-1) seconds after n failures: let that time pass."""
    past = timezone.now() - timedelta(hours=1)
    TOTPDevice.objects.filter(user=user).update(throttling_failure_timestamp=past)
    StaticDevice.objects.filter(user=user).update(throttling_failure_timestamp=past)


def enrolled(user) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    second_factor.recovery_codes_issue(user=user)
    return device


def test_a_ministry_official_enrols_an_authenticator_from_a_qr_code_drawn_by_the_page(
    client, ministry_viewer, reference
):
    # given: a ministry official without an authenticator signs in with their password
    sign_in(client, "ministry")
    # when they open a national page
    response = client.get("/dashboards/")
    # then they are sent to enrol one first
    assert response.status_code == 302
    assert response["Location"] == "/accounts/second-factor/setup/?next=%2Fdashboards%2F"
    setup = client.get(response["Location"])
    html = setup.content.decode()
    assert '<svg viewBox="0 0' in html  # the QR code is the page's own SVG, no image from elsewhere
    assert "<img" not in html.split('id="totp-qr"')[1].split("</figure>")[0]
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', html).group(1)
    # a wrong code is refused, and the pages stay closed
    wrong = client.post(setup.request["PATH_INFO"], {"token": "000000", "next": "/dashboards/"})
    assert "コードが正しくありません" in wrong.content.decode()
    assert client.get("/dashboards/").status_code == 302
    wait_out_the_throttle(ministry_viewer)
    # the code the app shows confirms it, and ten recovery codes are shown once
    done = client.post("/accounts/second-factor/setup/", {"token": f"{totp(b32decode(secret)):06d}"})
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    assert TOTPDevice.objects.get(user=ministry_viewer).confirmed
    assert client.get("/dashboards/").status_code == 200


def test_a_ministry_official_must_pass_the_second_factor_at_each_sign_in(client, ministry_viewer, reference):
    device = enrolled(ministry_viewer)
    sign_in(client, "ministry")
    # every page, and the API with the session, waits for the code
    redirect = client.get("/dashboards/")
    assert redirect["Location"] == "/accounts/second-factor/verify/?next=%2Fdashboards%2F"
    api = client.get("/api/v1/stats/headcount/?fiscal_year=2025")
    assert api.status_code == 403
    assert api["Content-Type"] == "application/problem+json"
    # a wrong code is refused
    wrong = client.post("/accounts/second-factor/verify/", {"token": "123456", "next": "/dashboards/"})
    assert wrong.status_code == 200
    assert "コードが正しくありません" in wrong.content.decode()
    assert client.get("/dashboards/").status_code == 302
    # right after a failure even the right code waits (django-otp's throttle)
    device.refresh_from_db()
    throttled = client.post("/accounts/second-factor/verify/", {"token": totp_code(device)})
    assert "しばらく受け付けません" in throttled.content.decode()
    # the right one opens the page asked for
    wait_out_the_throttle(ministry_viewer)
    device.refresh_from_db()
    passed = client.post("/accounts/second-factor/verify/", {"token": totp_code(device), "next": "/dashboards/"})
    assert passed["Location"] == "/dashboards/"
    assert client.get("/dashboards/").status_code == 200


def test_recovery_codes_work_once(client, ministry_viewer, reference):
    enrolled(ministry_viewer)
    codes = second_factor.recovery_codes_issue(user=ministry_viewer)
    sign_in(client, "ministry")
    assert client.post("/accounts/second-factor/verify/", {"token": codes[0]}).status_code == 302
    assert client.get("/dashboards/").status_code == 200
    client.post("/accounts/logout/")
    sign_in(client, "ministry")
    again = client.post("/accounts/second-factor/verify/", {"token": codes[0]})
    assert again.status_code == 200
    assert "コードが正しくありません" in again.content.decode()
    wait_out_the_throttle(ministry_viewer)
    assert client.post("/accounts/second-factor/verify/", {"token": codes[1].upper()}).status_code == 302


def test_an_offsite_next_is_not_followed(client, ministry_viewer, reference):
    device = enrolled(ministry_viewer)
    sign_in(client, "ministry")
    passed = client.post(
        "/accounts/second-factor/verify/", {"token": totp_code(device), "next": "https://evil.example/"}
    )
    assert passed["Location"] == "/"


def test_a_remembered_browser_skips_the_code_until_the_cookie_expires(client, ministry_viewer, settings, reference):
    device = enrolled(ministry_viewer)
    sign_in(client, "ministry")
    passed = client.post("/accounts/second-factor/verify/", {"token": totp_code(device), "remember": "on"})
    cookie = passed.cookies[second_factor.REMEMBER_COOKIE]
    assert cookie["max-age"] == 30 * 24 * 3600
    assert cookie["httponly"]
    # a new sign-in from this browser passes without a code
    client.post("/accounts/logout/")
    sign_in(client, "ministry")
    assert client.get("/dashboards/").status_code == 200
    # once the cookie is older than OTP_REMEMBER_DAYS, the code is asked again
    client.post("/accounts/logout/")
    settings.OTP_REMEMBER_DAYS = 0
    sign_in(client, "ministry")
    assert client.get("/dashboards/").status_code == 302


def test_a_remembered_browser_is_forgotten_when_the_password_changes(client, ministry_viewer, reference):
    device = enrolled(ministry_viewer)
    sign_in(client, "ministry")
    client.post("/accounts/second-factor/verify/", {"token": totp_code(device), "remember": "on"})
    client.post("/accounts/logout/")
    ministry_viewer.set_password("another-pass-for-tests-2")
    ministry_viewer.save()
    client.post("/accounts/login/", {"username": "ministry", "password": "another-pass-for-tests-2"})
    assert client.get("/dashboards/").status_code == 302


def test_staff_may_go_without_a_second_factor_but_once_enrolled_pass_it(client, staff_a, university_a):
    sign_in(client, "staff_a")
    assert client.get("/students/").status_code == 200
    client.post("/accounts/logout/")
    device = enrolled(staff_a)
    sign_in(client, "staff_a")
    assert client.get("/students/")["Location"].startswith("/accounts/second-factor/verify/")
    client.post("/accounts/second-factor/verify/", {"token": totp_code(device)})
    assert client.get("/students/").status_code == 200


def test_replacing_the_authenticator_needs_the_current_one_first(client, program_officer):
    enrolled(program_officer)
    sign_in(client, "officer")
    response = client.get("/accounts/second-factor/setup/")
    assert response["Location"].startswith("/accounts/second-factor/verify/")
    assert TOTPDevice.objects.filter(user=program_officer, confirmed=False).count() == 0


def test_api_keys_need_no_second_factor(client, reference):
    from students.api.keys import api_key_create

    _key, secret = api_key_create(name="MEXT", scope="ministry", university=None, acting_user=None)
    response = client.get("/api/v1/stats/headcount/?fiscal_year=2025", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
