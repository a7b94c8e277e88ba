"""The API's reading of query parameters: as strict as the OpenAPI schema says.

The FilterSets are shared with the pages (NetBox's habit), where an empty form field means
"any". A system calling the API reads the schema instead, where `fiscal_year=` or
`updated_since=` is not an integer or a time: the API refuses it (400) rather than quietly
answer everything. Ordering is DRF's OrderingFilter in the API (the cursor pages follow it);
a FilterSet's own ordering filter, written for the page's select box, is left to the page.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.pagination import CursorPagination

EMPTY_VALUE = _("値が空です。指定しないか、値を入れてください。")
PAGE_SIZE_RANGE = _("1以上{max}以下の整数で入力してください。")


class StrictFilterBackend(DjangoFilterBackend):
    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        for name, filter_ in list(filterset.filters.items()):
            if isinstance(filter_, django_filters.OrderingFilter):
                del filterset.filters[name]
        empty = {
            name: [EMPTY_VALUE]
            for name, filter_ in filterset.filters.items()
            # A text filter's "" is a string like any other (and matches as the page's would).
            if type(filter_) is not django_filters.CharFilter
            and name in request.query_params
            and not request.query_params.get(name, "").strip()
        }
        if empty:
            raise serializers.ValidationError(empty)
        return filterset


class StrictCursorPagination(CursorPagination):
    """Cursor pages whose `page_size`, when given, is a whole number within 1..max_page_size as
    the schema states (DRF would quietly serve another size for 0, -1, "abc" or 5000)."""

    def get_page_size(self, request):
        if self.page_size_query_param and self.page_size_query_param in request.query_params:
            raw = request.query_params[self.page_size_query_param]
            if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
                message = str(PAGE_SIZE_RANGE).format(max=f"{self.max_page_size:,}")
                raise serializers.ValidationError({self.page_size_query_param: [message]})
            return int(raw)
        return self.page_size
