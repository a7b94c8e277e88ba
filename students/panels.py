"""Sections that other apps add to a student's page (careers adds the records after the degree).

The student page lives here, and students imports none of the apps built on it (DESIGN.md:
dependencies point one way), so those apps register their section when they start
(AppConfig.ready) and the page renders whatever is registered, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Panel:
    template: str
    context: Callable[[Any, Any], dict[str, Any]]  # (request, student) -> template context


_PANELS: list[Panel] = []


def register(panel: Panel) -> None:
    if panel not in _PANELS:
        _PANELS.append(panel)


def panels_for(request: Any, student: Any) -> list[dict[str, Any]]:
    return [{"template": p.template, "context": p.context(request, student)} for p in _PANELS]
