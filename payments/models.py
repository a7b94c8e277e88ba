from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from payments.managers import ClaimSettlementQuerySet, PaymentEntryQuerySet
from phdsupport.history import audited_history
from phdsupport.validation import DATE_VALIDATORS, TEXT_VALIDATORS
from programs.models import Program
from students.models import Award, University


class PaymentEntry(models.Model):
    """What a university paid for one award and month (支給実績), as recorded at one time.

    Append-only (DOMAIN.md: "A correction is a new ledger entry, never an edit"): a correction
    adds an entry saying what changed and why; the month's value is its latest entry, marked
    `is_current` so that sums read one row per award and month. That flag is the only column
    ever written again.
    """

    class Source(models.TextChoices):
        FORM = "form", _("画面")
        UPLOAD = "upload", _("アップロード")
        API = "api", _("API")

    # PROTECT: a paid month is never deleted with its award or student. The services refuse first
    # with a message (students.services.check_deletable, answered by payments.services); this is
    # the backstop for any other path (the admin, a shell).
    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="payments", verbose_name=_("支援"))
    # Copied from the award: a university's ledger is read through an index, never through awards.
    university = models.ForeignKey(University, on_delete=models.CASCADE, related_name="+", verbose_name=_("大学"))
    month = models.DateField(_("支給対象月"), validators=DATE_VALIDATORS, help_text=_("月の初日"))
    living_cost = models.PositiveIntegerField(_("生活費相当額（円）"))
    research_cost = models.PositiveIntegerField(_("研究費（円）"), default=0)
    pay_date = models.DateField(_("支給日"), validators=DATE_VALIDATORS)
    reason = models.CharField(_("訂正の理由"), max_length=500, blank=True, validators=TEXT_VALIDATORS)
    is_current = models.BooleanField(_("最新"), default=True)
    source = models.CharField(_("登録方法"), max_length=8, choices=Source.choices, default=Source.FORM)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("登録者")
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True, db_index=True)

    objects = PaymentEntryQuerySet.as_manager()

    class Meta:
        ordering = ["award", "month", "pk"]
        verbose_name = _("支給実績")
        verbose_name_plural = _("支給実績")
        constraints = [
            models.UniqueConstraint(
                fields=["award", "month"], condition=models.Q(is_current=True), name="payment_one_current_per_month"
            )
        ]
        indexes = [
            models.Index(
                fields=["university", "month"], condition=models.Q(is_current=True), name="payment_univ_month"
            ),
            models.Index(fields=["award", "month"], name="payment_award_month"),
        ]

    def __str__(self) -> str:
        return f"{self.award_id} {self.month:%Y-%m} ¥{self.living_cost:,}"


class ClaimSettlement(models.Model):
    """How a recovery claim (返還) was settled: repaid or waived, by whom and why.

    Claims themselves are derived from the ledger and the award's changes as they stand
    (payments.selectors.award_claims), so a withdrawn change cancels its claim with nothing to
    update; only these decisions are stored, added and never edited.
    """

    class Kind(models.TextChoices):
        REPAID = "repaid", _("返還済み")
        WAIVED = "waived", _("免除")

    # PROTECT, as the ledger it settles: a decision is a record, never deleted with its award.
    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="+", verbose_name=_("支援"))
    university = models.ForeignKey(University, on_delete=models.CASCADE, related_name="+", verbose_name=_("大学"))
    # The change that caused the claim; a plain id, kept when the change is withdrawn.
    cause_event_id = models.PositiveBigIntegerField(_("原因の異動"))
    kind = models.CharField(_("区分"), max_length=8, choices=Kind.choices)
    amount = models.PositiveIntegerField(_("金額（円）"))
    reason = models.CharField(_("理由"), max_length=500, validators=TEXT_VALIDATORS)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("決定者")
    )
    decided_on = models.DateField(_("決定日"), validators=DATE_VALIDATORS)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    objects = ClaimSettlementQuerySet.as_manager()

    class Meta:
        ordering = ["award", "cause_event_id", "pk"]
        verbose_name = _("返還の決定")
        verbose_name_plural = _("返還の決定")
        indexes = [models.Index(fields=["university", "cause_event_id"], name="settlement_univ_cause")]

    def __str__(self) -> str:
        return f"{self.award_id} {self.get_kind_display()} ¥{self.amount:,}"


class Budget(models.Model):
    """A budget line (reference data): the money voted for one or more programs, in force from its
    fiscal year until a later line of the same label and kind replaces it or its last fiscal year
    ends (an annual budget), or voted once in that year (a supplementary budget, often a
    multi-year fund). A program that has ended (the fellowship, folded into SPRING from FY2024)
    has its last budget end with it: no budget in later years."""

    class Kind(models.TextChoices):
        ANNUAL = "annual", _("当初予算")
        SUPPLEMENTARY = "supplementary", _("補正予算")

    label = models.CharField(_("予算の名称"), max_length=100)
    programs = models.ManyToManyField(Program, related_name="+", verbose_name=_("支援事業"))
    fiscal_year = models.PositiveSmallIntegerField(_("年度（適用開始）"))
    last_fiscal_year = models.PositiveSmallIntegerField(
        _("年度（適用終了）"),
        null=True,
        blank=True,
        help_text=_("事業が終了した場合の最終年度。空欄は後の年度の予算に置き換わるまで適用"),
    )
    kind = models.CharField(_("区分"), max_length=16, choices=Kind.choices, default=Kind.ANNUAL)
    amount = models.PositiveBigIntegerField(_("予算額（円）"))
    source = models.CharField(_("出典"), max_length=300, blank=True)
    # Who changed what: load_reference keeps a budget a person has edited (payments.reference).
    history = audited_history()

    class Meta:
        ordering = ["label", "fiscal_year", "kind"]
        verbose_name = _("予算")
        verbose_name_plural = _("予算")
        constraints = [
            models.UniqueConstraint(fields=["label", "fiscal_year", "kind"], name="budget_one_per_label_year_kind"),
            models.CheckConstraint(
                condition=models.Q(last_fiscal_year__isnull=True)
                | models.Q(last_fiscal_year__gte=models.F("fiscal_year")),
                name="budget_ends_after_it_begins",
                violation_error_message=_("適用終了の年度が適用開始の年度より前です。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} FY{self.fiscal_year} {self.get_kind_display()} ¥{self.amount:,}"
