from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

# The person a service acts for, for history rows of instances the service never holds: a
# cascaded delete loads its own copies of the children, so `_history_user` set on ours is lost.
_acting_user: ContextVar[Any] = ContextVar("history_acting_user", default=None)


@contextmanager
def recorded_as(user: Any) -> Iterator[None]:
    """History rows written inside the block name `user` unless the instance names its own."""
    token = _acting_user.set(user)
    try:
        yield
    finally:
        _acting_user.reset(token)


def history_user(instance: Any = None, request: Any = None, **kwargs: Any) -> Any:
    """Who a history row names: the service's acting user, else the signed-in person.

    An API key is not a person: its writes are recorded under the person who issued the key,
    which the API passes as the acting user; the key itself is never stored as the user (its
    prefix goes to `history_api_key`).
    """
    explicit = getattr(instance, "_history_user", None)
    if explicit is None:
        explicit = _acting_user.get()
    if explicit is not None:
        explicit = getattr(explicit, "recorded_user", explicit)
        return explicit if isinstance(explicit, get_user_model()) else None
    user = getattr(request, "user", None)
    user = getattr(user, "recorded_user", user)  # a key in the request acts for its issuer
    return user if isinstance(user, get_user_model()) and user.is_authenticated else None


def history_api_key() -> str:
    """The prefix of the API key behind the current request ("" for pages, tasks, commands).

    The API's key authentication puts it on the request; simple-history's middleware keeps the
    request for the thread. Read when a history row is built, bulk-created rows included."""
    request = getattr(HistoricalRecords.context, "request", None)
    return getattr(request, "history_api_key", "") or ""


class ApiKeyHistory(models.Model):
    """Fields every historical model adds: which API key (by prefix) made the change."""

    history_api_key = models.CharField(_("APIキー"), max_length=12, blank=True, default=history_api_key, editable=False)

    class Meta:
        abstract = True


def audited_history(**options: Any) -> HistoricalRecords:
    """HistoricalRecords naming the person (history_user) and the API key of every change."""
    options.setdefault("get_user", history_user)
    options.setdefault("bases", [ApiKeyHistory])
    return HistoricalRecords(**options)
