from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from enrolment.managers import EnrolmentStatisticQuerySet
from phdsupport.history import audited_history
from students.models import Field, University


class EnrolmentStatistic(models.Model):
    """A university's reported doctoral-course figures for one fiscal year and field (学系).

    DOMAIN.md "Enrolment statistics": admission capacity, entrants (of which from a master's course,
    working adults, international), enrolled on 1 May, degrees conferred (課程博士) and completions
    within the standard term. Written only through enrolment.services.
    """

    class StandardTerm(models.IntegerChoices):
        THREE = 3, _("3年")
        FOUR = 4, _("4年")
        FIVE = 5, _("5年")

    university = models.ForeignKey(
        University, on_delete=models.PROTECT, related_name="enrolment_statistics", verbose_name=_("大学")
    )
    fiscal_year = models.PositiveSmallIntegerField(_("年度"))
    field = models.CharField(_("学系"), max_length=32, choices=Field.choices)
    admission_capacity = models.PositiveIntegerField(_("入学定員"))
    entrants = models.PositiveIntegerField(_("入学者数"))
    entrants_from_masters = models.PositiveIntegerField(_("うち修士課程からの進学者"), default=0)
    entrants_working_adults = models.PositiveIntegerField(_("うち社会人"), default=0)
    entrants_international = models.PositiveIntegerField(_("うち留学生"), default=0)
    enrolled = models.PositiveIntegerField(_("在籍者数（5月1日）"))
    degrees_conferred = models.PositiveIntegerField(_("学位（課程博士）授与数"))
    completions_within_term = models.PositiveIntegerField(_("標準修業年限内修了者数"))
    standard_term_years = models.PositiveSmallIntegerField(
        _("標準修業年限（年）"), choices=StandardTerm.choices, default=StandardTerm.THREE
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True, db_index=True)
    version = models.PositiveIntegerField(_("版"), default=1)

    history = audited_history(excluded_fields=["updated_at"])
    objects = EnrolmentStatisticQuerySet.as_manager()

    class Meta:
        ordering = ["university", "-fiscal_year", "field"]
        verbose_name = _("在籍・学位授与の統計")
        verbose_name_plural = _("在籍・学位授与の統計")
        constraints = [
            models.UniqueConstraint(
                fields=["university", "fiscal_year", "field"],
                name="enrolment_statistic_one_per_year_field",
                violation_error_message=_("この年度・学系の統計は既に登録されています。"),
            )
        ]
        indexes = [models.Index(fields=["fiscal_year", "field"], name="enrolment_stat_year_field")]

    def __str__(self) -> str:
        return f"{self.university} FY{self.fiscal_year} {self.get_field_display()}"


class EnrolmentYearLock(models.Model):
    """A fiscal year of one university's reported statistics that may no longer change.

    Set by a program officer or administrator once the figures are final (the indicator is
    computed from them); removing it is recorded in history like setting it.
    """

    university = models.ForeignKey(University, on_delete=models.CASCADE, related_name="+", verbose_name=_("大学"))
    fiscal_year = models.PositiveSmallIntegerField(_("年度"))
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("確定者")
    )
    locked_at = models.DateTimeField(_("確定日時"), auto_now_add=True)

    history = audited_history()

    class Meta:
        ordering = ["university", "fiscal_year"]
        verbose_name = _("確定した統計の年度")
        verbose_name_plural = _("確定した統計の年度")
        constraints = [
            models.UniqueConstraint(fields=["university", "fiscal_year"], name="enrolment_lock_one_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.university} FY{self.fiscal_year}"


class IndicatorSnapshot(models.Model):
    """The doctoral-degree indicator as published on a date: inputs and results frozen, so the
    published table can be shown again later whatever is reported afterwards."""

    first_year = models.PositiveSmallIntegerField(_("期間の初年度"))
    published_on = models.DateField(_("公表日"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    rows = models.JSONField(_("入力"), default=list)
    results = models.JSONField(_("結果"), default=list)

    class Meta:
        ordering = ["-published_on", "-created_at"]
        verbose_name = _("博士号授与の状況（公表版）")
        verbose_name_plural = _("博士号授与の状況（公表版）")

    def __str__(self) -> str:
        return f"FY{self.first_year}–FY{self.first_year + 2} ({self.published_on})"
