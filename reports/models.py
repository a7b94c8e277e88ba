from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from phdsupport.history import audited_history
from phdsupport.validation import DATE_VALIDATORS, MULTILINE_VALIDATORS
from programs.models import Program
from reports.managers import ReportQuerySet
from students.models import University


class Report(models.Model):
    """A university's annual report (実績報告) on one program for one fiscal year."""

    class State(models.TextChoices):
        DRAFT = "draft", _("作成中")
        SUBMITTED = "submitted", _("提出済み")
        ACCEPTED = "accepted", _("受理")

    university = models.ForeignKey(University, on_delete=models.PROTECT, related_name="reports", verbose_name=_("大学"))
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="reports", verbose_name=_("支援事業"))
    fiscal_year = models.PositiveSmallIntegerField(_("年度"))
    state = models.CharField(_("状態"), max_length=16, choices=State.choices, default=State.DRAFT)
    comments = models.TextField(_("所見・補足"), blank=True, validators=MULTILINE_VALIDATORS)
    career_activities = models.TextField(
        _("キャリア開発の取組（インターンシップ・海外渡航など）"), blank=True, validators=MULTILINE_VALIDATORS
    )
    officer_comment = models.TextField(_("担当官のコメント"), blank=True, validators=MULTILINE_VALIDATORS)
    figures = models.JSONField(_("報告時の数値"), default=dict)
    version = models.PositiveIntegerField(_("版"), default=1)
    submitted_at = models.DateTimeField(_("提出日時"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    history = audited_history(excluded_fields=["updated_at"])  # texts, figures and states, by whom
    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-fiscal_year", "university", "program"]
        verbose_name = _("実績報告")
        verbose_name_plural = _("実績報告")
        constraints = [
            models.UniqueConstraint(
                fields=["university", "program", "fiscal_year"],
                name="report_one_per_university_program_year",
                violation_error_message=_("この年度・事業の報告は既にあります。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.university} {self.program.code} FY{self.fiscal_year} {self.get_state_display()}"


class ReportEvent(models.Model):
    """Who moved a report from one state to another, when, and why (kept forever)."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("提出")
        RETURN = "return", _("差戻し")
        ACCEPT = "accept", _("受理")
        REOPEN = "reopen", pgettext_lazy("report", "再開")  # not an award's resumption

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    from_state = models.CharField(max_length=16)
    to_state = models.CharField(max_length=16)
    comment = models.TextField(blank=True, validators=MULTILINE_VALIDATORS)
    acting_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report", "created_at", "pk"]
        verbose_name = _("実績報告の履歴")
        verbose_name_plural = _("実績報告の履歴")

    def __str__(self) -> str:
        return f"{self.report_id} {self.action}"


class ReportDeadline(models.Model):
    """When the reports on a program for a fiscal year are due (set by the agency each year)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="deadlines", verbose_name=_("支援事業"))
    fiscal_year = models.PositiveSmallIntegerField(_("年度"))
    due_date = models.DateField(_("提出期限"), validators=DATE_VALIDATORS)
    history = audited_history()  # who moved a deadline, and when

    class Meta:
        ordering = ["-fiscal_year", "program"]
        verbose_name = _("報告の提出期限")
        verbose_name_plural = _("報告の提出期限")
        constraints = [models.UniqueConstraint(fields=["program", "fiscal_year"], name="deadline_one_per_program_year")]

    def __str__(self) -> str:
        return f"{self.program.code} FY{self.fiscal_year} {self.due_date}"
