from rest_framework import serializers

from payments.models import PaymentEntry


class PaymentSerializer(serializers.ModelSerializer):
    """A month's ledger entry (the current one unless the list asks for history)."""

    student_number = serializers.CharField(source="award.student.student_number", read_only=True)
    program = serializers.CharField(source="award.program.code", read_only=True)
    updated_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = PaymentEntry
        fields = [
            "id",
            "award",
            "student_number",
            "program",
            "month",
            "living_cost",
            "research_cost",
            "pay_date",
            "reason",
            "is_current",
            "source",
            "updated_at",
        ]
        read_only_fields = fields


class PaymentWriteSerializer(serializers.Serializer):
    """One month of one award; the service checks the amounts, the month and the lock."""

    award = serializers.IntegerField(min_value=1)
    month = serializers.DateField(help_text="Any day of the month paid for (stored as its first day).")
    living_cost = serializers.IntegerField()
    research_cost = serializers.IntegerField(default=0)
    pay_date = serializers.DateField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class PaymentBulkSerializer(serializers.Serializer):
    payments = serializers.ListField(child=PaymentWriteSerializer(), min_length=1, max_length=10_000)


class PaymentBulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    corrected = serializers.IntegerField()
    unchanged = serializers.IntegerField()
