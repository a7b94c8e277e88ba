"""The REST API for university systems: the same services as the browser (DESIGN.md flow step 1)."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import filters, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from phdsupport.api.errors import IdempotencyConflict, PreconditionFailed
from programs.models import Program
from students import imports, services
from students.api import serializers as s
from students.api.auth import AggregateAccess, RowAccess, acting_user, university_of
from students.filters import AwardFilterSet, StudentFilterSet
from students.models import ApiKey, Award, IdempotencyRecord, Student, University

ID_PATTERN = r"[0-9]{1,18}"  # ids fit a 64-bit integer; anything else is simply not found


class ByIdCursor(CursorPagination):
    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


def etag_of(obj) -> str:
    return f'"{obj._meta.model_name}-{obj.pk}-v{obj.version}"'


def check_if_match(request, obj) -> int:
    """412 when If-Match names another version; returns the version the write expects."""
    expected = request.headers.get("If-Match")
    if expected and expected.strip() not in ("*", etag_of(obj)):
        raise PreconditionFailed()
    return obj.version


def idempotent(request, handler) -> Response:
    """Replay the first answer for a repeated Idempotency-Key; refuse the key with another body."""
    key = request.headers.get("Idempotency-Key")
    if not key:
        return handler()
    owner = f"key{request.auth.pk}" if isinstance(request.auth, ApiKey) else f"user{request.user.pk}"
    body_hash = hashlib.sha256(json.dumps(request.data, sort_keys=True, default=str).encode()).hexdigest()

    def replay() -> Response | None:
        record = IdempotencyRecord.objects.filter(owner=owner, key=key[:255]).first()
        if record is None:
            return None
        if record.body_hash != body_hash or record.path != request.path:
            raise IdempotencyConflict()
        return Response(record.response, status=record.status, headers={"Idempotent-Replayed": "true"})

    earlier = replay()
    if earlier is not None:
        return earlier
    try:
        with transaction.atomic():
            response = handler()
            if response.status_code < 500:
                IdempotencyRecord.objects.create(
                    owner=owner,
                    key=key[:255],
                    path=request.path[:255],
                    body_hash=body_hash,
                    status=response.status_code,
                    response=json.loads(json.dumps(response.data, default=str)),
                )
    except IntegrityError:  # the same key raced in from another request: answer as it did
        earlier = replay()
        if earlier is None:
            raise
        return earlier
    return response


class ProgramViewSet(viewsets.ReadOnlyModelViewSet):
    """The eight programs with their current amounts (integer yen)."""

    queryset = Program.objects.prefetch_related("rules").order_by("display_order")
    serializer_class = s.ProgramSerializer
    permission_classes = [AggregateAccess]
    lookup_field = "code"
    pagination_class = None


class UniversityViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.UniversitySerializer
    permission_classes = [AggregateAccess]
    filter_backends = [filters.SearchFilter]
    search_fields = ["name_ja", "name_en", "former_names"]
    pagination_class = ByIdCursor

    def get_queryset(self):
        return University.objects.order_by("id")


class ValuesListMixin:
    """Lists read plain rows with .values() and rename them to the serializer's fields.

    A page of 100 model instances through a ModelSerializer costs several times the query
    itself; the rows here are flat, so the same JSON comes from the values directly.
    """

    list_values: dict[str, str] = {}  # output field → queryset path

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset()).values(*self.list_values.values())
        page = self.paginate_queryset(queryset)
        names = list(self.list_values.items())
        rows = [{name: row[source] for name, source in names} for row in page]
        return self.get_paginated_response(_jsonable(rows))


def _jsonable(rows: list[dict]) -> list[dict]:
    """Dates and times exactly as DRF's fields write them (the detail views use those):
    ISO 8601, times in the current time zone, UTC written as Z."""
    zone = timezone.get_current_timezone()
    for row in rows:
        for name, value in row.items():
            if isinstance(value, datetime):
                text = value.astimezone(zone).isoformat()
                row[name] = text[:-6] + "Z" if text.endswith("+00:00") else text
            elif isinstance(value, date):
                row[name] = value.isoformat()
    return rows


class VersionedRetrieveMixin:
    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        return Response(self.get_serializer(instance).data, headers={"ETag": etag_of(instance)})


class StudentViewSet(ValuesListMixin, VersionedRetrieveMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Students of the key's university. Writes go through students.services."""

    list_values = {name: name for name in s.StudentSerializer.Meta.fields}
    lookup_value_regex = ID_PATTERN
    serializer_class = s.StudentSerializer
    permission_classes = [RowAccess]
    filter_backends = [DjangoFilterBackend, filters.OrderingFilter]
    filterset_class = StudentFilterSet
    ordering_fields = ["id", "student_number", "entry_date", "updated_at"]
    pagination_class = ByIdCursor

    def get_queryset(self):
        return Student.objects.for_user(self.request.user).order_by("id")

    @extend_schema(request=s.StudentWriteSerializer, responses={201: s.StudentSerializer})
    def create(self, request):
        def handler():
            data = s.StudentWriteSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            student = services.student_create(
                university=university_of(request), acting_user=acting_user(request), **data.validated_data
            )
            return Response(
                s.StudentSerializer(student).data, status=status.HTTP_201_CREATED, headers={"ETag": etag_of(student)}
            )

        return idempotent(request, handler)

    @extend_schema(request=s.StudentWriteSerializer, responses=s.StudentSerializer)
    def update(self, request, pk=None, partial=False):
        student = self.get_object()
        expected = check_if_match(request, student)
        data = s.StudentWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        student = services.student_update(
            student=student, expected_version=expected, acting_user=acting_user(request), **data.validated_data
        )
        return Response(s.StudentSerializer(student).data, headers={"ETag": etag_of(student)})

    @extend_schema(request=s.StudentWriteSerializer, responses=s.StudentSerializer)
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        student = self.get_object()
        check_if_match(request, student)
        services.student_delete(student=student, acting_user=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AwardViewSet(ValuesListMixin, VersionedRetrieveMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    list_values = {
        "id": "id",
        "student": "student_id",
        "student_number": "student__student_number",
        "program": "program__code",
        "start_date": "start_date",
        "end_date": "end_date",
        "annual_living_cost": "annual_living_cost",
        "annual_research_cost": "annual_research_cost",
        "status": "status",
        "is_reserved": "is_reserved",
        "version": "version",
        "updated_at": "updated_at",
    }
    lookup_value_regex = ID_PATTERN
    serializer_class = s.AwardSerializer
    permission_classes = [RowAccess]
    filter_backends = [DjangoFilterBackend, filters.OrderingFilter]
    filterset_class = AwardFilterSet
    ordering_fields = ["id", "start_date", "end_date", "updated_at"]
    pagination_class = ByIdCursor

    def get_queryset(self):
        return Award.objects.for_user(self.request.user).select_related("program", "student").order_by("id")

    def _student(self, request, data) -> Student:
        students = Student.objects.for_user(request.user)
        if data.get("student") is not None:
            return get_object_or_404(students, pk=data["student"])
        if data.get("student_number"):
            return get_object_or_404(students, student_number=data["student_number"])
        from rest_framework.exceptions import ValidationError

        raise ValidationError(
            {"student": ["student か student_number を指定してください。 / Give student or student_number."]}
        )

    @extend_schema(request=s.AwardWriteSerializer, responses={201: s.AwardSerializer})
    def create(self, request):
        def handler():
            data = s.AwardWriteSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = dict(data.validated_data)
            student = self._student(request, values)
            values.pop("student", None)
            values.pop("student_number", None)
            award = services.award_create(student=student, acting_user=acting_user(request), **values)
            return Response(
                s.AwardSerializer(award).data, status=status.HTTP_201_CREATED, headers={"ETag": etag_of(award)}
            )

        return idempotent(request, handler)

    @extend_schema(request=s.AwardWriteSerializer, responses=s.AwardSerializer)
    def update(self, request, pk=None, partial=False):
        award = self.get_object()
        expected = check_if_match(request, award)
        data = s.AwardWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = {k: v for k, v in data.validated_data.items() if k not in ("student", "student_number")}
        award = services.award_update(
            award=award, expected_version=expected, acting_user=acting_user(request), **values
        )
        return Response(s.AwardSerializer(award).data, headers={"ETag": etag_of(award)})

    @extend_schema(request=s.AwardWriteSerializer, responses=s.AwardSerializer)
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        award = self.get_object()
        check_if_match(request, award)
        services.award_delete(award=award, acting_user=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(methods=["GET"], responses=s.AwardEventSerializer(many=True))
    @extend_schema(methods=["POST"], request=s.AwardEventWriteSerializer, responses={201: s.AwardEventSerializer})
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="events",
        url_name="events",
        pagination_class=None,
        filter_backends=[],
    )
    def events(self, request, pk=None):
        award = self.get_object()
        if request.method == "GET":
            return Response(s.AwardEventSerializer(award.events.all(), many=True).data)

        def handler():
            data = s.AwardEventWriteSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            event = services.award_event_create(award=award, acting_user=acting_user(request), **data.validated_data)
            return Response(s.AwardEventSerializer(event).data, status=status.HTTP_201_CREATED)

        return idempotent(request, handler)


class BulkApi(APIView):
    """Students and awards together, matched on student number (+ program + start date);
    up to 10,000 items, all or nothing."""

    permission_classes = [RowAccess]

    @extend_schema(request=s.BulkSerializer, responses={200: s.BulkResultSerializer})
    def post(self, request):
        def handler():
            data = s.BulkSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            students, awards = data.validated_data["students"], data.validated_data["awards"]
            keys = [key for key, *_ in imports.COLUMNS]
            rows = [[item.get(k) for k in keys] for item in [*students, *awards]]
            plan = imports.plan_rows(university=university_of(request), keys=keys, raw_rows=rows, total=len(rows))
            if not plan.result.ok:
                return Response(
                    _bulk_problem(plan.result.errors, len(students)),
                    status=status.HTTP_400_BAD_REQUEST,
                    content_type="application/problem+json",
                )
            result = imports.import_apply(plan=plan, acting_user=acting_user(request))
            return Response({k: v for k, v in result.as_dict().items() if k not in ("errors", "rows")})

        return idempotent(request, handler)


def _bulk_problem(errors, students_count: int) -> dict:
    from phdsupport.api.errors import localise

    items = []
    for error in errors:
        index = error.row - 2
        collection, position = ("students", index) if index < students_count else ("awards", index - students_count)
        items.append(
            {
                "collection": collection,
                "index": position,
                "field": error.field or None,
                "code": "invalid",
                "message": localise(error.message),
            }
        )
    return {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": localise("入力に誤りがあります。 / The request has errors."),
        "errors": items,
    }
