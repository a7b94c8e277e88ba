import django_filters
from django.utils.translation import gettext_lazy as _

from payments.models import PaymentEntry
from programs.models import Program
from students.filters import ProgramCodeFilter, UtcIsoDateTimeFilter


class PaymentEntryFilterSet(django_filters.FilterSet):
    award = django_filters.NumberFilter(field_name="award_id", label=_("支援"))
    student_number = django_filters.CharFilter(field_name="award__student__student_number", label=_("学籍番号"))
    program = ProgramCodeFilter(
        queryset=Program.objects.all(), to_field_name="code", field_name="award__program", label=_("支援事業")
    )
    month_from = django_filters.DateFilter(field_name="month", lookup_expr="gte", label=_("支給対象月（以降）"))
    month_to = django_filters.DateFilter(field_name="month", lookup_expr="lte", label=_("支給対象月（以前）"))
    # An entry is never edited: a month's value changes by a new entry, recorded at created_at.
    updated_since = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte", label=_("更新日時（以降）"))

    class Meta:
        model = PaymentEntry
        fields = ["award", "student_number", "program", "month_from", "month_to", "updated_since"]
