"""The API's JSON parser: nesting is bounded, so a hostile body is a 400, never a RecursionError."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from phdsupport.validation import MAX_JSON_DEPTH

TOO_DEEP = _("JSON の入れ子が深すぎます（上限 %(limit)s 段）。")


def json_depth_exceeds(data: Any, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` levels (walked without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class BoundedJSONParser(JSONParser):
    """JSONParser refusing bodies nested deeper than MAX_JSON_DEPTH.

    json.loads itself raises RecursionError on very deep input (about 1,000 levels), and a
    body nested a few hundred levels parses but then recurses in whatever reads it (hashing
    for Idempotency-Key, serializers, error rendering); both are refused here as a 400."""

    max_depth = MAX_JSON_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(str(TOO_DEEP) % {"limit": self.max_depth}) from error
        if json_depth_exceeds(data, self.max_depth):
            raise ParseError(str(TOO_DEEP) % {"limit": self.max_depth})
        return data
