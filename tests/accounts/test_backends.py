"""The signed-in person read back on every request (accounts.backends): the user with their
membership and its university in one query, for password and federated sessions alike."""

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.backends import MembershipBackend
from accounts.saml import FederatedBackend
from phdsupport import access

pytestmark = pytest.mark.django_db


def reads_of(captured, table: str) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if f'FROM "{table}"' in q["sql"]]


def test_a_signed_in_request_reads_the_user_membership_and_university_in_one_query(client, staff_a, reference):
    # given: a member of staff signed in with a password, in a session that made a request already
    signed_in = client.post("/accounts/login/", {"username": "staff_a", "password": "pass-for-tests-1"})
    assert signed_in.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == "accounts.backends.MembershipBackend"
    client.get("/")
    # when
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")
    # then: the header names the role and the university, and the person was read once, joined
    assert response.status_code == 200
    assert "大学担当者 · 甲大学" in response.content.decode()
    (user_read,) = reads_of(captured, "auth_user")
    assert 'JOIN "students_membership"' in user_read
    assert 'JOIN "students_university"' in user_read
    assert reads_of(captured, "students_membership") == []
    assert not [sql for sql in reads_of(captured, "students_university") if 'WHERE "students_university"."id" =' in sql]


def test_the_backend_reads_one_query_and_answers_who_the_person_is(staff_a, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = MembershipBackend().get_user(staff_a.pk)
        grant = access.grant_of(user)
        university = user.membership.university
    assert (grant.role, grant.university_id, university.name_ja) == (
        "university_staff",
        staff_a.membership.university_id,
        "甲大学",
    )


def test_a_person_without_a_role_is_read_and_holds_no_grant(db, django_assert_num_queries):
    waiting = get_user_model().objects.create_user(username="waiting", password="pass-for-tests-1")
    with django_assert_num_queries(1):
        user = MembershipBackend().get_user(waiting.pk)
        assert access.grant_of(user) == access.NOBODY
    assert user == waiting


def test_a_stopped_or_missing_account_is_no_one(staff_a):
    get_user_model().objects.filter(pk=staff_a.pk).update(is_active=False)
    assert MembershipBackend().get_user(staff_a.pk) is None
    assert MembershipBackend().get_user(staff_a.pk + 1000) is None


def test_the_async_read_joins_the_same_rows(staff_a):
    user = async_to_sync(MembershipBackend().aget_user)(staff_a.pk)
    assert user.membership.university.name_ja == "甲大学"  # joined: no query in async code


def test_the_federated_backend_reads_the_user_the_same_way(staff_a, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = FederatedBackend().get_user(staff_a.pk)
        assert user.membership.university.name_ja == "甲大学"
