"""Named extension points between sibling apps (DESIGN.md: reports, careers, payments and
enrolment import none of each other). An app offering an extension point calls `collect`; an
app adding to it registers a function in its AppConfig.ready. No signals (STYLE.md): the caller
asks, in its own transaction, and gets plain values back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_HOOKS: dict[str, list[Callable[..., Any]]] = {}


def register(name: str, function: Callable[..., Any]) -> None:
    functions = _HOOKS.setdefault(name, [])
    if function not in functions:
        functions.append(function)


def collect(name: str, **kwargs: Any) -> list[Any]:
    """What every function registered under `name` answers, in registration order."""
    return [function(**kwargs) for function in _HOOKS.get(name, [])]
