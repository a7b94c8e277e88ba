"""Helpers for table rows rendered in Python (the long lists of a page, where the template
language's per-row reverse() and filters cost more than the data: see the template tags that
use them)."""

from datetime import datetime

from django.urls import reverse
from django.utils import timezone

_SENTINEL = 987654321  # an id no row has: reversed once, then replaced by each row's


def url_pattern(name: str) -> str:
    """The URL of `name` for one object id, with `{}` where the id goes: reverse() once a table,
    not once a row."""
    return reverse(name, args=[_SENTINEL]).replace(str(_SENTINEL), "{}")


def local_day(moment: datetime) -> str:
    """A stored moment's day where the site is (as the template filter date:"Y-m-d" shows it)."""
    return timezone.localtime(moment).date().isoformat()
