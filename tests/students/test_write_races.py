"""Concurrent writes on one person (issue #14: "the counted number drifts under concurrent writes").

A rule that spans rows (exclusive programs across a person's records) is checked under the
person's lock, and every writer takes its locks in one order: the person first, then the rows
(students/services.py, "Lock order"). Each test forces the interleaving that broke before: one
transaction pauses between its check (or its row locks) and its write while the other runs.

PostgreSQL only (threads need real concurrent transactions); CI runs the suite on both.
"""

import dataclasses
import threading
import time
from datetime import date

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from programs.models import Program
from students import services, uploads
from students.models import Award, Student, UploadJob
from tests.factories import StudentFactory, UniversityFactory, user_with_role
from tests.students.test_concurrency import run_threads
from tests.students.test_imports import csv_bytes

pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL (concurrent transactions)"
    ),
    pytest.mark.django_db(transaction=True),
]

ERAD = "55556666"
PAUSE = 3  # seconds the first transaction waits for the second: long past PostgreSQL's deadlock_timeout (1 s)


def exclusive_awards(erad):
    return list(
        Award.objects.filter(student__erad_number=erad, program__is_exclusive=True).values_list(
            "student__university_id", "program__code"
        )
    )


def refused(errors, code):
    """The one error is the services' refusal with `code`."""
    if len(errors) != 1 or not isinstance(errors[0], ValidationError):
        return False
    return code in {e.code for messages in errors[0].error_dict.values() for e in messages}


def pause_students_apply(monkeypatch, after):
    """Run `after()` inside the upload apply's transaction, once it has checked that the plan is
    current (the university's rows locked) and before it writes."""
    kind = uploads.KINDS[uploads.STUDENTS]

    def current(plan):
        answer = kind.current(plan)
        after()
        return answer

    monkeypatch.setitem(uploads.KINDS, uploads.STUDENTS, dataclasses.replace(kind, current=current))


def one_person_at_two_universities():
    a, b = UniversityFactory(), UniversityFactory()
    first = StudentFactory(university=a, erad_number=ERAD, entry_date=date(2025, 4, 1))
    second = StudentFactory(university=b, erad_number=ERAD, entry_date=date(2025, 4, 1))
    return first, second


def test_two_exclusive_awards_for_one_person_at_once_the_second_is_refused(reference, monkeypatch):
    # The person holds a record at each of two universities; each university awards an exclusive
    # program over the same months. The first create has read the person's awards (none) and
    # waits; the second runs meanwhile. Before: the second did not wait for anything, both found
    # no overlap and both wrote (the person held SPRING and DC1 in the same months, both counted).
    first, second = one_person_at_two_universities()
    user = user_with_role("writer", "administrator")
    pausing = threading.local()
    has_read, second_done = threading.Event(), threading.Event()
    person_awards = services.person_awards

    def paused(student):
        terms = person_awards(student)
        if getattr(pausing, "on", False):
            has_read.set()
            second_done.wait(timeout=PAUSE)
        return terms

    monkeypatch.setattr(services, "person_awards", paused)

    def create(student, code):
        return services.award_create(
            student=student,
            program=Program.objects.get(code=code),
            start_date=date(2025, 4, 1),
            end_date=date(2028, 3, 31),
            annual_living_cost=1_800_000,
            acting_user=user,
        )

    def first_create():
        pausing.on = True
        create(first, "SPRING")

    def second_create():
        assert has_read.wait(timeout=60)
        try:
            create(second, "JSPS_DC1")
        finally:
            second_done.set()

    errors = run_threads(first_create, second_create)
    assert exclusive_awards(ERAD) == [(first.university_id, "SPRING")]
    assert refused(errors, "exclusive_overlap"), errors


