from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from enrolment.models import EnrolmentStatistic, EnrolmentYearLock, IndicatorSnapshot


class ReadOnlyAdmin(SimpleHistoryAdmin):
    """Read-only: reported statistics are written through enrolment.services (form, upload, API)."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EnrolmentStatistic)
class EnrolmentStatisticAdmin(ReadOnlyAdmin):
    list_display = ("university", "fiscal_year", "field", "admission_capacity", "entrants", "enrolled")
    list_filter = ("fiscal_year", "field", "university__founder")
    search_fields = ("university__name_ja",)
    list_select_related = ("university",)


@admin.register(EnrolmentYearLock)
class EnrolmentYearLockAdmin(ReadOnlyAdmin):
    list_display = ("university", "fiscal_year", "locked_by", "locked_at")


@admin.register(IndicatorSnapshot)
class IndicatorSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("first_year", "published_on", "published_by")
