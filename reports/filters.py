import django_filters
from django.utils.translation import gettext_lazy as _

from programs.models import Program
from reports.models import Report
from students.filters import FiscalYearFilter, ProgramCodeFilter, UtcIsoDateTimeFilter


class ReportFilterSet(django_filters.FilterSet):
    fiscal_year = FiscalYearFilter(label=_("年度"))
    program = ProgramCodeFilter(queryset=Program.objects.all(), to_field_name="code", label=_("支援事業"))
    state = django_filters.ChoiceFilter(choices=Report.State.choices, label=_("状態"))
    updated_since = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte", label=_("更新日時（以降）"))

    class Meta:
        model = Report
        fields = ["fiscal_year", "program", "state", "updated_since"]
