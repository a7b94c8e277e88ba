"""The ledger for university systems: list with updated_since, a month recorded or corrected
(If-Match names the month's current entry; Idempotency-Key replays), and bulk."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from payments import services
from payments.api import serializers as ps
from payments.filters import PaymentEntryFilterSet
from payments.models import PaymentEntry
from phdsupport.api.errors import PreconditionFailed
from students.api.auth import RowAccess, acting_user, university_of
from students.api.views import RowsViewSet, ValuesListMixin, idempotent
from students.models import Award


def etag_of_entry(entry: PaymentEntry) -> str:
    """An entry is never edited, so its id is its version."""
    return f'"payment-{entry.pk}"'


class PaymentViewSet(ValuesListMixin, RowsViewSet):
    """Payments (支給実績) per award and month: the current entry of each month; `?history=1`
    lists every entry, corrections included."""

    list_values = {
        "id": "id",
        "award": "award_id",
        "student_number": "award__student__student_number",
        "program": "award__program__code",
        "month": "month",
        "living_cost": "living_cost",
        "research_cost": "research_cost",
        "pay_date": "pay_date",
        "reason": "reason",
        "is_current": "is_current",
        "source": "source",
        "updated_at": "created_at",
    }
    serializer_class = ps.PaymentSerializer
    filterset_class = PaymentEntryFilterSet
    ordering_fields = ["id", "created_at"]

    def get_queryset(self):
        entries = PaymentEntry.objects.for_user(self.request.user).select_related("award__student", "award__program")
        if self.action == "list" and self.request.query_params.get("history") != "1":
            entries = entries.current()
        return entries.order_by("id")

    def retrieve(self, request, *args, **kwargs):
        entry = self.get_object()
        return Response(self.get_serializer(entry).data, headers={"ETag": etag_of_entry(entry)})

    @extend_schema(request=ps.PaymentWriteSerializer, responses={201: ps.PaymentSerializer, 200: ps.PaymentSerializer})
    def create(self, request):
        """Record a month, or correct it (a new entry; give `reason`). 200 with the current entry
        when it already says the same (nothing written). If-Match, when given, must name the
        month's current entry (412 otherwise): a correction made on a stale read is refused."""

        def handler():
            data = ps.PaymentWriteSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = dict(data.validated_data)
            university = university_of(request)
            award = Award.objects.filter(university=university, pk=values.pop("award")).first()
            if award is None:
                from django.http import Http404

                raise Http404
            month = services.first_of_month(values["month"])
            current = PaymentEntry.objects.current().filter(award=award, month=month).first()
            expected = request.headers.get("If-Match")
            if expected and expected.strip() != "*" and (current is None or expected.strip() != etag_of_entry(current)):
                raise PreconditionFailed()
            entry = services.payment_record(award=award, acting_user=acting_user(request), source="api", **values)
            shown = entry or current
            return Response(
                ps.PaymentSerializer(shown).data,
                status=status.HTTP_201_CREATED if entry else status.HTTP_200_OK,
                headers={"ETag": etag_of_entry(shown)},
            )

        return idempotent(request, handler)


class PaymentBulkApi(APIView):
    """Up to 10,000 months at once, all or nothing; the same items again write nothing."""

    permission_classes = [RowAccess]

    @extend_schema(request=ps.PaymentBulkSerializer, responses={200: ps.PaymentBulkResultSerializer})
    def post(self, request):
        def handler():
            data = ps.PaymentBulkSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            university = university_of(request)
            if university is None:
                raise DjangoValidationError(gettext("大学のキーまたは大学担当者だけが記録できます。"))
            rows = [
                services.PaymentInput(
                    item["award"],
                    item["month"],
                    item["living_cost"],
                    item["research_cost"],
                    item["pay_date"],
                    item.get("reason", ""),
                )
                for item in data.validated_data["payments"]
            ]
            try:
                result = services.payments_record(
                    university_id=university.pk, rows=rows, acting_user=acting_user(request), source="api"
                )
            except services.RowErrors as refused:
                return Response(_bulk_problem(refused), status=422, content_type="application/problem+json")
            return Response(
                {
                    "created": len(rows) - result.unchanged - result.corrected,
                    "corrected": result.corrected,
                    "unchanged": result.unchanged,
                }
            )

        return idempotent(request, handler)


def _bulk_problem(refused: services.RowErrors) -> dict:
    items = []
    for index, error in sorted(refused.by_row.items()):
        for name, errors in error.update_error_dict({}).items():
            for item in errors:
                items.append(
                    {
                        "collection": "payments",
                        "index": index,
                        "field": None if name == "__all__" else name,
                        "code": item.code or "invalid",
                        "message": " ".join(str(m) for m in item.messages),
                    }
                )
    return {
        "type": "about:blank",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": gettext("入力に誤りがあります。"),
        "errors": items,
    }
