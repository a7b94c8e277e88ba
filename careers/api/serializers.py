from rest_framework import serializers

from careers.models import CareerOutcome
from phdsupport.api.fields import NamesOneOf, TextField
from students.api.serializers import STUDENT_NOT_NAMED, StudentNamedSerializer


class CareerSerializer(serializers.ModelSerializer):
    student_number = serializers.CharField(source="student.student_number", read_only=True)

    class Meta:
        model = CareerOutcome
        fields = [
            "id",
            "student",
            "student_number",
            "survey_point",
            "destination",
            "sector",
            "employer",
            "country",
            "version",
            "updated_at",
        ]


class CareerWriteSerializer(StudentNamedSerializer):
    survey_point = serializers.ChoiceField(choices=CareerOutcome.SurveyPoint.choices)
    destination = serializers.ChoiceField(choices=CareerOutcome.Destination.choices)
    sector = serializers.ChoiceField(choices=CareerOutcome.Sector.choices, required=False, allow_blank=True)
    employer = TextField(required=False, allow_blank=True, max_length=200)
    country = TextField(required=False, allow_blank=True, max_length=2)


class CareerCreateSerializer(NamesOneOf, CareerWriteSerializer):
    """A new career record: the fields of an update, and its student by `student` (id) or `student_number`."""

    one_of_required = ("student", "student_number")

    def validate(self, attrs):
        if attrs.get("student") is None and not attrs.get("student_number"):
            raise serializers.ValidationError({"student": [STUDENT_NOT_NAMED]})
        return attrs
