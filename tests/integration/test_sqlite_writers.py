"""SQLite: two writers wait for each other instead of one failing "database is locked".

The cause of the 10,000-row worker test's flake (tests/integration/test_upload_worker.py) under
load: a transaction that reads and then writes (the apply) meets another writer (the heartbeat,
the web process). In SQLite's default deferred mode the reader cannot wait for the write lock:
SQLite fails it at once to avoid a deadlock, whatever the busy timeout. Settings make every
transaction IMMEDIATE (it takes the write lock when it begins, waiting like any writer) and the
database WAL (readers never wait for a writer). Ref: #12
"""

import contextlib
import threading

import pytest
from django.db import connection, transaction

from students.models import Founder, University

pytestmark = pytest.mark.integration


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's locking")
def test_two_transactions_that_read_then_write_both_commit(transactional_db):
    # given: two threads (two connections), each reading, then, once both have read, writing
    both_read = threading.Barrier(2, timeout=3)
    errors: list[Exception] = []

    def read_then_write(name: str) -> None:
        try:
            with transaction.atomic():
                University.objects.count()
                # With IMMEDIATE the second waits at BEGIN, so the barrier breaks; go on writing.
                with contextlib.suppress(threading.BrokenBarrierError):
                    both_read.wait()
                University.objects.create(name_ja=name, founder=Founder.NATIONAL)
        except Exception as error:  # the failure under test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=read_then_write, args=(name,)) for name in ("甲大学", "乙大学")]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then: with deferred transactions one of them failed with "database is locked"
    assert errors == []
    assert set(University.objects.values_list("name_ja", flat=True)) == {"甲大学", "乙大学"}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's locking")
def test_the_database_is_in_wal_mode(db):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
