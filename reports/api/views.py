from django.db.models import OuterRef, Subquery
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from reports import services
from reports.api import serializers as rs
from reports.filters import ReportFilterSet
from reports.models import Report, ReportDeadline
from students.api.auth import acting_user, university_of
from students.api.views import RowsViewSet, check_if_match, etag_of, idempotent


class ReportViewSet(mixins.ListModelMixin, RowsViewSet):
    """Annual reports (実績報告) of the key's university. POST prepares the draft for a program and
    fiscal year (figures from the data); `submit` submits it (write keys of the university)."""

    serializer_class = rs.ReportSerializer
    filterset_class = ReportFilterSet
    ordering_fields = ["id", "fiscal_year", "updated_at"]

    def get_queryset(self):
        deadline = ReportDeadline.objects.filter(program=OuterRef("program"), fiscal_year=OuterRef("fiscal_year"))
        return (
            Report.objects.for_user(self.request.user)
            .select_related("program")
            .annotate(due_on=Subquery(deadline.values("due_date")[:1]))
            .order_by("id")
        )

    @extend_schema(request=rs.ReportPrepareSerializer, responses={200: rs.ReportSerializer})
    def create(self, request):
        university = university_of(request)
        if university is None:
            raise PermissionDenied()

        def handler():
            data = rs.ReportPrepareSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
            report = services.report_prepare(
                university=university,
                program=values["program"],
                fiscal_year=values["fiscal_year"],
                acting_user=acting_user(request),
            )
            if "comments" in values or "career_activities" in values:
                report = services.report_update_text(
                    report=report,
                    acting_user=request.user,
                    comments=values.get("comments", report.comments),
                    career_activities=values.get("career_activities", report.career_activities),
                )
            return Response(rs.ReportSerializer(report).data, headers={"ETag": etag_of(report)})

        return idempotent(request, handler)

    @extend_schema(request=None, responses=rs.ReportSerializer)
    @action(detail=True, methods=["post"], url_path="submit", url_name="submit")
    def submit(self, request, pk=None):
        report = self.get_object()
        check_if_match(request, report)
        report = services.report_submit(report=report, acting_user=request.user)
        return Response(rs.ReportSerializer(report).data, headers={"ETag": etag_of(report)})
