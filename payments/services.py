"""Every write to the payment ledger and to recovery decisions (DESIGN.md flow steps 1–2).

The form, the upload and the API all call `payments_record`: it checks every row with no
database call beyond one prefetch (`payment_check`), then writes in bulk in one transaction, or
writes nothing. The ledger is append-only: a row equal to the month's current entry writes
nothing (idempotent per award and month), a different one adds a correction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from payments.models import ClaimSettlement, PaymentEntry
from phdsupport import bulk
from phdsupport.validation import validate_plausible_date
from programs import rules
from students.models import Award
from students.services import MAX_ANNUAL_YEN, LockedYears, lock_error, locked_years

AMOUNT_OUT_OF_RANGE = _("金額は0円以上{max}円以下の整数で入力してください。")
NO_SUCH_AWARD = _("この大学にその支援はありません。")
MONTH_OUTSIDE = _("支給対象月が支援期間（{start}〜{end}）から離れすぎています。")
REASON_REQUIRED = _("既に登録された月の訂正です。訂正の理由を入力してください。")
NOT_A_DATE = _("日付を入力してください。")
CLAIM_NOT_OPEN = _("この返還請求に未決定の残額はありません。")
SETTLEMENT_TOO_LARGE = _("金額が返還請求の残額（{open}円）を超えています。")
SETTLEMENT_REASON_REQUIRED = _("理由を入力してください。")
SETTLEMENT_AMOUNT = _("金額は1円以上の整数で入力してください。")
PAID_AWARD_KEPT = _(
    "支給実績が記録されている支援があるため削除できません（支給した月の記録は消せません）。"
    "支給の誤りは支給実績の訂正として記録してください。"
)

# A payment may be recorded for months around the award (paid before it started, or after an
# early end); further away it is a typo in the month.
MONTHS_BEFORE_START = 12
MONTHS_AFTER_END = 36


@dataclass(frozen=True, slots=True)
class PaymentInput:
    """One row of the ledger as a form, a file row or an API item gives it."""

    award_id: int
    month: date
    living_cost: int
    research_cost: int
    pay_date: date
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CurrentEntry:
    """A month's current ledger entry, as much as a check needs (a national upload holds many)."""

    pk: int
    living_cost: int
    research_cost: int
    pay_date: date


@dataclass(frozen=True, slots=True)
class AwardScope:
    """What a payment check needs of its award."""

    award_id: int
    program_id: int
    start: date
    end: date


class RowErrors(ValidationError):
    """Errors of several rows: `by_row` maps each row's position to its ValidationError."""

    def __init__(self, by_row: dict[int, ValidationError]):
        self.by_row = by_row
        super().__init__([e for errors in by_row.values() for e in errors.messages])


