from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from payments.models import Budget


@admin.register(Budget)
class BudgetAdmin(SimpleHistoryAdmin):
    """Budgets are reference data (payments.reference): an administrator's edit is kept by the
    next load_reference, because its history names them."""

    list_display = ("label", "fiscal_year", "last_fiscal_year", "kind", "amount")
    list_filter = ("kind", "fiscal_year")
    search_fields = ("label", "source")
    filter_horizontal = ("programs",)
