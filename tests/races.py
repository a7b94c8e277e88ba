"""Two writers forced into one interleaving (the race tests, PostgreSQL only).

The first writer pauses at one point inside its transaction; the second starts only once the
first is there and runs meanwhile. The first waits until the second is done, or PAUSE seconds
when the second is waiting for a lock the first holds (then the first goes on and commits, and
the second, let through, sees what it wrote).
"""

import threading
from datetime import date

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from programs.models import Program
from students import services
from tests.students.kept_counts import assert_counts_kept
from tests.students.test_concurrency import run_threads, snapshot

PAUSE = 3  # seconds the first transaction waits for the second: long past PostgreSQL's deadlock_timeout (1 s)

needs_postgresql = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL (concurrent transactions)"
)


class Race:
    """One run of two writers: `first` pauses where `pause()` is called (or a function patched
    with `pause_after`/`pause_before` runs) in its own thread; `second` runs meanwhile."""

    def __init__(self) -> None:
        self.reached, self.done = threading.Event(), threading.Event()
        self._thread = threading.local()

    def pause(self) -> None:
        """In the first writer (a no-op in any other thread): let the second start, then wait
        for it to finish, or PAUSE seconds."""
        if not getattr(self._thread, "is_first", False):
            return
        self.reached.set()
        self.done.wait(timeout=PAUSE)

    def pause_after(self, monkeypatch, owner, name: str) -> None:
        """The first writer pauses right after `owner.name` returns (each time it is called)."""
        original = getattr(owner, name)

        def paused(*args, **kwargs):
            answer = original(*args, **kwargs)
            self.pause()
            return answer

        monkeypatch.setattr(owner, name, paused)

    def pause_before(self, monkeypatch, owner, name: str) -> None:
        """The first writer pauses right before `owner.name` runs."""
        original = getattr(owner, name)

        def paused(*args, **kwargs):
            self.pause()
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, paused)

    def run(self, first, second) -> list[BaseException]:
        """Run both, each in its own thread (its own connection); the errors they raised."""

        def run_first():
            self._thread.is_first = True
            first()

        def run_second():
            assert self.reached.wait(timeout=60), "the first writer never reached its pause"
            try:
                second()
            finally:
                self.done.set()

        return run_threads(run_first, run_second)


def refused(errors, code):
    """The one error is the services' refusal with `code`."""
    if len(errors) != 1 or not isinstance(errors[0], ValidationError):
        return False
    return code in {e.code for messages in errors[0].error_dict.values() for e in messages}


def refused_as_after(errors, write) -> bool:
    """The one error is the refusal `write()` gets now, after the race (one after the other):
    the same messages and codes, field by field."""
    if len(errors) != 1 or not isinstance(errors[0], ValidationError):
        return False
    with pytest.raises(ValidationError) as raised:
        write()
    return _by_field(errors[0]) == _by_field(raised.value)


def assert_facts_as_rebuilt() -> None:
    """The facts and the counts kept beside them, as the writes left them, equal what a full
    rebuild gives (no refresh of the race read before the other writer committed)."""
    from students.facts import facts_rebuild

    assert_counts_kept()
    kept = snapshot()
    facts_rebuild()
    assert snapshot() == kept


def _by_field(error: ValidationError) -> dict[str, list[tuple[str, str | None]]]:
    return {
        name: [(str(e.message % (e.params or {})), e.code) for e in errors] for name, errors in error.error_dict.items()
    }


LIVING_COST = {"SPRING": 1_800_000, "JSPS_DC1": 2_400_000}


def award_create(student, code, user, *, end=date(2028, 3, 31), living=None):
    """An award of `code` from 2025-04-01 (its program's usual living cost)."""
    return services.award_create(
        student=student,
        program=Program.objects.get(code=code),
        start_date=date(2025, 4, 1),
        end_date=end,
        annual_living_cost=LIVING_COST[code] if living is None else living,
        acting_user=user,
    )
