from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboards import selectors
from dashboards.selectors import Scope
from phdsupport import access
from programs import rules
from programs.selectors import floor_in_force
from students.api.auth import AggregateAccess


class HeadcountQuery(serializers.Serializer):
    fiscal_year = serializers.IntegerField(required=False, min_value=2019, max_value=2040)
    floor = serializers.IntegerField(required=False, min_value=1, max_value=10_000_000)


class HeadcountApi(APIView):
    """Supported students against the target: a university key gets its university, others the nation."""

    permission_classes = [AggregateAccess]

    @extend_schema(
        parameters=[HeadcountQuery],
        responses=inline_serializer(
            "Headcount",
            {
                "fiscal_year": serializers.IntegerField(),
                "floor": serializers.IntegerField(allow_null=True),  # none in force before the first floor
                "target": serializers.IntegerField(allow_null=True),
                "headcount": serializers.IntegerField(),
                "scope": serializers.CharField(),
                "university": serializers.IntegerField(allow_null=True),
                "by_program": serializers.DictField(child=serializers.IntegerField()),
                "gross_awards": serializers.DictField(child=serializers.IntegerField()),
            },
        ),
    )
    def get(self, request):
        query = HeadcountQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        fiscal_year = query.validated_data.get("fiscal_year") or rules.fiscal_year(timezone.localdate())
        floor = query.validated_data.get("floor")
        university_id = access.staff_university_id(request.user)  # a university sees its own figures
        scope = Scope(fiscal_year=fiscal_year, floor=floor, university_id=university_id)
        target = selectors.target_for(fiscal_year)
        return Response(
            {
                "fiscal_year": fiscal_year,
                "floor": floor if floor is not None else floor_in_force(day=rules.fiscal_year_bounds(fiscal_year)[0]),
                "target": target.headcount if target else None,
                "headcount": selectors.headcount(scope),
                "scope": "national" if university_id is None else "university",
                "university": university_id,
                "by_program": selectors.by_program(scope),
                "gross_awards": selectors.gross_awards(fiscal_year, university_id),
            }
        )