def test_an_exclusive_award_created_beside_an_upload_of_the_same_person_is_refused(reference, monkeypatch):
    # University A's upload gives a new record of the person (the e-Rad number) SPRING; while its
    # apply holds A's rows, university B awards the person's record there DC1 over the same months.
    # Before: B's create waited for nothing (the apply locked A's rows only, the person not until
    # its facts refresh), and the person ended with both.
    first, second = one_person_at_two_universities()
    a = first.university
    first.delete()
    staff = user_with_role("staff", "university_staff", university=a)
    user = user_with_role("writer", "administrator")
    row = f"2025D002,{ERAD},佐藤,太郎,science,2025-04-01,3,在籍,,0,0,SPRING,2025-04-01,2028-03-31,1800000,0,0"
    job = uploads.upload_create(university=a, filename="a.csv", content=csv_bytes([row]), acting_user=staff)
    assert job.state == UploadJob.State.CHECKED, job.result
    checked, created = threading.Event(), threading.Event()

    def wait_for_the_create():
        checked.set()
        created.wait(timeout=PAUSE)

    pause_students_apply(monkeypatch, wait_for_the_create)

    def apply():
        uploads.upload_apply_start(job=job, acting_user=staff)

    def create():
        assert checked.wait(timeout=60)
        try:
            services.award_create(
                student=second,
                program=Program.objects.get(code="JSPS_DC1"),
                start_date=date(2025, 4, 1),
                end_date=date(2028, 3, 31),
                annual_living_cost=2_400_000,
                acting_user=user,
            )
        finally:
            created.set()

    errors = run_threads(apply, create)
    job.refresh_from_db()
    assert job.state == UploadJob.State.APPLIED
    assert exclusive_awards(ERAD) == [(a.pk, "SPRING")]
    assert refused(errors, "exclusive_overlap"), errors


def test_a_student_deleted_beside_an_upload_of_the_same_university_both_finish(reference, monkeypatch):
    # The upload gives a student a new award; while its apply holds the university's rows, staff
    # delete the student. Before: the delete took the person, then waited for the student's row;
    # the apply, holding the row, then waited for the person (its facts refresh): PostgreSQL found
    # the deadlock and aborted one of them.
    university = UniversityFactory()
    staff = user_with_role("staff", "university_staff", university=university)
    student = StudentFactory(university=university, student_number="2025D001", entry_date=date(2025, 4, 1))
    row = "2025D001,,山田,太郎,engineering,2025-04-01,3,在籍,,0,0,SPRING,2025-04-01,2028-03-31,1800000,0,0"
    job = uploads.upload_create(university=university, filename="a.csv", content=csv_bytes([row]), acting_user=staff)
    assert job.state == UploadJob.State.CHECKED, job.result
    checked, deleting = threading.Event(), threading.Event()

    def let_the_delete_start():
        checked.set()
        assert deleting.wait(timeout=60)
        time.sleep(PAUSE)  # the delete now waits for whatever it needs of this transaction

    pause_students_apply(monkeypatch, let_the_delete_start)

    def apply():
        uploads.upload_apply_start(job=job, acting_user=staff)

    def delete():
        assert checked.wait(timeout=60)
        deleting.set()
        services.student_delete(student=Student.objects.get(pk=student.pk), acting_user=staff)

    errors = run_threads(apply, delete)
    assert errors == []
    job.refresh_from_db()
    assert job.state == UploadJob.State.APPLIED  # applied first; the delete waited, then removed it all
    assert not Student.objects.filter(pk=student.pk).exists()
    assert not Award.objects.filter(student_id=student.pk).exists()


