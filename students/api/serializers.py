from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from phdsupport.api.fields import JsonTypesSerializer, NamesOneOf, PlausibleDateField, TermYearsField, TextField
from programs.models import Program
from students.models import Award, AwardEvent, Field, Student, University
from students.services import AMOUNT_OUT_OF_RANGE, MAX_ANNUAL_YEN


class ProgramSerializer(serializers.ModelSerializer):
    annual_living_cost = serializers.SerializerMethodField()
    annual_research_cost = serializers.SerializerMethodField()

    class Meta:
        model = Program
        fields = [
            "code",
            "name_ja",
            "name_en",
            "agency",
            "audience",
            "term_years",
            "is_exclusive",
            "annual_living_cost",
            "annual_research_cost",
        ]

    def _latest(self, obj):
        rules = sorted(obj.rules.all(), key=lambda r: r.effective_from)
        return rules[-1] if rules else None

    def get_annual_living_cost(self, obj) -> int | None:
        rule = self._latest(obj)
        return rule.annual_living_cost if rule else None

    def get_annual_research_cost(self, obj) -> int | None:
        rule = self._latest(obj)
        return rule.annual_research_cost if rule else None


class UniversitySerializer(serializers.ModelSerializer):
    class Meta:
        model = University
        fields = [
            "id",
            "name_ja",
            "name_en",
            "founder",
            "national_group",
            "is_designated",
            "spring_adopted",
            "boost_adopted",
        ]


class StudentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Student
        fields = [
            "id",
            "student_number",
            "erad_number",
            "family_name",
            "given_name",
            "field",
            "entry_date",
            "standard_term_years",
            "status",
            "completion_date",
            "is_international",
            "is_working_adult",
            "entry_route",
            "version",
            "updated_at",
        ]


class StudentWriteSerializer(JsonTypesSerializer):
    """Input only: types are checked here, every rule in students.services."""

    student_number = TextField(max_length=32)
    erad_number = TextField(max_length=8, required=False, allow_blank=True)
    family_name = TextField(max_length=100, required=False, allow_blank=True)
    given_name = TextField(max_length=100, required=False, allow_blank=True)
    field = serializers.ChoiceField(choices=Field.choices)
    entry_date = PlausibleDateField()
    standard_term_years = TermYearsField(required=False)
    status = serializers.ChoiceField(choices=Student.Status.choices, required=False)
    completion_date = PlausibleDateField(required=False, allow_null=True)
    is_international = serializers.BooleanField(required=False)
    is_working_adult = serializers.BooleanField(required=False)
    entry_route = serializers.ChoiceField(choices=Student.EntryRoute.choices, required=False, allow_blank=True)


class AwardSerializer(serializers.ModelSerializer):
    program = serializers.SlugRelatedField(slug_field="code", read_only=True)
    student_number = serializers.CharField(source="student.student_number", read_only=True)

    class Meta:
        model = Award
        fields = [
            "id",
            "student",
            "student_number",
            "program",
            "start_date",
            "end_date",
            "annual_living_cost",
            "annual_research_cost",
            "status",
            "is_reserved",
            "version",
            "updated_at",
        ]


STUDENT_NOT_NAMED = _("student か student_number を指定してください。")


class StudentNamedSerializer(JsonTypesSerializer):
    # A record that belongs to a student, named by id or by student number (views._student_of).
    # A comment, not a docstring: drf-spectacular would publish it on every subclass.

    student = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="student id, or give student_number"
    )
    student_number = TextField(required=False, max_length=32)


class AmountField(serializers.IntegerField):
    # Integer yen. The range is the services' (MAX_ANNUAL_YEN), refused with their message and
    # code (amount_range), so the API answers as a form or an upload row does.

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.min_value, self.max_value = 0, MAX_ANNUAL_YEN  # read by drf-spectacular only

    def out_of_range(self, data) -> serializers.ValidationError | None:
        """The services' refusal of an amount outside their range (message and code amount_range)."""
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError:
            return None  # not a whole number: the field's own error says so
        if 0 <= value <= MAX_ANNUAL_YEN:
            return None
        return serializers.ValidationError(AMOUNT_OUT_OF_RANGE.format(max=f"{MAX_ANNUAL_YEN:,}"), code="amount_range")


class AwardWriteSerializer(StudentNamedSerializer):
    program = serializers.SlugRelatedField(slug_field="code", queryset=Program.objects.all())
    start_date = PlausibleDateField()
    end_date = PlausibleDateField()
    annual_living_cost = AmountField(required=False, help_text="integer yen; omitted: the program's rule")
    annual_research_cost = AmountField(required=False)
    is_reserved = serializers.BooleanField(required=False)

    def to_internal_value(self, data):
        # Amounts in range are the services' check, run with all their others (every error at
        # once); when another field is refused here first, a bad amount is named beside it.
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            detail = dict(error.detail) if isinstance(error.detail, dict) else {}
            for name in ("annual_living_cost", "annual_research_cost"):
                if name in detail or not isinstance(data, dict) or data.get(name) is None:
                    continue
                refusal = self.fields[name].out_of_range(data[name])
                if refusal is not None:
                    detail[name] = refusal.detail
            raise serializers.ValidationError(detail or error.detail) from error


class AwardCreateSerializer(NamesOneOf, AwardWriteSerializer):
    """A new award: the fields of an update, and its student by `student` (id) or `student_number`."""

    one_of_required = ("student", "student_number")

    def validate(self, attrs):
        if attrs.get("student") is None and not attrs.get("student_number"):
            raise serializers.ValidationError({"student": [STUDENT_NOT_NAMED]})
        return attrs


class AwardEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AwardEvent
        fields = [
            "id",
            "kind",
            "start_date",
            "end_date",
            "reason",
            "previous_end_date",
            "annual_living_cost",
            "created_at",
        ]


class AwardEventWriteSerializer(JsonTypesSerializer):
    kind = serializers.ChoiceField(choices=AwardEvent.Kind.choices)
    start_date = PlausibleDateField()
    end_date = PlausibleDateField(required=False, allow_null=True)
    reason = TextField(required=False, allow_blank=True, max_length=500)
    # kind "amount_change": the annual living-cost amount in force from start_date
    annual_living_cost = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=10_000_000)
    # kind "amount_change": add the program's final-year special allowance (DC, from FY2024)
    special_allowance = serializers.BooleanField(required=False, default=False)


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}], "nullable": True})
class BulkValueField(serializers.Field):
    """One value of a bulk item: text, a number, yes/no or null. A list or an object where a
    value belongs is refused here (the planner reads cells, as in a file)."""

    default_error_messages = {"invalid": _("文字列・数値・真偽値のいずれかで入力してください。")}

    def to_internal_value(self, data):
        if data is not None and not isinstance(data, str | int | float | bool):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class BulkSerializer(serializers.Serializer):
    students = serializers.ListField(
        child=serializers.DictField(child=BulkValueField(allow_null=True)), required=False, default=list
    )
    awards = serializers.ListField(
        child=serializers.DictField(child=BulkValueField(allow_null=True)), required=False, default=list
    )

    def validate(self, attrs):
        if len(attrs["students"]) + len(attrs["awards"]) > 10_000:
            raise serializers.ValidationError(_("一度に送れるのは10,000件までです。"))
        return attrs


class BulkResultSerializer(serializers.Serializer):
    students_created = serializers.IntegerField()
    students_updated = serializers.IntegerField()
    students_unchanged = serializers.IntegerField()
    awards_created = serializers.IntegerField()
    awards_updated = serializers.IntegerField()
    awards_unchanged = serializers.IntegerField()
