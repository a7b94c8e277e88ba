"""One FilterSet per list, shared by the pages and the API (NetBox's habit)."""

from datetime import UTC

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from programs import rules
from programs.models import Program
from students.models import Award, Field, Student


@extend_schema_field(OpenApiTypes.STR)
class ProgramCodeFilter(django_filters.ModelChoiceFilter):
    """A program named by its code (SPRING, JSPS_DC1, …)."""


FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR = 2000, 2100  # the years a filter may name (EARLIEST..LATEST_DATE within)


@extend_schema_field({"type": "integer", "minimum": FIRST_FISCAL_YEAR, "maximum": LAST_FISCAL_YEAR})
class FiscalYearFilter(django_filters.NumberFilter):
    """A fiscal year (FY2025 = April 2025 to March 2026), bounded, and documented so in OpenAPI."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", FIRST_FISCAL_YEAR)
        kwargs.setdefault("max_value", LAST_FISCAL_YEAR)
        super().__init__(*args, **kwargs)


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time turned to UTC first: PostgreSQL refuses offsets past ±15:59."""

    def filter(self, qs, value):
        if value is not None:
            value = value.astimezone(UTC)
        return super().filter(qs, value)


class StudentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("検索（学籍番号・氏名・研究者番号）"))
    status = django_filters.ChoiceFilter(choices=Student.Status.choices, label=_("在籍状況"))
    field = django_filters.ChoiceFilter(choices=Field.choices, label=_("学系"))
    program = ProgramCodeFilter(
        queryset=Program.objects.all(), to_field_name="code", method="with_program", label=_("支援事業")
    )
    fiscal_year = FiscalYearFilter(method="supported_in", label=_("支援を受けた年度"))
    updated_since = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte", label=_("更新日時（以降）"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("student_number", "student_number"),
            ("entry_date", "entry_date"),
            ("family_name", "family_name"),
            ("updated_at", "updated_at"),
            ("status", "status"),
        ),
        # Both directions named here: django-filter's "(descending)" has no Japanese.
        field_labels={
            "student_number": _("学籍番号"),
            "-student_number": _("学籍番号（降順）"),
            "entry_date": _("入学日"),
            "-entry_date": _("入学日（新しい順）"),
            "family_name": _("姓"),
            "-family_name": _("姓（降順）"),
            "updated_at": _("更新日時"),
            "-updated_at": _("更新日時（新しい順）"),
            "status": _("在籍状況"),
            "-status": _("在籍状況（降順）"),
        },
        label=_("並び順"),
        empty_label=_("標準（学籍番号順）"),  # not FILTERS_EMPTY_CHOICE_LABEL's "All": the list's own order
    )

    class Meta:
        model = Student
        fields = ["q", "status", "field", "program", "fiscal_year"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(student_number__icontains=value)
            | Q(family_name__icontains=value)
            | Q(given_name__icontains=value)
            | Q(erad_number=value)
        )

    def with_program(self, queryset, name, value):
        return queryset.filter(pk__in=Award.objects.filter(program=value).values("student_id"))

    def supported_in(self, queryset, name, value):
        start, end = rules.fiscal_year_bounds(int(value))
        awards = Award.objects.filter(start_date__lte=end, end_date__gte=start)
        if self.form.cleaned_data.get("program"):  # both: supported by that program in that year
            awards = awards.filter(program=self.form.cleaned_data["program"])
        return queryset.filter(pk__in=awards.values("student_id"))


class AwardFilterSet(django_filters.FilterSet):
    program = ProgramCodeFilter(queryset=Program.objects.all(), to_field_name="code", label=_("支援事業"))
    status = django_filters.ChoiceFilter(choices=Award.Status.choices, label=_("状態"))
    student_number = django_filters.CharFilter(field_name="student__student_number", label=_("学籍番号"))
    fiscal_year = FiscalYearFilter(method="active_in", label=_("年度"))
    updated_since = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte", label=_("更新日時（以降）"))

    class Meta:
        model = Award
        fields = ["program", "status", "student_number", "fiscal_year"]

    def active_in(self, queryset, name, value):
        start, end = rules.fiscal_year_bounds(int(value))
        return queryset.filter(start_date__lte=end, end_date__gte=start)
