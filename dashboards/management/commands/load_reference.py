from datetime import date
from typing import Any

from django.core.management.base import BaseCommand
from django.db import models, transaction

from payments.reference import load_budgets
from programs import reference as program_reference
from programs.models import LivingCostFloor, Program, StipendRule, Target
from reports.models import ReportDeadline
from students import reference as university_reference
from students.models import University


class Seeder:
    """Creates the reference rows that are missing and brings the others to the seed, except a
    row a person has changed (its history names a user: an administrator in the admin): an
    agency's correction must survive the next deployment, which runs load_reference again.
    This command itself writes history naming no one."""

    def __init__(self) -> None:
        self.edited: dict[type[models.Model], set[Any]] = {}
        self.kept: list[str] = []

    def _edited_ids(self, model: type[models.Model]) -> set[Any]:
        if model not in self.edited:
            changes = model.history.filter(history_user__isnull=False)
            self.edited[model] = set(changes.values_list("id", flat=True))
        return self.edited[model]

    def update_or_create(self, model: type[models.Model], *, defaults: dict[str, Any], **lookup: Any) -> None:
        row = model.objects.filter(**lookup).first()
        if row is None:
            # Renamed or deleted by a person (a row of theirs once answered to this seed's key):
            # creating the seed's row again would undo the rename or the deletion.
            if model.history.filter(**lookup, id__in=self._edited_ids(model)).exists():
                self.kept.append(f"{model._meta.verbose_name}: {lookup}")
                return
            model.objects.create(**lookup, **defaults)
            return
        if row.pk in self._edited_ids(model):
            if any(getattr(row, name) != value for name, value in defaults.items()):
                self.kept.append(f"{model._meta.verbose_name}: {row}")
            return
        changed = [name for name, value in defaults.items() if getattr(row, name) != value]
        if changed:
            for name in changed:
                setattr(row, name, defaults[name])
            row.save(update_fields=changed)


class Command(BaseCommand):
    # Here, at the top of the dependency order (DESIGN.md), because it fills programs, students and reports.
    help = (
        "Load the programs, amounts, floor, targets and universities of DOMAIN.md (idempotent; "
        "rows an administrator has edited are left as they are)."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        seeder = Seeder()
        for order, (code, name_ja, name_en, agency, audience, term, exclusive) in enumerate(program_reference.PROGRAMS):
            seeder.update_or_create(
                Program,
                code=code,
                defaults={
                    "name_ja": name_ja,
                    "name_en": name_en,
                    "agency": agency,
                    "audience": audience,
                    "term_years": term,
                    "is_exclusive": exclusive,
                    "display_order": order,
                },
            )
        for code, effective, living, research, other, allowance, note in program_reference.STIPEND_RULES:
            seeder.update_or_create(
                StipendRule,
                program=Program.objects.get(code=code),
                effective_from=effective,
                defaults={
                    "annual_living_cost": living,
                    "annual_research_cost": research,
                    "annual_other_cost": other,
                    "annual_special_allowance": allowance,
                    "note": note,
                },
            )
        for effective, amount, source in program_reference.FLOORS:
            seeder.update_or_create(
                LivingCostFloor, effective_from=effective, defaults={"annual_amount": amount, "source": source}
            )
        for kind, fy, headcount, planned in program_reference.TARGETS:
            seeder.update_or_create(
                Target,
                kind=kind,
                program=None,
                fiscal_year=fy,
                defaults={"headcount": headcount, "is_planned": planned, "source": program_reference.SEED},
            )
        # Report deadlines: 31 May after the fiscal year, for every program (an agency changes them in
        # the admin; rows that exist are left as they are).
        for program in Program.objects.all():
            for fy in range(2021, 2031):
                ReportDeadline.objects.get_or_create(
                    program=program, fiscal_year=fy, defaults={"due_date": date(fy + 1, 5, 31)}
                )
        for row in university_reference.university_rows():
            seeder.update_or_create(University, name_ja=row.pop("name_ja"), defaults=row)
        for row in seeder.kept:
            self.stdout.write(f"Kept as an administrator edited it (differs from the seed): {row}")
        load_budgets()
        self.stdout.write(
            f"Reference data: {Program.objects.count()} programs, {StipendRule.objects.count()} rule versions, "
            f"{University.objects.filter(is_synthetic=False).count()} universities."
        )
