"""Writes of the accounts app: the access log of personal data (issue #17)."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import AccountEvent, FederatedIdentity, PersonalDataRead, SignedInSession
from phdsupport import access
from phdsupport.personal_data import ReadKind
from phdsupport.views import client_address
from students.models import Membership

BATCH = 2000
SEEN_SESSION_KEY = "accounts_seen"  # when the session last showed activity (epoch seconds)
SIGNED_IN_SESSION_KEY = "accounts_signed_in"  # when the person signed in


def _reader_of(request: Any) -> tuple[Any, str, int | None, str]:
    """(user, username, their university, API key prefix): a key reads as the person who issued it."""
    user = getattr(request, "user", None)
    key = getattr(request, "auth", None)
    prefix = getattr(key, "prefix", "") if key is not None and hasattr(key, "scope") else ""
    university_id = access.staff_university_id(user)
    if prefix:
        person = getattr(key, "created_by", None)
        name = person.get_username() if person is not None else f"api-key:{prefix}"
        return person, name, university_id, prefix
    return user, user.get_username() if user is not None else "", university_id, ""


def personal_data_reads_record(*, request: Any, notes: list[tuple[ReadKind, list[tuple[int, int]], str]]) -> int:
    """Write what a request declared it read: a row per student, one INSERT (on SQLite one per
    2,000 rows).

    Not in a transaction of its own: the rows are one statement for an ordinary page, and a
    failure raises, so the response carrying the data is never sent unrecorded.
    """
    reader, name, university_id, prefix = _reader_of(request)
    common = {
        "request_id": uuid.uuid4(),
        "at": timezone.now(),
        "reader_id": getattr(reader, "pk", None),
        "reader_name": name[:150],
        "reader_university_id": university_id,
        "api_key_prefix": prefix,
        "address": client_address(request) or None,
        "path": request.path[:500],
    }
    # (kind, query, student, their university) a row; a read that matched nobody is one row.
    rows = [
        (kind, query[:1000], student_id, university)
        for kind, students, query in notes
        for student_id, university in (students or [(None, None)])
    ]
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        _insert_reads_from_arrays(common, rows)
    else:
        PersonalDataRead.objects.bulk_create(
            [
                PersonalDataRead(kind=kind, query=query, student_id=student, student_university_id=university, **common)
                for kind, query, student, university in rows
            ],
            batch_size=BATCH,
        )
    return len(rows)


def _insert_reads_from_arrays(common: dict[str, Any], rows: list[tuple]) -> None:
    """PostgreSQL: one INSERT ... SELECT FROM unnest(...) whatever the number of rows.

    The columns that vary pass as four arrays and the request's own columns once, instead of a
    VALUES row of twelve parameters per student (bulk_create also builds and prepares a model
    instance per row, and splits every 2,000 rows).
    """
    meta = PersonalDataRead._meta
    quote = connection.ops.quote_name
    shared = [meta.get_field(name) for name in ("request_id", "at", "reader", "reader_name", "reader_university_id")]
    shared += [meta.get_field(name) for name in ("api_key_prefix", "address", "path")]
    varying = [meta.get_field(name) for name in ("kind", "query", "student", "student_university_id")]
    columns = ", ".join(quote(field.column) for field in shared + varying)
    # Every parameter typed as its column, so PostgreSQL never guesses from an unknown or a NULL.
    constants = ", ".join(f"%s::{field.cast_db_type(connection)}" for field in shared)
    arrays = ", ".join(f"%s::{field.cast_db_type(connection)}[]" for field in varying)
    names = [quote(field.column) for field in varying]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) SELECT {constants}, {', '.join(f'r.{n}' for n in names)} "
        f"FROM unnest({arrays}) AS r({', '.join(names)})"
    )
    values = [list(column) for column in zip(*rows, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*(common[field.attname] for field in shared), *values])


def personal_data_reads_purge(*, now=None) -> int:
    """Remove rows older than PERSONAL_DATA_READ_RETENTION_DAYS (daily by beat); idempotent."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.PERSONAL_DATA_READ_RETENTION_DAYS)
    return PersonalDataRead.objects.purge_before(cutoff)


# --- Accounts: invite, change role, stop, and the sessions that end with them ------------------

ROLE_NOT_YOURS = _("この役割は付与できません。")
UNIVERSITY_NOT_YOURS = _("自分の大学の利用者だけを管理できます。")
UNIVERSITY_REQUIRED = _("大学担当者には大学が必要です。")
USERNAME_TAKEN = _("このユーザー名はすでに使われています。")
NOT_YOURSELF = _("自分の役割や利用状態は変更できません。")


def _snapshot(account: Any) -> dict[str, Any]:
    membership = getattr(account, "membership", None)
    return {
        "is_active": account.is_active,
        "role": membership.role if membership else None,
        "university_id": membership.university_id if membership else None,
        "can_certify": bool(membership and membership.can_certify),
        "programs": sorted(membership.programs.values_list("code", flat=True)) if membership else [],
    }


def _check_grant(*, acting_user: Any, role: str, university: Any) -> None:
    """Refuse (per field) a role or university the acting person may not give."""
    allowed, own_university = access.account_scope(acting_user)
    if not allowed:
        raise PermissionDenied
    if role not in access.roles_assignable_by(acting_user):
        raise ValidationError({"role": ValidationError(ROLE_NOT_YOURS, code="role_not_yours")})
    if role == access.Role.UNIVERSITY_STAFF and university is None:
        raise ValidationError({"university": ValidationError(UNIVERSITY_REQUIRED, code="required")})
    if own_university is not None and getattr(university, "pk", None) != own_university:
        raise ValidationError({"university": ValidationError(UNIVERSITY_NOT_YOURS, code="university_not_yours")})


