from django.contrib import admin

from accounts.models import PersonalDataRead


@admin.register(PersonalDataRead)
class PersonalDataReadAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only (accounts.models); searching it is /accounts/reads/."""

    list_display = ("at", "reader_name", "kind", "student_id", "student_university_id", "address", "path")
    list_filter = ("kind",)
    search_fields = ("reader_name", "=student__id", "api_key_prefix")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
