from django.utils import timezone

from careers import services
from careers.api import serializers as cs
from careers.filters import CareerFilterSet
from careers.models import CareerOutcome
from students.api.auth import acting_user
from students.api.views import RowsViewSet, ServiceWritesMixin, ValuesListMixin, student_of, write_schema


@write_schema(cs.CareerSerializer, cs.CareerWriteSerializer, cs.CareerCreateSerializer)
class CareerViewSet(ServiceWritesMixin, ValuesListMixin, RowsViewSet):
    """Career records after the degree (survey points: completion, year_1, year_5, year_10)."""

    list_values = {
        "id": "id",
        "student": "student_id",
        "student_number": "student__student_number",
        "survey_point": "survey_point",
        "destination": "destination",
        "sector": "sector",
        "employer": "employer",
        "country": "country",
        "version": "version",
        "updated_at": "updated_at",
    }
    serializer_class = cs.CareerSerializer
    personal_data_of = ("student_id", "student__university_id")
    write_serializer_class = cs.CareerWriteSerializer
    create_serializer_class = cs.CareerCreateSerializer
    fixed_fields = ("student", "student_number")
    filterset_class = CareerFilterSet
    ordering_fields = ["id", "updated_at"]

    def get_queryset(self):
        return CareerOutcome.objects.for_user(self.request.user).select_related("student").order_by("id")

    def create_object(self, request, values):
        student = student_of(request, values)
        return services.career_create(
            student=student, acting_user=acting_user(request), today=timezone.localdate(), **values
        )

    def update_object(self, request, obj, expected_version, values):
        return services.career_update(
            career=obj,
            acting_user=acting_user(request),
            today=timezone.localdate(),
            expected_version=expected_version,
            **values,
        )

    def delete_object(self, request, obj):
        services.career_delete(career=obj, acting_user=acting_user(request))
