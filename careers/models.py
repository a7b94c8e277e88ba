from django.db import models
from django.utils.translation import gettext_lazy as _

from careers.managers import CareerOutcomeQuerySet
from phdsupport.history import audited_history
from phdsupport.validation import TEXT_VALIDATORS
from students.models import Student, University


class CareerOutcome(models.Model):
    """Where a completed (or withdrawn) student is at one survey point after the degree."""

    class SurveyPoint(models.TextChoices):
        COMPLETION = "completion", _("修了時")
        YEAR_1 = "year_1", _("1年後")
        YEAR_5 = "year_5", _("5年後")
        YEAR_10 = "year_10", _("10年後")

    class Destination(models.TextChoices):
        PERMANENT_RESEARCH = "permanent_research", _("任期なし研究職")
        POSTDOC = "postdoc", _("ポストドクター")
        NON_PERMANENT_RESEARCH = "non_permanent_research", _("任期付き研究職")
        NON_RESEARCH = "non_research", _("研究職以外の職")
        STUDENT = "student", _("進学・学生")
        NOT_EMPLOYED = "not_employed", _("無業・その他")
        UNKNOWN = "unknown", _("不明")

    class Sector(models.TextChoices):
        ACADEMIA = "academia", _("大学等")
        COMPANY = "company", _("企業")
        GOVERNMENT = "government", _("公的機関")
        STARTUP = "startup", _("スタートアップ")
        OTHER = "other", _("その他")

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="careers", verbose_name=_("学生"))
    # The student's university, copied (as on awards) so a university's records are read through
    # one index, not by walking every student of the country.
    university = models.ForeignKey(
        University, on_delete=models.CASCADE, related_name="+", editable=False, verbose_name=_("大学")
    )
    survey_point = models.CharField(_("調査時点"), max_length=16, choices=SurveyPoint.choices)
    destination = models.CharField(_("進路"), max_length=32, choices=Destination.choices)
    sector = models.CharField(_("セクター"), max_length=16, choices=Sector.choices, blank=True)
    employer = models.CharField(_("勤務先"), max_length=200, blank=True, validators=TEXT_VALIDATORS)
    country = models.CharField(_("国・地域（ISO 3166 英字2字）"), max_length=2, blank=True, validators=TEXT_VALIDATORS)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True, db_index=True)
    version = models.PositiveIntegerField(_("版"), default=1)

    history = audited_history(excluded_fields=["updated_at"])
    objects = CareerOutcomeQuerySet.as_manager()

    class Meta:
        ordering = ["student", "survey_point"]
        verbose_name = _("修了後の進路")
        verbose_name_plural = _("修了後の進路")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "survey_point"],
                name="career_one_per_student_point",
                violation_error_message=_("この時点の進路は既に登録されています。"),
            )
        ]
        indexes = [models.Index(fields=["university", "id"], name="career_university_id")]

    def __str__(self) -> str:
        return f"{self.student} {self.get_survey_point_display()} {self.get_destination_display()}"

    def save(self, *args, **kwargs):
        if self.university_id is None:
            self.university_id = self.student.university_id
        super().save(*args, **kwargs)
