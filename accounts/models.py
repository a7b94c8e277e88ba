"""Who signs in and what they read: the access log of personal data (issue #17)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from phdsupport.personal_data import ReadKind

APPEND_ONLY = "The access log is append-only: its rows are never changed, and removed only by the retention purge."


class AppendOnlyError(RuntimeError):
    pass


class PersonalDataReadQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(APPEND_ONLY)

    def delete(self):
        raise AppendOnlyError(APPEND_ONLY)

    def purge_before(self, cutoff: datetime) -> int:
        """The retention purge, the one way rows leave (accounts.services.personal_data_reads_purge)."""
        deleted, _by_model = models.QuerySet.delete(self.filter(at__lt=cutoff))
        return deleted


class PersonalDataRead(models.Model):
    """One student's record read by one request: who, when, from where, how, and what was asked.

    A read that matched nobody is one row without a student, keeping the query. Rows of one request
    share `request_id`. The student and the reader are kept as plain ids (no database constraint),
    so the log outlives a deleted student or account; the reader's username is kept as it was.
    """

    request_id = models.UUIDField(_("リクエスト"), db_index=True)
    at = models.DateTimeField(_("日時"), db_index=True)
    kind = models.CharField(_("種類"), max_length=16, choices=ReadKind.choices)
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
        verbose_name=_("閲覧者"),
    )
    reader_name = models.CharField(_("閲覧者のユーザー名"), max_length=150)
    reader_university_id = models.IntegerField(_("閲覧者の大学"), null=True, blank=True)
    api_key_prefix = models.CharField(_("APIキー"), max_length=32, blank=True)
    address = models.GenericIPAddressField(_("接続元"), null=True, blank=True)
    path = models.CharField(_("URL"), max_length=500)
    query = models.CharField(_("条件"), max_length=1000, blank=True)
    student = models.ForeignKey(
        "students.Student",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
        verbose_name=_("学生"),
    )
    student_university_id = models.IntegerField(_("学生の大学"), null=True, blank=True)

    objects = PersonalDataReadQuerySet.as_manager()

    class Meta:
        verbose_name = _("個人情報の閲覧記録")
        verbose_name_plural = _("個人情報の閲覧記録")
        indexes = [
            models.Index(fields=["student", "at"], name="read_student_at"),
            models.Index(fields=["reader", "at"], name="read_reader_at"),
            models.Index(fields=["student_university_id", "at"], name="read_university_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.reader_name} {self.kind} {self.student_id or self.query}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(APPEND_ONLY)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(APPEND_ONLY)


class AccountEvent(models.Model):
    """A change to a person's account: invited, role changed, deactivated, reactivated; who made
    it, when, and the role before and after. Written by accounts.services only, never changed."""

    class Kind(models.TextChoices):
        INVITED = "invited", _("招待")
        ROLE_CHANGED = "role_changed", _("役割の変更")
        DEACTIVATED = "deactivated", _("利用停止")
        REACTIVATED = "reactivated", _("利用再開")

    at = models.DateTimeField(_("日時"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("種類"), max_length=16, choices=Kind.choices)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_events", verbose_name=_("利用者")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("操作した人"),
    )
    actor_name = models.CharField(_("操作した人のユーザー名"), max_length=150)
    before = models.JSONField(_("変更前"), default=dict, blank=True)
    after = models.JSONField(_("変更後"), default=dict, blank=True)

    class Meta:
        verbose_name = _("利用者の変更記録")
        verbose_name_plural = _("利用者の変更記録")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.kind} {self.account_id}"


class SignedInSession(models.Model):
    """A session a person signed in with, so that changing their role or stopping their account
    ends every one of them (sessions are stored by key, not by person)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ログイン中のセッション")
        verbose_name_plural = _("ログイン中のセッション")

    def __str__(self) -> str:
        return f"{self.user_id} {self.session_key[:6]}…"


class FederatedIdentity(models.Model):
    """Who a person is at their institution's identity provider (SAML), and the university the
    provider's organisation attribute maps to. The account is found by this, never by a username
    the provider sends, so a federated sign-in cannot take over a local account."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="federated_identity", verbose_name=_("利用者")
    )
    idp_entity_id = models.CharField(_("IdP"), max_length=500)
    subject = models.CharField(_("機関での識別子"), max_length=500)
    university = models.ForeignKey(
        "students.University", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("大学")
    )
    first_seen = models.DateTimeField(_("初回ログイン"), auto_now_add=True)
    last_seen = models.DateTimeField(_("最終ログイン"), auto_now=True)

    class Meta:
        verbose_name = _("学認などのID")
        verbose_name_plural = _("学認などのID")
        constraints = [
            models.UniqueConstraint(fields=["idp_entity_id", "subject"], name="federated_identity_unique_subject")
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.idp_entity_id})"
