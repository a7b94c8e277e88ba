from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from phdsupport.history import audited_history


class Audience(models.TextChoices):
    DOCTORAL = "doctoral", _("博士後期課程学生")
    POSTDOCTORAL = "postdoctoral", _("博士号取得者")


class Program(models.Model):
    """A government support program (支援事業) such as SPRING or JSPS DC1."""

    code = models.CharField(_("コード"), max_length=32, unique=True)
    name_ja = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英語名"), max_length=200)
    agency = models.CharField(_("実施機関"), max_length=32)
    audience = models.CharField(_("対象"), max_length=16, choices=Audience.choices)
    term_years = models.PositiveSmallIntegerField(
        _("支援期間（年）"), null=True, blank=True, help_text=_("空欄はプロジェクト期間による")
    )
    is_exclusive = models.BooleanField(
        _("重複受給不可"),
        default=False,
        help_text=_("同じ月に他の重複受給不可の事業と併給できない"),
    )
    display_order = models.PositiveSmallIntegerField(_("表示順"), default=0)

    history = audited_history()

    class Meta:
        ordering = ["display_order", "code"]
        verbose_name = _("支援事業")
        verbose_name_plural = _("支援事業")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The program's name in the page's language (codes such as JSPS_DC1 are not names)."""
        return self.name_en if self.name_en and get_language() == "en" else self.name_ja

    @property
    def is_postdoctoral(self) -> bool:
        return self.audience == Audience.POSTDOCTORAL


class StipendRule(models.Model):
    """One version of a program's amounts, in force from `effective_from` until the next version."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="rules")
    effective_from = models.DateField(_("適用開始日"))
    annual_living_cost = models.PositiveIntegerField(_("生活費相当額（年額・円）"))
    annual_research_cost = models.PositiveIntegerField(_("研究費（年額・円）"), default=0)
    annual_other_cost = models.PositiveIntegerField(_("その他（キャリア開発等・年額・円）"), default=0)
    annual_special_allowance = models.PositiveIntegerField(
        _("特別手当（年額・円）"),
        default=0,
        help_text=_("最終年次の優秀者への加算。生活費相当額に含まれる"),
    )
    note = models.CharField(_("備考・出典"), max_length=300, blank=True)

    history = audited_history()

    class Meta:
        ordering = ["program", "effective_from"]
        verbose_name = _("支給額ルール")
        verbose_name_plural = _("支給額ルール")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "effective_from"],
                name="stipendrule_one_version_per_date",
                violation_error_message=_("同じ適用開始日のルールが既にあります。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.program.code} {self.effective_from:%Y-%m-%d}〜 ¥{self.annual_living_cost:,}"


class LivingCostFloor(models.Model):
    """The living-cost floor (生活費相当額の基準) in force from `effective_from`."""

    effective_from = models.DateField(_("適用開始日"), unique=True)
    annual_amount = models.PositiveIntegerField(_("年額（円）"))
    source = models.CharField(_("出典"), max_length=300, blank=True)

    history = audited_history()

    class Meta:
        ordering = ["effective_from"]
        verbose_name = _("生活費相当額の基準")
        verbose_name_plural = _("生活費相当額の基準")

    def __str__(self) -> str:
        return f"{self.effective_from:%Y-%m-%d}〜 ¥{self.annual_amount:,}"


class Target(models.Model):
    """A headcount for a fiscal year: the national target, or a published reference figure."""

    class Kind(models.TextChoices):
        TARGET = "target", _("目標")
        PUBLISHED = "published", _("公表値")

    kind = models.CharField(_("種別"), max_length=16, choices=Kind.choices)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, null=True, blank=True, help_text=_("空欄は全国"))
    fiscal_year = models.PositiveSmallIntegerField(_("年度"))
    headcount = models.PositiveIntegerField(_("人数"))
    is_planned = models.BooleanField(_("計画値"), default=False)
    source = models.CharField(_("出典"), max_length=300, blank=True)

    history = audited_history()

    class Meta:
        ordering = ["fiscal_year", "kind"]
        verbose_name = _("目標・公表値")
        verbose_name_plural = _("目標・公表値")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "program", "fiscal_year"],
                name="target_one_per_kind_program_year",
                violation_error_message=_("同じ年度・事業・種別の値が既にあります。"),
            )
        ]

    def __str__(self) -> str:
        scope = self.program.code if self.program_id else _("全国")
        return f"FY{self.fiscal_year} {scope} {self.get_kind_display()} {self.headcount:,}"
