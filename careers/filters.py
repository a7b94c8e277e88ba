import django_filters
from django.utils.translation import gettext_lazy as _

from careers.models import CareerOutcome
from students.filters import UtcIsoDateTimeFilter


class CareerFilterSet(django_filters.FilterSet):
    survey_point = django_filters.ChoiceFilter(choices=CareerOutcome.SurveyPoint.choices, label=_("調査時点"))
    destination = django_filters.ChoiceFilter(choices=CareerOutcome.Destination.choices, label=_("進路"))
    student_number = django_filters.CharFilter(field_name="student__student_number", label=_("学籍番号"))
    updated_since = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte", label=_("更新日時（以降）"))

    class Meta:
        model = CareerOutcome
        fields = ["survey_point", "destination", "student_number", "updated_since"]
