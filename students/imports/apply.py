"""Writing a checked upload plan: bulk writes with history rows, facts refreshed per chunk."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_update_with_history

from phdsupport.bulk import create_with_history
from students.facts import facts_refresh
from students.imports.parse import STUDENT_KEYS, ImportResult
from students.imports.plan import AwardPlan, ImportPlan
from students.models import Award, Student

APPLY_CHUNK = 2000  # students per chunk: bounds the memory of model and history objects


@transaction.atomic
def import_apply(*, plan: ImportPlan, acting_user: Any) -> ImportResult:
    """Write a checked plan in one transaction, with history rows for every bulk write.

    Written in chunks of students (with their awards and facts) so that a file of 100,000
    rows never holds all its model and history objects at once; still all or nothing.
    """
    if plan.result.errors:
        raise ValidationError(_("エラーのあるファイルは反映できません。"))
    user = acting_user if getattr(acting_user, "pk", None) else None
    awards_of: dict[str, list[AwardPlan]] = defaultdict(list)
    for item in plan.awards:
        awards_of[item.student_number].append(item)
    # Numbers that leave a record are freed first: the file may give one to another record, new or
    # in an earlier chunk, and e-Rad numbers are unique per university. The records' own writes
    # below set their final numbers (and their history); nothing between is committed.
    leaving = [
        item.instance.pk
        for item in plan.students.values()
        if item.instance is not None
        and item.changed
        and item.instance.erad_number
        and item.instance.erad_number != item.values.get("erad_number")
    ]
    if leaving:
        Student.objects.filter(pk__in=leaving).update(erad_number="")
    numbers = list(plan.students)
    for offset in range(0, len(numbers), APPLY_CHUNK):
        _apply_chunk(plan, numbers[offset : offset + APPLY_CHUNK], awards_of, user)
    return plan.result


def _apply_chunk(plan: ImportPlan, numbers: list[str], awards_of: dict[str, list[AwardPlan]], user: Any) -> None:
    items = [(n, plan.students[n]) for n in numbers]
    university_id = plan.university.pk
    # New records go in as plain values with their history (COPY on PostgreSQL): building a
    # model instance per row, and preparing each value through its field, cost more than the
    # database's own work.
    new_numbers = [n for n, s in items if s.instance is None]
    new_ids = create_with_history(
        Student,
        [{"university_id": university_id, "student_number": n, **plan.students[n].values} for n in new_numbers],
        acting_user=user,
        change_reason="upload",
    )
    student_id_of = dict(zip(new_numbers, new_ids, strict=True))
    changed_students = []
    # Records that shared a number being changed or cleared: their person is re-counted too.
    old_erads = {
        item.instance.erad_number
        for _n, item in items
        if item.instance is not None
        and item.changed
        and item.instance.erad_number
        and item.instance.erad_number != item.values.get("erad_number")
    }
    for number, item in items:
        if item.instance is not None:
            student_id_of[number] = item.instance.pk
            if item.changed:
                for key, value in item.values.items():
                    setattr(item.instance, key, value)
                item.instance.version += 1
                changed_students.append(item.instance)
    if changed_students:
        bulk_update_with_history(
            changed_students,
            Student,
            [*STUDENT_KEYS[1:], "version", "updated_at"],
            batch_size=1000,
            default_user=user,
            default_change_reason="upload",
        )
    new_awards: list[dict[str, Any]] = []
    changed_awards = []
    for number in numbers:
        for item in awards_of.get(number, ()):
            if item.instance is None:
                values = {k: v for k, v in item.values.items() if k != "program"}
                new_awards.append(
                    {
                        "student_id": student_id_of[number],
                        "university_id": university_id,
                        "program_id": item.values["program"].pk,
                        **values,
                    }
                )
            elif item.changed:
                for key in ("end_date", "annual_living_cost", "annual_research_cost", "is_reserved"):
                    setattr(item.instance, key, item.values[key])
                item.instance.version += 1
                changed_awards.append(item.instance)
    create_with_history(Award, new_awards, acting_user=user, change_reason="upload")
    if changed_awards:
        bulk_update_with_history(
            changed_awards,
            Award,
            ["end_date", "annual_living_cost", "annual_research_cost", "is_reserved", "version", "updated_at"],
            batch_size=1000,
            default_user=user,
            default_change_reason="upload",
        )
    touched = {*new_ids, *(s.pk for s in changed_students)} | {
        *(a["student_id"] for a in new_awards),
        *(a.student_id for a in changed_awards),
    }
    if old_erads:
        touched |= set(Student.objects.filter(erad_number__in=old_erads).values_list("pk", flat=True))
    if touched:
        facts_refresh(student_ids=touched, created=new_ids)  # new_ids: inserted just now, refreshed once
