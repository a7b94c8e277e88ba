"""One FilterSet for the statistics list, shared by the page and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from enrolment.models import EnrolmentStatistic
from students.filters import UtcIsoDateTimeFilter
from students.models import Field


class EnrolmentStatisticFilterSet(django_filters.FilterSet):
    fiscal_year = django_filters.NumberFilter(label=_("年度"), min_value=2000, max_value=2100)
    field = django_filters.ChoiceFilter(choices=Field.choices, label=_("学系"))
    updated_since = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte", label=_("更新日時（以降）"))

    class Meta:
        model = EnrolmentStatistic
        fields = ["fiscal_year", "field", "updated_since"]
