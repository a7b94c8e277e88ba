"""The REST API for university systems: the same services as the browser (DESIGN.md flow step 1)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from operator import attrgetter

from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import filters, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from phdsupport.api.errors import IdempotencyConflict, PreconditionFailed, PreconditionRequired
from phdsupport.api.filters import StrictCursorPagination, StrictFilterBackend
from phdsupport.personal_data import ReadKind, note_read
from programs.models import Program
from students import imports, services
from students.api import serializers as s
from students.api.auth import AggregateAccess, RowAccess, acting_user, university_of
from students.api.idempotency import idempotency_lock
from students.filters import AwardFilterSet, StudentFilterSet
from students.models import ApiKey, Award, IdempotencyRecord, Student, University

ID_PATTERN = r"[0-9]{1,18}"  # ids fit a 64-bit integer; anything else is simply not found


class ByIdCursor(StrictCursorPagination):
    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


def etag_of(obj) -> str:
    return f'"{obj._meta.model_name}-{obj.pk}-v{obj.version}"'


def check_if_match(request, obj, *, required: bool = False) -> int:
    """412 when If-Match names another version, 428 when it is `required` and missing (an update
    or delete must say which version it read); returns the version the write expects."""
    expected = request.headers.get("If-Match")
    if required and not (expected and expected.strip()):
        raise PreconditionRequired()
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

    try:
        with transaction.atomic():
            idempotency_lock(owner=owner, key=key[:255])  # a concurrent twin waits, then replays
            earlier = replay()
            if earlier is not None:
                return earlier
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
        whose = getattr(self, "personal_data_of", ())
        queryset = self.filter_queryset(self.get_queryset()).values(
            *dict.fromkeys([*self.list_values.values(), *whose])
        )
        page = self.paginate_queryset(queryset)
        if whose:
            note_read(request, kind=ReadKind.API, students=[(row[whose[0]], row[whose[1]]) for row in page])
        names = list(self.list_values.items())
        rows = [{name: row[source] for name, source in names} for row in page]
        return self.get_paginated_response(_jsonable(rows))


def _jsonable(rows: list[dict]) -> list[dict]:
    """Times exactly as DRF's DateTimeField writes them (the detail views use it): ISO 8601 in
    the current time zone, UTC written as Z. Dates are left to DRF's JSON encoder, which writes
    them as ISO 8601 just as DateField does."""
    timed = {name for row in rows for name, value in row.items() if type(value) is datetime}
    if not timed:
        return rows
    zone = timezone.get_current_timezone()
    for row in rows:
        for name in timed:
            value = row[name]
            if value is not None:
                text = value.astimezone(zone).isoformat()
                row[name] = text[:-6] + "Z" if text.endswith("+00:00") else text
    return rows


def note_api_read(request, view, instance) -> None:
    """Record an API read of one record holding personal data (issue #17): `personal_data_of`
    names the paths from the record to its student's id and that student's university."""
    whose = getattr(view, "personal_data_of", ())
    if whose:
        student, university = (attrgetter(path.replace("__", "."))(instance) for path in whose)
        note_read(request, kind=ReadKind.API, students=[(student, university)])


class VersionedRetrieveMixin:
    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        note_api_read(request, self, instance)
        return Response(self.get_serializer(instance).data, headers={"ETag": etag_of(instance)})


class RowsViewSet(VersionedRetrieveMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    # What every resource of a university's rows shares: ids as numbers, row access by key or
    # role, filtering and ordering, cursor pages in id order. (No docstring: drf-spectacular
    # would show it as the description of a resource that has none of its own.)
    lookup_value_regex = ID_PATTERN
    permission_classes = [RowAccess]
    filter_backends = [StrictFilterBackend, filters.OrderingFilter]
    pagination_class = ByIdCursor


class ServiceWritesMixin:
    """create, update (full and partial) and delete through the service functions, with ETag,
    If-Match and Idempotency-Key alike on every resource. A subclass names its write serializer
    and the three service calls; the field values arrive already validated by that serializer."""

    write_serializer_class: type
    create_serializer_class: type | None = None  # when creation takes more than an update
    fixed_fields: tuple[str, ...] = ()  # fields a write may give at creation only (the owner)

    def create_object(self, request, values: dict):
        raise NotImplementedError

    def update_object(self, request, obj, expected_version: int, values: dict):
        raise NotImplementedError

    def delete_object(self, request, obj) -> None:
        raise NotImplementedError

    def create(self, request):
        def handler():
            data = (self.create_serializer_class or self.write_serializer_class)(data=request.data)
            data.is_valid(raise_exception=True)
            obj = self.create_object(request, dict(data.validated_data))
            return Response(
                self.serializer_class(obj).data, status=status.HTTP_201_CREATED, headers={"ETag": etag_of(obj)}
            )

        return idempotent(request, handler)

    def update(self, request, pk=None, partial=False):
        obj = self.get_object()
        expected = check_if_match(request, obj, required=True)
        data = self.write_serializer_class(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = {k: v for k, v in data.validated_data.items() if k not in self.fixed_fields}
        obj = self.update_object(request, obj, expected, values)
        return Response(self.serializer_class(obj).data, headers={"ETag": etag_of(obj)})

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        obj = self.get_object()
        check_if_match(request, obj, required=True)
        self.delete_object(request, obj)
        return Response(status=status.HTTP_204_NO_CONTENT)


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The ETag of the version read (or *). Missing: 428; another version: 412.",
)


def write_schema(read, write, create=None):
    """The OpenAPI description of ServiceWritesMixin's methods for one resource."""
    return extend_schema_view(
        create=extend_schema(request=create or write, responses={201: read}),
        update=extend_schema(request=write, responses=read, parameters=[IF_MATCH]),
        partial_update=extend_schema(request=write, responses=read, parameters=[IF_MATCH]),
        destroy=extend_schema(parameters=[IF_MATCH]),
    )


@write_schema(s.StudentSerializer, s.StudentWriteSerializer)
class StudentViewSet(ServiceWritesMixin, ValuesListMixin, RowsViewSet):
    """Students of the key's university. Writes go through students.services."""

    list_values = {name: name for name in s.StudentSerializer.Meta.fields}
    personal_data_of = ("id", "university_id")
    serializer_class = s.StudentSerializer
    write_serializer_class = s.StudentWriteSerializer
    filterset_class = StudentFilterSet
    ordering_fields = ["id", "student_number", "entry_date", "updated_at"]

    def get_queryset(self):
        return Student.objects.for_user(self.request.user).order_by("id")

    def create_object(self, request, values):
        return services.student_create(university=university_of(request), acting_user=acting_user(request), **values)

    def update_object(self, request, obj, expected_version, values):
        return services.student_update(
            student=obj, expected_version=expected_version, acting_user=acting_user(request), **values
        )

    def delete_object(self, request, obj):
        services.student_delete(student=obj, acting_user=acting_user(request))


@write_schema(s.AwardSerializer, s.AwardWriteSerializer, s.AwardCreateSerializer)
class AwardViewSet(ServiceWritesMixin, ValuesListMixin, RowsViewSet):
    """Awards of the key's university; a new award names its student by `student` (id) or
    `student_number`. Writes go through students.services, so the program rules apply."""

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
    serializer_class = s.AwardSerializer
    write_serializer_class = s.AwardWriteSerializer
    personal_data_of = ("student_id", "student__university_id")
    create_serializer_class = s.AwardCreateSerializer
    fixed_fields = ("student", "student_number")
    filterset_class = AwardFilterSet
    ordering_fields = ["id", "start_date", "end_date", "updated_at"]

    def get_queryset(self):
        return Award.objects.for_user(self.request.user).select_related("program", "student").order_by("id")

    def create_object(self, request, values):
        student = student_of(request, values)
        return services.award_create(student=student, acting_user=acting_user(request), **values)

    def update_object(self, request, obj, expected_version, values):
        return services.award_update(
            award=obj, expected_version=expected_version, acting_user=acting_user(request), **values
        )

    def delete_object(self, request, obj):
        services.award_delete(award=obj, acting_user=acting_user(request))

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
            note_api_read(request, self, award)
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
            rows, origins = _bulk_rows(keys, students, awards)
            # Checked, then written as an upload is (students.uploads._check_and_apply): in the
            # writing transaction, with the persons and the university's rows locked, what the
            # check read is read again, and the rows are checked again there if it moved.
            source = hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()
            plan = imports.plan_rows(
                university=university_of(request), keys=keys, raw_rows=rows, total=len(rows), source=source
            )
            with transaction.atomic():
                if plan.result.ok and not imports.plan_is_current(plan):
                    plan = imports.plan_rows(
                        university=university_of(request),
                        keys=keys,
                        raw_rows=rows,
                        total=len(rows),
                        checked=plan.fingerprint,
                        lock=True,
                        source=source,
                    )
                if not plan.result.ok:
                    # The items have the published shape; the planner's rules refuse them (422, as
                    # the services' refusals: phdsupport.api.errors).
                    return Response(
                        _bulk_problem(plan.result.errors, origins),
                        status=status.HTTP_422_UNPROCESSABLE_ENTITY,
                        content_type="application/problem+json",
                    )
                result = imports.import_apply(plan=plan, acting_user=acting_user(request))
            return Response({k: v for k, v in result.as_dict().items() if k not in ("errors", "rows")})

        return idempotent(request, handler)


def _bulk_rows(keys: list[str], students: list[dict], awards: list[dict]) -> tuple[list[list], list[dict]]:
    """The items as upload rows: each student's first award rides on the student's row, as in an
    upload file (one row = a student and an award), so the planner reads each record once.
    `origins[i]` names the items behind row i, to report an error against the item it concerns."""
    rows: list[list] = []
    origins: list[dict] = []
    row_of_student: dict[str, int] = {}
    for index, item in enumerate(students):
        number = item.get("student_number")
        if number and number not in row_of_student:
            row_of_student[number] = len(rows)
        rows.append([item.get(k) for k in keys])
        origins.append({"students": index})
    award_positions = [keys.index(k) for k in imports.AWARD_KEYS]
    for index, item in enumerate(awards):
        row = row_of_student.pop(item.get("student_number") or "", None)
        if row is not None:
            for position in award_positions:
                rows[row][position] = item.get(keys[position])
            origins[row]["awards"] = index
        else:
            rows.append([item.get(k) for k in keys])
            origins.append({"awards": index})
    return rows, origins


def _bulk_problem(errors, origins: list[dict]) -> dict:
    award_columns = {imports.LABEL_OF[key] for key in imports.AWARD_KEYS}
    items = []
    for error in errors:
        origin = origins[error.row - 2]
        # An award's error of the award as a whole (a locked year) has no field but an award column.
        collection = "awards" if error.column in award_columns and "awards" in origin else "students"
        collection = collection if collection in origin else next(iter(origin))
        items.append(
            {
                "collection": collection,
                "index": origin[collection],
                "field": error.field or None,
                "code": error.code,
                "message": str(error.message),
            }
        )
    return {
        "type": "about:blank",
        "title": "Unprocessable Entity",  # HTTPStatus(422).phrase, as the handler writes it
        "status": 422,
        "detail": gettext("入力に誤りがあります。"),
        "errors": items,
    }


def student_of(request, values: dict) -> Student:
    """The student a write names, by id or by student number, within what the caller may see;
    both keys are taken out of `values`, which then hold the record's own fields."""
    students = Student.objects.for_user(request.user)
    pk, number = values.pop("student", None), values.pop("student_number", None)
    if pk is not None:
        return get_object_or_404(students, pk=pk)
    if number:
        return get_object_or_404(students, student_number=number)
    from rest_framework.exceptions import ValidationError

    raise ValidationError({"student": [s.STUDENT_NOT_NAMED]})
