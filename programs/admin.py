from django.contrib import admin

from programs.models import LivingCostFloor, Program, StipendRule, Target


class StipendRuleInline(admin.TabularInline):
    model = StipendRule
    extra = 0


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ja", "agency", "audience", "term_years", "is_exclusive", "current_living_cost")
    list_filter = ("agency", "audience", "is_exclusive")
    search_fields = ("code", "name_ja", "name_en")
    inlines = [StipendRuleInline]

    @admin.display(description="生活費相当額（最新・年額）")
    def current_living_cost(self, obj: Program) -> str:
        rule = obj.rules.order_by("-effective_from").first()
        return f"¥{rule.annual_living_cost:,}" if rule else "—"


@admin.register(StipendRule)
class StipendRuleAdmin(admin.ModelAdmin):
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
class LivingCostFloorAdmin(admin.ModelAdmin):
    list_display = ("effective_from", "annual_amount", "source")


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("fiscal_year", "kind", "program", "headcount", "is_planned", "source")
    list_filter = ("kind",)
