from __future__ import annotations

from datetime import date

from programs.models import LivingCostFloor, Program, StipendRule


def program_list() -> list[Program]:
    return list(Program.objects.all())


def stipend_rule_in_force(*, program: Program, day: date) -> StipendRule | None:
    """The version of a program's amounts in force on `day` (the latest effective on or before).

    None before the first version: DOMAIN.md (Amounts in force) "A date before the first rule
    version of a program has no rule: the university must enter the amount".
    """
    return StipendRule.objects.filter(program=program, effective_from__lte=day).order_by("-effective_from").first()


def floor_in_force(*, day: date) -> int | None:
    floor = LivingCostFloor.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    return floor.annual_amount if floor else None
