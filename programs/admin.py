from celery import current_app
from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from programs.models import LivingCostFloor, Program, StipendRule, Target

# Amounts, floors and the programs' flags feed every derived fact. The rebuild lives in students,
# above programs in the dependency order, so it is asked for by its task name.
FACTS_REBUILD_TASK = "students.tasks.facts_rebuild_task"


def facts_rebuild_after_commit() -> None:
    transaction.on_commit(lambda: current_app.tasks[FACTS_REBUILD_TASK].delay())


class RecountsFacts(SimpleHistoryAdmin):
    """An edit of reference data recounts the derived facts once it is saved."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        facts_rebuild_after_commit()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        facts_rebuild_after_commit()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        facts_rebuild_after_commit()

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        facts_rebuild_after_commit()


class StipendRuleInline(admin.TabularInline):
    model = StipendRule
    extra = 0


@admin.register(Program)
class ProgramAdmin(RecountsFacts):
    list_display = ("code", "name_ja", "agency", "audience", "term_years", "is_exclusive", "current_living_cost")
    list_filter = ("agency", "audience", "is_exclusive")
    search_fields = ("code", "name_ja", "name_en")
    inlines = [StipendRuleInline]

    @admin.display(description=_("生活費相当額（最新・年額）"))
    def current_living_cost(self, obj: Program) -> str:
        rule = obj.rules.order_by("-effective_from").first()
        return f"¥{rule.annual_living_cost:,}" if rule else "—"


@admin.register(StipendRule)
class StipendRuleAdmin(RecountsFacts):
    list_display = (
        "program",
        "effective_from",
        "annual_living_cost",
        "annual_research_cost",
        "annual_other_cost",
        "annual_special_allowance",
    )
    list_filter = ("program",)


@admin.register(LivingCostFloor)
class LivingCostFloorAdmin(RecountsFacts):
    list_display = ("effective_from", "annual_amount", "source")


@admin.register(Target)
class TargetAdmin(SimpleHistoryAdmin):
    list_display = ("fiscal_year", "kind", "program", "headcount", "is_planned", "source")
    list_filter = ("kind",)