def test_an_award_edited_beside_a_delete_of_its_student_both_finish(reference, monkeypatch):
    # The edit has locked its award and checked it; the delete of its student starts. Before: the
    # delete held the person and waited for the award's row; the edit, holding the row, waited for
    # the person (its facts refresh): a deadlock, one of them aborted.
    user = user_with_role("writer", "administrator")
    student = StudentFactory(entry_date=date(2025, 4, 1))
    award = services.award_create(
        student=student,
        program=Program.objects.get(code="SPRING"),
        start_date=date(2025, 4, 1),
        end_date=date(2027, 3, 31),
        annual_living_cost=1_800_000,
        acting_user=user,
    )
    pausing = threading.local()
    checked, deleting = threading.Event(), threading.Event()
    validate = services._award_validate

    def paused(*args, **kwargs):
        validate(*args, **kwargs)
        if getattr(pausing, "on", False):
            checked.set()
            assert deleting.wait(timeout=60)
            time.sleep(PAUSE)

    monkeypatch.setattr(services, "_award_validate", paused)

    def edit():
        pausing.on = True
        services.award_update(award=Award.objects.get(pk=award.pk), end_date=date(2028, 3, 31), acting_user=user)

    def delete():
        assert checked.wait(timeout=60)
        deleting.set()
        services.student_delete(student=Student.objects.get(pk=student.pk), acting_user=user)

    assert run_threads(edit, delete) == []
    assert not Student.objects.filter(pk=student.pk).exists()


def test_a_year_is_locked_only_after_the_award_writes_that_found_it_open(reference, monkeypatch):
    # An edit has found FY2025 of SPRING open at the university (no accepted report) and waits
    # before writing; an officer accepts the FY2025 report meanwhile (year_lock). Before: the lock
    # committed at once and the edit then changed an award in the accepted year. Now the lock
    # waits for the writes that found the year open: once it is in place, the edit is in.
    user = user_with_role("writer", "administrator")
    student = StudentFactory(entry_date=date(2025, 4, 1))
    spring = Program.objects.get(code="SPRING")
    award = services.award_create(
        student=student,
        program=spring,
        start_date=date(2025, 4, 1),
        end_date=date(2027, 3, 31),
        annual_living_cost=1_800_000,
        acting_user=user,
    )
    pausing = threading.local()
    has_read, locked = threading.Event(), threading.Event()
    locked_years = services.locked_years
    seen = {}

    def paused(**kwargs):
        years = locked_years(**kwargs)
        if getattr(pausing, "on", False):
            has_read.set()
            locked.wait(timeout=PAUSE)
        return years

    monkeypatch.setattr(services, "locked_years", paused)

    def edit():
        pausing.on = True
        services.award_update(award=Award.objects.get(pk=award.pk), annual_living_cost=2_040_000, acting_user=user)

    def lock():
        assert has_read.wait(timeout=60)
        try:
            services.year_lock(university_id=student.university_id, program_id=spring.pk, fiscal_year=2025)
            seen["amount when locked"] = Award.objects.get(pk=award.pk).annual_living_cost
        finally:
            locked.set()

    assert run_threads(edit, lock) == []
    assert seen == {"amount when locked": 2_040_000}


def test_two_years_of_enrolment_statistics_written_at_once_are_checked_against_each_other(monkeypatch):
    # FY2022's entrants (10) and FY2024's on-time completions (18, the cohort entering in FY2022)
    # are entered at the same moment by two staff. Before: each checked the cohort rule against
    # the other year as it was (absent) and both were written, 18 completions from 10 entrants.
    from enrolment import services as enrolment_services
    from enrolment.models import EnrolmentStatistic
    from tests.enrolment.factories import values

    university = UniversityFactory()
    staff = user_with_role("staff", "university_staff", university=university)
    pausing = threading.local()
    has_read, second_done = threading.Event(), threading.Event()
    stored_cohorts = enrolment_services._stored_cohorts

    def paused(*args):
        cohorts = stored_cohorts(*args)
        if getattr(pausing, "on", False):
            has_read.set()
            second_done.wait(timeout=PAUSE)
        return cohorts

    monkeypatch.setattr(enrolment_services, "_stored_cohorts", paused)
    entrants = values(
        fiscal_year=2022, entrants=10, entrants_from_masters=5, entrants_working_adults=1, entrants_international=1
    )

    def first():
        pausing.on = True
        enrolment_services.statistic_create(university=university, acting_user=staff, **entrants)

    def second():
        assert has_read.wait(timeout=60)
        try:
            enrolment_services.statistic_create(university=university, acting_user=staff, **values(fiscal_year=2024))
        finally:
            second_done.set()

    errors = run_threads(first, second)
    assert list(EnrolmentStatistic.objects.values_list("fiscal_year", flat=True)) == [2022]
    assert refused(errors, "above_cohort"), errors


