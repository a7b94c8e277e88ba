from datetime import date

from django.core.management.base import BaseCommand
from django.db import transaction

from payments.reference import load_budgets
from phdsupport.reference import Seeder
from programs import reference as program_reference
from programs.models import LivingCostFloor, Program, StipendRule, Target
from reports.models import ReportDeadline
from students import reference as university_reference
from students.models import University


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
        load_budgets(seeder)
        for row in seeder.kept:
            self.stdout.write(f"Kept as an administrator edited it (differs from the seed): {row}")
        self.stdout.write(
            f"Reference data: {Program.objects.count()} programs, {StipendRule.objects.count()} rule versions, "
            f"{University.objects.filter(is_synthetic=False).count()} universities."
        )
