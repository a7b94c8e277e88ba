from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from reports.models import Report, ReportDeadline, ReportEvent


class ReportEventInline(admin.TabularInline):
    model = ReportEvent
    extra = 0
    fields = ("action", "from_state", "to_state", "comment", "acting_user", "created_at")
    readonly_fields = fields
    can_delete = False


@admin.register(Report)
class ReportAdmin(SimpleHistoryAdmin):
    """Read-only: reports move only through reports.services (submit, return, accept, reopen)."""

    list_display = ("university", "program", "fiscal_year", "state")
    list_filter = ("state", "program", "fiscal_year")
    inlines = [ReportEventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportDeadline)
class ReportDeadlineAdmin(SimpleHistoryAdmin):
    """Read-only: officers set deadlines at /students/reports/deadlines/ (reports.services.deadline_set,
    which checks the date); load_reference puts 31 May after each year."""

    list_display = ("program", "fiscal_year", "due_date")
    list_filter = ("program", "fiscal_year")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
