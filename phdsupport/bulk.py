"""Writing many new rows at once: PostgreSQL's COPY where it is the database, Django's
bulk_create elsewhere (SQLite, the demo). Imports no app.

An upload of 10,000 awards writes 40,000 rows (students, awards and their history). Through the ORM's bulk_create each value passes through its field's preparation one
by one, which costs more than the database's own work; COPY sends the rows as they are.
Callers give plain values (what the model's fields hold), so nothing is converted twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

COPY_BATCH = 1000  # the bulk_create fallback's batch size


def copies() -> bool:
    """The database takes COPY (PostgreSQL)."""
    return connection.vendor == "postgresql"


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` new primary keys from the table's own sequence, as an insert would take them
    (PostgreSQL): rows written by COPY then carry their ids, and their history rows can name them."""
    if count == 0:
        return []
    pk = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY `rows` (values in `columns` order) into `table` (PostgreSQL)."""
    sql = f"COPY {_quoted(table)} ({', '.join(_quoted(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _history_user(model: type[models.Model], acting_user: Any) -> Any:
    """The person the history rows name, as simple-history's bulk writes name them: the acting
    user, else whoever the history's `get_user` finds (the service's or the request's)."""
    if getattr(acting_user, "pk", None):
        return acting_user

    class Unmarked:  # an instance that names nobody itself, so get_user looks at the context
        pass

    return model.history.model.get_default_history_user(Unmarked())


def _copy_records(
    model: type[models.Model], rows: Sequence[dict[str, Any]], now: Any
) -> tuple[list[int], list[tuple[Any, ...]], list[models.Field]]:
    """COPY new records into the model's table with ids from its sequence (PostgreSQL).
    Returns their ids, the rows as written (id first, then `fields`) and those fields."""
    # A generated column is the database's to write (students' `recorded_late`).
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
    # Per field: (attname, the value a row without it takes, whether the time of the call
    # replaces whatever the row says, as auto_now and auto_now_add do on save).
    getters = [
        (f.attname, f.get_default(), getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)) for f in fields
    ]
    ids = reserve_ids(model, len(rows))
    values = [
        (pk_value, *(now if automatic else row.get(attname, default) for attname, default, automatic in getters))
        for pk_value, row in zip(ids, rows, strict=True)
    ]
    copy_rows(model._meta.db_table, [model._meta.pk.column, *(f.column for f in fields)], values)
    return ids, values, fields


def create(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert new records of a model without history (an append-only table is its own history,
    as the payment ledger is); returns their ids, in order. `rows` as for create_with_history:
    valid values by attname, a field left out takes its default, auto_now(_add) the call's time."""
    if not rows:
        return []
    if not copies():
        instances = [model(**row) for row in rows]
        model.objects.bulk_create(instances, batch_size=COPY_BATCH)
        return [instance.pk for instance in instances]
    return _copy_records(model, rows, timezone.now())[0]


def create_with_history(
    model: type[models.Model], rows: Sequence[dict[str, Any]], *, acting_user: Any, change_reason: str
) -> list[int]:
    """Insert new records and their "created" history rows; returns their ids, in order.

    `rows` map attnames (`student_id`, not `student`) to values as the model holds them; a
    field a row leaves out takes its default (evaluated once for the call), `auto_now` and
    `auto_now_add` fields the time of the call. The values must already be valid: this writes,
    it does not check (the services' checks run before).
    """
    if not rows:
        return []
    user = _history_user(model, acting_user)
    if not copies():
        instances = [model(**row) for row in rows]
        bulk_create_with_history(
            instances, model, batch_size=COPY_BATCH, default_user=user, default_change_reason=change_reason
        )
        return [instance.pk for instance in instances]

    now = timezone.now()
    ids, values, fields = _copy_records(model, rows, now)
    pk = model._meta.pk

    history = model.history.model
    position = {pk.attname: 0, **{f.attname: i + 1 for i, f in enumerate(fields)}}
    tracked = {f.attname for f in history.tracked_fields}
    own = {
        "history_date": now,
        "history_type": "+",
        "history_change_reason": change_reason,
        "history_user_id": getattr(user, "pk", None),
    }
    columns: list[str] = []
    plan: list[tuple[int | None, Any]] = []  # (position in the record's row, or None and a constant)
    for f in history._meta.concrete_fields:
        if f.primary_key:
            continue  # history_id: the table's own identity
        columns.append(f.column)
        if f.attname in tracked:
            plan.append((position[f.attname], None))
        else:
            plan.append((None, own[f.attname] if f.attname in own else f.get_default()))
    copy_rows(
        history._meta.db_table,
        columns,
        (tuple(row[i] if i is not None else constant for i, constant in plan) for row in values),
    )
    return ids
