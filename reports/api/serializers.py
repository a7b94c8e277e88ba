from datetime import date

from rest_framework import serializers

from phdsupport.api.fields import JsonTypesSerializer, TextField
from programs.models import Program
from reports.models import Report
from reports.selectors import deadline_for


class ReportSerializer(serializers.ModelSerializer):
    university = serializers.PrimaryKeyRelatedField(read_only=True)
    program = serializers.SlugRelatedField(slug_field="code", read_only=True)
    due_date = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "university",
            "program",
            "fiscal_year",
            "state",
            "due_date",
            "figures",
            "comments",
            "career_activities",
            "officer_comment",
            "submitted_at",
            "version",
            "updated_at",
        ]

    def get_due_date(self, obj) -> date | None:
        if hasattr(obj, "due_on"):  # annotated by the list's queryset: one query for the page
            return obj.due_on
        return deadline_for(program=obj.program, fiscal_year=obj.fiscal_year)


class ReportPrepareSerializer(JsonTypesSerializer):
    program = serializers.SlugRelatedField(slug_field="code", queryset=Program.objects.all())
    fiscal_year = serializers.IntegerField(min_value=2000, max_value=2100)
    comments = TextField(multiline=True, required=False, allow_blank=True, max_length=20_000)
    career_activities = TextField(multiline=True, required=False, allow_blank=True, max_length=20_000)
