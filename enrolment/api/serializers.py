from rest_framework import serializers

from enrolment.models import EnrolmentStatistic
from phdsupport.api.fields import JsonTypesSerializer, TextField

STATISTIC_FIELDS = [
    "id",
    "university",
    "fiscal_year",
    "field",
    "admission_capacity",
    "entrants",
    "entrants_from_masters",
    "entrants_working_adults",
    "entrants_international",
    "enrolled",
    "degrees_conferred",
    "completions_within_term",
    "standard_term_years",
    "version",
    "updated_at",
]


class EnrolmentStatisticSerializer(serializers.ModelSerializer):
    class Meta:
        model = EnrolmentStatistic
        fields = STATISTIC_FIELDS


class EnrolmentStatisticWriteSerializer(JsonTypesSerializer):
    """Plain types only: ranges, the field's code and the cross-checks are the service's, so the
    API refuses with the same messages as the form and the upload."""

    fiscal_year = serializers.IntegerField()
    field = TextField(max_length=32)
    admission_capacity = serializers.IntegerField()
    entrants = serializers.IntegerField()
    entrants_from_masters = serializers.IntegerField(required=False)
    entrants_working_adults = serializers.IntegerField(required=False)
    entrants_international = serializers.IntegerField(required=False)
    enrolled = serializers.IntegerField()
    degrees_conferred = serializers.IntegerField()
    completions_within_term = serializers.IntegerField()
    standard_term_years = serializers.IntegerField()