def test_an_exclusive_award_created_beside_a_bulk_api_call_for_the_same_person_is_refused(reference, monkeypatch):
    # University A's system sends the person's record there with SPRING through the bulk API while
    # university B awards the person's record at B DC1. Before: the bulk call checked its rows with
    # nothing locked and wrote them afterwards; B's create, between the two, was not seen.
    from rest_framework.test import APIClient

    from students import imports
    from students.api.keys import api_key_create

    first, second = one_person_at_two_universities()
    a = first.university
    first.delete()
    secret = api_key_create(name="A write", scope="write", university=a, acting_user=None)[1]
    user = user_with_role("writer", "administrator")
    checked, created = threading.Event(), threading.Event()
    import_apply = imports.import_apply

    def paused(**kwargs):
        checked.set()
        created.wait(timeout=PAUSE)
        return import_apply(**kwargs)

    monkeypatch.setattr(imports, "import_apply", paused)
    answers = []

    def bulk():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        student = {"student_number": "API001", "erad_number": ERAD, "field": "science", "entry_date": "2025-04-01"}
        award = {"student_number": "API001", "program": "SPRING", "start_date": "2025-04-01", "end_date": "2028-03-31"}
        answers.append(client.post("/api/v1/bulk/", {"students": [student], "awards": [award]}, format="json"))

    def create():
        assert checked.wait(timeout=60)
        try:
            services.award_create(
                student=second,
                program=Program.objects.get(code="JSPS_DC1"),
                start_date=date(2025, 4, 1),
                end_date=date(2028, 3, 31),
                annual_living_cost=2_400_000,
                acting_user=user,
            )
        finally:
            created.set()

    errors = run_threads(bulk, create)
    assert [answer.status_code for answer in answers] == [200]
    assert exclusive_awards(ERAD) == [(a.pk, "SPRING")]
    assert refused(errors, "exclusive_overlap"), errors


def test_a_record_joining_a_person_beside_an_exclusive_award_of_that_person_one_is_refused(reference, monkeypatch):
    # A record at university A holds DC1; staff give it the e-Rad number of a person whose record at
    # B is being awarded SPRING over the same months at that moment. Before: the join checked the
    # person's awards (none yet) and the award checked the person's records (not joined yet): both
    # were written and the person held DC1 and SPRING in the same months.
    joining, other = one_person_at_two_universities()
    joining.erad_number = ""
    joining.save()
    user = user_with_role("writer", "administrator")
    services.award_create(
        student=joining,
        program=Program.objects.get(code="JSPS_DC1"),
        start_date=date(2025, 4, 1),
        end_date=date(2028, 3, 31),
        annual_living_cost=2_400_000,
        acting_user=user,
    )
    pausing = threading.local()
    has_read, created = threading.Event(), threading.Event()
    check_joined_person = services._check_joined_person

    def paused(student):
        check_joined_person(student)
        if getattr(pausing, "on", False):
            has_read.set()
            created.wait(timeout=PAUSE)

    monkeypatch.setattr(services, "_check_joined_person", paused)

    def join():
        pausing.on = True
        services.student_update(student=Student.objects.get(pk=joining.pk), erad_number=ERAD, acting_user=user)

    def create():
        assert has_read.wait(timeout=60)
        try:
            services.award_create(
                student=other,
                program=Program.objects.get(code="SPRING"),
                start_date=date(2025, 4, 1),
                end_date=date(2028, 3, 31),
                annual_living_cost=1_800_000,
                acting_user=user,
            )
        finally:
            created.set()

    errors = run_threads(join, create)
    assert sorted(code for _university, code in exclusive_awards(ERAD)) == ["JSPS_DC1"]
    assert refused(errors, "exclusive_overlap"), errors
