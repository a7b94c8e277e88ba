"""Loading reference data without undoing a person's corrections (issue #12): used by
load_reference for every table it fills, and by the apps that keep reference rows of their own
(payments' budgets). Imports no app: it reads any model's django-simple-history."""

from __future__ import annotations

from typing import Any

from django.db import models


class Seeder:
    """Creates the reference rows that are missing and brings the others to the seed, except a
    row a person has changed (its history names a user: an administrator in the admin): an
    agency's correction must survive the next deployment, which runs load_reference again.
    Loading itself writes history naming no one."""

    def __init__(self) -> None:
        self.edited: dict[type[models.Model], set[Any]] = {}
        self.kept: list[str] = []

    def _edited_ids(self, model: type[models.Model]) -> set[Any]:
        if model not in self.edited:
            changes = model.history.filter(history_user__isnull=False)
            self.edited[model] = set(changes.values_list("id", flat=True))
        return self.edited[model]

    def update_or_create(
        self, model: type[models.Model], *, defaults: dict[str, Any], **lookup: Any
    ) -> models.Model | None:
        """The seed's row, created or brought to the seed; None when a person's edit is kept."""
        row = model.objects.filter(**lookup).first()
        if row is None:
            # Renamed or deleted by a person (a row of theirs once answered to this seed's key):
            # creating the seed's row again would undo the rename or the deletion.
            if model.history.filter(**lookup, id__in=self._edited_ids(model)).exists():
                self.kept.append(f"{model._meta.verbose_name}: {lookup}")
                return None
            return model.objects.create(**lookup, **defaults)
        if row.pk in self._edited_ids(model):
            if any(getattr(row, name) != value for name, value in defaults.items()):
                self.kept.append(f"{model._meta.verbose_name}: {row}")
            return None
        changed = [name for name, value in defaults.items() if getattr(row, name) != value]
        if changed:
            for name in changed:
                setattr(row, name, defaults[name])
            row.save(update_fields=changed)
        return row