def _federated_university_id(account: Any) -> int | None:
    return FederatedIdentity.objects.filter(user=account).values_list("university_id", flat=True).first()


def _check_account(*, acting_user: Any, account: Any) -> None:
    membership = getattr(account, "membership", None)
    federated = _federated_university_id(account) if membership is None else None
    if not access.can_manage_account(acting_user, membership, federated_university_id=federated):
        raise PermissionDenied
    if account.pk == acting_user.pk:
        raise ValidationError(NOT_YOURSELF, code="not_yourself")


def _record(*, kind: str, account: Any, acting_user: Any, before: dict, after: dict) -> AccountEvent:
    return AccountEvent.objects.create(
        kind=kind,
        account=account,
        actor=acting_user,
        actor_name=acting_user.get_username(),
        before=before,
        after=after,
    )


def _set_membership(*, account: Any, role: str, university: Any, can_certify: bool, programs: Any) -> None:
    staff = role == access.Role.UNIVERSITY_STAFF
    membership, _created = Membership.objects.update_or_create(
        user=account,
        defaults={"role": role, "university": university if staff else None, "can_certify": staff and can_certify},
    )
    membership.programs.set(programs if role == access.Role.PROGRAM_OFFICER else [])
    account.membership = membership


def set_password_link(*, account: Any, site_url: str) -> str:
    path = reverse(
        "accounts:set_password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(account.pk)),
            "token": default_token_generator.make_token(account),
        },
    )
    return site_url.rstrip("/") + path


@transaction.atomic
def account_invite(
    *,
    acting_user: Any,
    username: str,
    email: str,
    role: str,
    university: Any = None,
    can_certify: bool = False,
    programs: Any = (),
    site_url: str,
) -> Any:
    """Make an account with no password and mail its holder a link to set one (valid
    PASSWORD_RESET_TIMEOUT); the password must pass Django's validators when they set it."""
    _check_grant(acting_user=acting_user, role=role, university=university)
    User = get_user_model()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": ValidationError(USERNAME_TAKEN, code="unique")})
    account = User(username=username, email=email)
    account.set_unusable_password()
    account.full_clean(exclude=["password"])
    account.save()
    _set_membership(account=account, role=role, university=university, can_certify=can_certify, programs=programs)
    _record(
        kind=AccountEvent.Kind.INVITED, account=account, acting_user=acting_user, before={}, after=_snapshot(account)
    )
    link = set_password_link(account=account, site_url=site_url)
    subject = gettext("phdsupport のアカウントが作成されました")
    body = gettext(
        "%(inviter)s さんが phdsupport のアカウント「%(username)s」を作成しました。次のリンクからパスワードを設定してください（%(days)s 日間有効）。\n\n%(link)s\n"
    ) % {
        "inviter": acting_user.get_username(),
        "username": username,
        "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
        "link": link,
    }
    transaction.on_commit(lambda: send_mail(subject, body, None, [email]))
    return account


@transaction.atomic
def account_change_role(
    *, acting_user: Any, account: Any, role: str, university: Any = None, can_certify: bool = False, programs: Any = ()
) -> bool:
    """Give `account` another role (or university, certifying flag, programs); the person's
    sessions end, so the new role applies from their next sign-in. False when nothing changed."""
    _check_account(acting_user=acting_user, account=account)
    _check_grant(acting_user=acting_user, role=role, university=university)
    before = _snapshot(account)
    _set_membership(account=account, role=role, university=university, can_certify=can_certify, programs=programs)
    after = _snapshot(account)
    if before == after:
        return False
    _record(kind=AccountEvent.Kind.ROLE_CHANGED, account=account, acting_user=acting_user, before=before, after=after)
    sessions_end(user=account)
    return True


@transaction.atomic
def account_set_active(*, acting_user: Any, account: Any, active: bool) -> bool:
    """Stop an account (its sessions end, it cannot sign in) or let it sign in again."""
    _check_account(acting_user=acting_user, account=account)
    if account.is_active == active:
        return False
    before = _snapshot(account)
    account.is_active = active
    account.save(update_fields=["is_active"])
    kind = AccountEvent.Kind.REACTIVATED if active else AccountEvent.Kind.DEACTIVATED
    _record(kind=kind, account=account, acting_user=acting_user, before=before, after=_snapshot(account))
    if not active:
        sessions_end(user=account)
    return True


def session_signed_in(*, request: Any, user: Any) -> None:
    """At sign-in: remember the session as the person's, and start its idle clock."""
    SignedInSession.objects.get_or_create(session_key=request.session.session_key, defaults={"user": user})
    now = int(time.time())
    request.session[SEEN_SESSION_KEY] = now
    request.session[SIGNED_IN_SESSION_KEY] = now


def sessions_end(*, user: Any) -> int:
    """End every session the person signed in with."""
    keys = list(SignedInSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    SignedInSession.objects.filter(user=user).delete()
    return len(keys)


def signed_in_sessions_purge() -> int:
    """Forget sessions that expired or were cleared (daily, with the access log's purge)."""
    deleted, _by_model = SignedInSession.objects.exclude(
        session_key__in=Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    ).delete()
    return deleted
