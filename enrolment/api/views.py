from enrolment import services
from enrolment.api import serializers as es
from enrolment.api.serializers import STATISTIC_FIELDS
from enrolment.filters import EnrolmentStatisticFilterSet
from enrolment.models import EnrolmentStatistic
from students.api.auth import acting_user, university_of
from students.api.views import RowsViewSet, ServiceWritesMixin, ValuesListMixin, write_schema


@write_schema(es.EnrolmentStatisticSerializer, es.EnrolmentStatisticWriteSerializer)
class EnrolmentStatisticViewSet(ServiceWritesMixin, ValuesListMixin, RowsViewSet):
    """Reported doctoral-course statistics of the key's university, one row per fiscal year and
    field. Writes go through enrolment.services; a year locked by the officer is refused."""

    list_values = {name: "university_id" if name == "university" else name for name in STATISTIC_FIELDS}
    serializer_class = es.EnrolmentStatisticSerializer
    write_serializer_class = es.EnrolmentStatisticWriteSerializer
    fixed_fields = ("fiscal_year", "field")
    filterset_class = EnrolmentStatisticFilterSet
    ordering_fields = ["id", "fiscal_year", "updated_at"]

    def get_queryset(self):
        return EnrolmentStatistic.objects.for_user(self.request.user).order_by("id")

    def create_object(self, request, values):
        return services.statistic_create(university=university_of(request), acting_user=acting_user(request), **values)

    def update_object(self, request, obj, expected_version, values):
        return services.statistic_update(
            statistic=obj, expected_version=expected_version, acting_user=acting_user(request), **values
        )

    def delete_object(self, request, obj):
        services.statistic_delete(statistic=obj, acting_user=acting_user(request))
