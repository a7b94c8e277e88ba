"""Sign-in throttling by django-axes: a username from one address, never anyone else. Ref: #12"""

import pytest
from django.test import RequestFactory, override_settings

from phdsupport.views import client_address

PASSWORD = "pass-for-tests-1"


def sign_in(client, username, password, address="192.0.2.10", **headers):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def fail_five_times(client, username, address="192.0.2.10", **headers):
    responses = [sign_in(client, username, "wrong", address, **headers) for _ in range(5)]
    assert [r.status_code for r in responses[:4]] == [200] * 4
    return responses[-1]


def test_five_failures_lock_the_username_from_that_address(client, staff_a):
    # given / when
    fifth = fail_five_times(client, "staff_a")
    # then: the fifth failure already answers with the lockout, and so does the right password
    assert fifth.status_code == 429
    response = sign_in(client, "staff_a", PASSWORD)
    assert response.status_code == 429
    assert "15分間ログインできません" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_another_user_at_the_same_address_still_signs_in(client, staff_a, staff_b):
    # given: staff_a is locked out from this address (a university's shared NAT address)
    fail_five_times(client, "staff_a")
    # when
    response = sign_in(client, "staff_b", PASSWORD)
    # then
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff_b.pk)


def test_the_same_user_from_another_address_still_signs_in(client, staff_a):
    # given: someone guessing staff_a's password from elsewhere cannot lock staff_a out
    fail_five_times(client, "staff_a", address="203.0.113.66")
    # when
    response = sign_in(client, "staff_a", PASSWORD, address="192.0.2.10")
    # then
    assert response.status_code == 302


def test_four_failures_then_success_start_the_count_again(client, staff_a):
    for _ in range(4):
        sign_in(client, "staff_a", "wrong")
    assert sign_in(client, "staff_a", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert sign_in(client, "staff_a", "wrong").status_code == 200
    assert sign_in(client, "staff_a", PASSWORD).status_code == 302


def test_a_forwarded_for_header_is_ignored_without_trusted_proxies(client, staff_a):
    # given: five failures, each claiming another address in X-Forwarded-For
    for n in range(5):
        sign_in(client, "staff_a", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    # when / then: the peer address is what counts, so the lock holds
    assert sign_in(client, "staff_a", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, "198.51.100.1", "10.0.0.2"),
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        (2, "6.6.6.6, 198.51.100.1, 10.0.0.3", "198.51.100.1"),
        (1, "", "10.0.0.2"),
    ],
)
def test_client_address_trusts_only_the_configured_proxies(proxies, forwarded_for, expected):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for)
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert client_address(request) == expected


def test_lockout_message_in_english(client, staff_a):
    client.cookies["django_language"] = "en"
    fail_five_times(client, "staff_a")
    response = sign_in(client, "staff_a", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