def _amount_ok(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and 0 <= value <= MAX_ANNUAL_YEN


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def payment_check(
    row: PaymentInput, *, award: AwardScope | None, current: CurrentEntry | None, locked: LockedYears
) -> bool:
    """Every check of one row, with no database. Raises one ValidationError keyed by field
    holding every error; returns False when the row equals the month's current entry (nothing
    to write), True when it is a new month or a correction."""
    errors: dict[str, list[ValidationError]] = {}

    def add(name: str, message: Any, code: str) -> None:
        errors.setdefault(name, []).append(ValidationError(message, code=code))

    if award is None:
        add("award", NO_SUCH_AWARD, "no_award")
    for name in ("living_cost", "research_cost"):
        if not _amount_ok(getattr(row, name)):
            add(name, format_lazy(AMOUNT_OUT_OF_RANGE, max=f"{MAX_ANNUAL_YEN:,}"), "amount_range")
    for name in ("month", "pay_date"):
        value = getattr(row, name)
        if not isinstance(value, date):
            add(name, NOT_A_DATE, "required")
            continue
        try:
            validate_plausible_date(value)
        except ValidationError as error:
            errors.setdefault(name, []).extend(error.error_list)
    if errors:
        raise ValidationError(errors)
    assert award is not None
    month = rules.month_index(row.month)
    if (
        not rules.month_index(award.start) - MONTHS_BEFORE_START
        <= month
        <= rules.month_index(award.end) + MONTHS_AFTER_END
    ):
        add("month", format_lazy(MONTH_OUTSIDE, start=award.start, end=award.end), "month_outside")
        raise ValidationError(errors)
    if current is not None and (current.living_cost, current.research_cost, current.pay_date) == (
        row.living_cost,
        row.research_cost,
        row.pay_date,
    ):
        return False
    # An accepted annual report locks that year's payments too (issue #15, Reports).
    refusal = lock_error(program_id=award.program_id, periods=[(row.month, row.month)], locked=locked)
    if refusal is not None:
        errors.setdefault("__all__", []).append(refusal)
    if current is not None and not row.reason.strip():
        add("reason", REASON_REQUIRED, "reason_required")
    if errors:
        raise ValidationError(errors)
    return True


def award_scopes(*, university_id: int, award_ids: Sequence[int]) -> dict[int, AwardScope]:
    return {
        pk: AwardScope(pk, program_id, start, end)
        for pk, program_id, start, end in Award.objects.filter(university_id=university_id, pk__in=set(award_ids))
        .values_list("pk", "program_id", "start_date", "end_date")
        .iterator(chunk_size=5000)
    }


def current_entries(
    *, university_id: int, award_ids: Sequence[int] | None = None, months: Iterable[date] | None = None
) -> dict[tuple[int, date], CurrentEntry]:
    """The current entry of each award and month (of the given awards, or the whole university;
    of the given months, or every month). Unordered: a dictionary needs no sort."""
    entries = PaymentEntry.objects.current().filter(university_id=university_id).order_by()
    if award_ids is not None:
        entries = entries.filter(award_id__in=set(award_ids))
    if months is not None:
        entries = entries.filter(month__in=set(months))
    return {
        (award_id, month): CurrentEntry(pk, living, research, pay_date)
        for pk, award_id, month, living, research, pay_date in entries.values_list(
            "pk", "award_id", "month", "living_cost", "research_cost", "pay_date"
        ).iterator(chunk_size=5000)
    }


@dataclass
class RecordResult:
    created: list[PaymentEntry]
    corrected: int
    unchanged: int


def payments_plan(
    rows: Sequence[PaymentInput],
    *,
    awards: Mapping[int, AwardScope],
    current: Mapping[tuple[int, date], CurrentEntry],
    locked: LockedYears,
    progress: Any = None,
) -> list[int]:
    """Positions of the rows to write; RowErrors with every bad row's errors, or a row that
    repeats an award and month of an earlier row (one file says one thing per month)."""
    errors: dict[int, ValidationError] = {}
    seen: dict[tuple[int, date], int] = {}
    to_write = []
    for position, row in enumerate(rows):
        key = (row.award_id, first_of_month(row.month) if isinstance(row.month, date) else row.month)
        if key in seen:
            message = format_lazy(_("同じ支援・同じ月が{row}行目にもあります。"), row=seen[key] + 1)
            errors[position] = ValidationError({"month": [ValidationError(message, code="duplicate_month")]})
            continue
        seen[key] = position
        try:
            if payment_check(row, award=awards.get(row.award_id), current=current.get(key), locked=locked):
                to_write.append(position)
        except ValidationError as error:
            errors[position] = error
        if progress is not None and position % 2000 == 1999:
            progress(position + 1)
    if errors:
        raise RowErrors(errors)
    return to_write


@transaction.atomic
def payments_record(
    *, university_id: int, rows: Sequence[PaymentInput], acting_user: Any, source: str = PaymentEntry.Source.FORM
) -> RecordResult:
    """Record many months at once, all or nothing. Rows are normalised to the month's first day."""
    rows = [
        PaymentInput(
            r.award_id,
            first_of_month(r.month) if isinstance(r.month, date) else r.month,
            r.living_cost,
            r.research_cost,
            r.pay_date,
            (r.reason or "").strip(),
        )
        for r in rows
    ]
    award_ids = [r.award_id for r in rows]
    awards = award_scopes(university_id=university_id, award_ids=award_ids)
    # Locked first: two writers correcting the same months queue here instead of both adding one.
    # FOR NO KEY UPDATE: writers of one award still queue, but the FK KEY SHARE locks of award
    # events being added are not blocked (a deletion's FOR UPDATE still waits for this).
    list(Award.objects.select_for_update(no_key=True).filter(pk__in=awards).values_list("pk", flat=True).order_by("pk"))
    current = current_entries(university_id=university_id, award_ids=award_ids)
    to_write = payments_plan(
        rows,
        awards=awards,
        current=current,
        locked=locked_years(university_id=university_id, program_ids={a.program_id for a in awards.values()}),
    )
    return payments_write(
        university_id=university_id,
        rows=rows,
        to_write=to_write,
        current=current,
        acting_user=acting_user,
        source=source,
    )


WRITE_BATCH = 2000
COPY_BATCH = 10_000  # rows per COPY of a large upload


def payments_write(
    *,
    university_id: int,
    rows: Sequence[PaymentInput],
    to_write: Sequence[int],
    current: Mapping[tuple[int, date], CurrentEntry],
    acting_user: Any,
    source: str,
) -> RecordResult:
    """Write checked rows (the caller holds the transaction): the months' current entries step
    down, the new ones are added, in batches so that a national year stays within memory.

    Up to WRITE_BATCH rows (a form, an API call) the entries are made through the ORM and given
    back; more (an upload) go in by COPY on PostgreSQL (phdsupport.bulk), which sends the rows
    as they are instead of preparing every value through its field. The ledger has no history
    table: its entries are its history (a correction is a new entry)."""
    user_id = getattr(acting_user, "pk", None)
    created: list[PaymentEntry] = []
    corrected = 0
    copying = bulk.copies() and len(to_write) > WRITE_BATCH
    step = COPY_BATCH if copying else WRITE_BATCH
    for first in range(0, len(to_write), step):
        batch = [rows[i] for i in to_write[first : first + step]]
        replaced = [current[(r.award_id, r.month)].pk for r in batch if (r.award_id, r.month) in current]
        if replaced:
            PaymentEntry.objects.filter(pk__in=replaced, is_current=True).update(is_current=False)
        corrected += len(replaced)
        if copying:
            bulk.create(
                PaymentEntry,
                [
                    {
                        "award_id": r.award_id,
                        "university_id": university_id,
                        "month": r.month,
                        "living_cost": r.living_cost,
                        "research_cost": r.research_cost,
                        "pay_date": r.pay_date,
                        "reason": r.reason,
                        "source": source,
                        "created_by_id": user_id,
                    }
                    for r in batch
                ],
            )
            continue
        made = PaymentEntry.objects.bulk_create(
            [
                PaymentEntry(
                    award_id=r.award_id,
                    university_id=university_id,
                    month=r.month,
                    living_cost=r.living_cost,
                    research_cost=r.research_cost,
                    pay_date=r.pay_date,
                    reason=r.reason,
                    source=source,
                    created_by_id=user_id,
                )
                for r in batch
            ]
        )
        if len(to_write) <= WRITE_BATCH:  # a form or an API call gets its entries back
            created += made
    return RecordResult(created=created, corrected=corrected, unchanged=len(rows) - len(to_write))


def payment_record(
    *,
    award: Award,
    month: date,
    living_cost: int,
    research_cost: int,
    pay_date: date,
    acting_user: Any,
    reason: str = "",
    source: str = PaymentEntry.Source.FORM,
) -> PaymentEntry | None:
    """Record one month of one award; None when it equals what is recorded (nothing written)."""
    try:
        result = payments_record(
            university_id=award.university_id,
            rows=[PaymentInput(award.pk, month, living_cost, research_cost, pay_date, reason)],
            acting_user=acting_user,
            source=source,
        )
    except RowErrors as errors:
        raise errors.by_row[0] from None
    return result.created[0] if result.created else None


# --- Recovery decisions -------------------------------------------------------------------


@transaction.atomic
def claim_settle(
    *,
    award: Award,
    cause_event_id: int,
    kind: str,
    amount: int,
    reason: str,
    acting_user: Any,
    decided_on: date | None = None,
) -> ClaimSettlement:
    """Record that (part of) a recovery claim was repaid or waived: DOMAIN.md "claims are settled
    as repaid or waived, with who and why". Never more than the claim's open balance."""
    from payments.selectors import award_claims

    Award.objects.select_for_update(no_key=True).filter(pk=award.pk).first()
    claim = next((c for c in award_claims(award) if c.event_id == cause_event_id), None)
    errors: dict[str, list[ValidationError]] = {}
    if kind not in ClaimSettlement.Kind.values:
        errors["kind"] = [ValidationError(_("不明な種別です。"), code="invalid_choice")]
    if not reason.strip():
        errors["reason"] = [ValidationError(SETTLEMENT_REASON_REQUIRED, code="required")]
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        errors["amount"] = [ValidationError(SETTLEMENT_AMOUNT, code="amount_range")]
    elif claim is None or claim.open_amount <= 0:
        errors["__all__"] = [ValidationError(CLAIM_NOT_OPEN, code="claim_not_open")]
    elif amount > claim.open_amount:
        errors["amount"] = [
            ValidationError(format_lazy(SETTLEMENT_TOO_LARGE, open=f"{claim.open_amount:,}"), code="too_large")
        ]
    if errors:
        raise ValidationError(errors)
    settlement = ClaimSettlement(
        award=award,
        university_id=award.university_id,
        cause_event_id=cause_event_id,
        kind=kind,
        amount=amount,
        reason=reason.strip(),
        decided_by=acting_user if getattr(acting_user, "pk", None) else None,
        decided_on=decided_on or timezone.localdate(),
    )
    settlement.full_clean()
    settlement.save()
    return settlement


def award_delete_refusals(*, award_ids: list[int]) -> list[ValidationError]:
    """Answer to students.services' "award_delete_refusals" (phdsupport.hooks): an award with a
    ledger entry is never deleted, nor its student (DOMAIN.md: "A correction is a new ledger
    entry, never an edit"; issue #15: "A paid month is never edited away")."""
    if PaymentEntry.objects.filter(award_id__in=award_ids).exists():
        return [ValidationError(PAID_AWARD_KEPT, code="paid_award_kept")]
    return []
