from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from students.models import (
    Award,
    AwardEvent,
    Membership,
    ReminderSent,
    Student,
    StudentYearFact,
    University,
)


@admin.register(University)
class UniversityAdmin(SimpleHistoryAdmin):
    list_display = (
        "name_ja",
        "name_en",
        "founder",
        "national_group",
        "is_designated",
        "spring_adopted",
        "boost_adopted",
    )
    list_filter = ("founder", "national_group", "is_designated", "spring_adopted", "boost_adopted", "is_synthetic")
    search_fields = ("name_ja", "name_en", "former_names")


class AwardInline(admin.TabularInline):
    model = Award
    extra = 0
    fields = ("program", "start_date", "end_date", "annual_living_cost", "annual_research_cost", "status")
    readonly_fields = fields
    show_change_link = True
    can_delete = False


@admin.register(Student)
class StudentAdmin(SimpleHistoryAdmin):
    """Read-only here, as are awards and events: every write goes through students.services
    (forms, uploads, API), which checks the rules and the year lock and refreshes the facts."""

    list_display = ("student_number", "university", "field", "status", "entry_date", "erad_number")
    list_filter = ("status", "field", "is_international", "is_working_adult")
    search_fields = ("student_number", "erad_number", "family_name", "given_name", "university__name_ja")
    list_select_related = ("university",)
    raw_id_fields = ("university",)
    inlines = [AwardInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # deletes go through students.services (year lock, facts, history)


class AwardEventInline(admin.TabularInline):
    model = AwardEvent
    extra = 0
    fields = ("kind", "start_date", "end_date", "reason", "previous_end_date", "created_by", "created_at")
    readonly_fields = fields
    can_delete = False


@admin.register(Award)
class AwardAdmin(SimpleHistoryAdmin):
    list_display = ("student", "program", "start_date", "end_date", "annual_living_cost", "status")
    list_filter = ("program", "status", "is_reserved")
    search_fields = ("student__student_number", "student__university__name_ja")
    list_select_related = ("student__university", "program")
    raw_id_fields = ("student",)
    inlines = [AwardEventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # deletes go through students.services (year lock, facts, history)


@admin.register(AwardEvent)
class AwardEventAdmin(SimpleHistoryAdmin):
    list_display = ("award", "kind", "start_date", "end_date", "created_by", "created_at")
    list_filter = ("kind",)
    list_select_related = ("award__student__university", "award__program")
    raw_id_fields = ("award",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # deletes go through students.services (year lock, facts, history)


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ("user", "role", "university")
    list_filter = ("role",)
    raw_id_fields = ("university",)
    filter_horizontal = ("programs",)


@admin.register(StudentYearFact)
class StudentYearFactAdmin(admin.ModelAdmin):
    list_display = ("student", "fiscal_year", "peak_rate", "counts", "program", "is_representative", "person_counts")
    list_filter = ("fiscal_year", "counts", "program")
    raw_id_fields = ("student", "university")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # deletes go through students.services (year lock, facts, history)


@admin.register(ReminderSent)
class ReminderSentAdmin(admin.ModelAdmin):
    list_display = ("key", "recipients", "sent_at")
    search_fields = ("key",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # deletes go through students.services (year lock, facts, history)
