from typing import Any

from django.contrib.auth import get_user_model


def history_user(instance: Any = None, request: Any = None, **kwargs: Any) -> Any:
    """Who a history row names: the service's acting user, else the signed-in person.

    An API key is not a person: its writes are recorded under the person who issued the key,
    which the API passes as the acting user; the key itself is never stored as the user.
    """
    explicit = getattr(instance, "_history_user", None)
    if explicit is not None:
        return explicit if isinstance(explicit, get_user_model()) else None
    user = getattr(request, "user", None)
    return user if isinstance(user, get_user_model()) and user.is_authenticated else None
