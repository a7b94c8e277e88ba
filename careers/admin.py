from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from careers.models import CareerOutcome


@admin.register(CareerOutcome)
class CareerOutcomeAdmin(SimpleHistoryAdmin):
    """Read-only: career records are written through careers.services (page, upload, API)."""

    list_display = ("student", "survey_point", "destination", "sector", "country")
    list_filter = ("survey_point", "destination", "sector")
    search_fields = ("student__student_number", "student__university__name_ja", "employer")
    list_select_related = ("student__university",)
    raw_id_fields = ("student",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
