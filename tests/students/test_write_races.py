"""Concurrent writes on one person (issue #14: "the counted number drifts under concurrent writes").

A rule that spans rows (exclusive programs across a person's records) is checked under the
person's lock, and every writer takes its locks in one order: the person first, then the rows
(students/services.py, "Lock order"). Each test forces the interleaving that broke before: one
transaction pauses between its check (or its row locks) and its write while the other runs.

PostgreSQL only (threads need real concurrent transactions); CI runs the suite on both.
"""

import dataclasses
from datetime import date

import pytest

from students import services, uploads
from students.models import Award, Student, UploadJob
from tests.factories import StudentFactory, UniversityFactory, user_with_role
from tests.races import Race, assert_facts_as_rebuilt, award_create, needs_postgresql, refused, refused_as_after
from tests.students.test_imports import csv_bytes

pytestmark = [needs_postgresql, pytest.mark.django_db(transaction=True)]

ERAD = "55556666"


def exclusive_awards(erad):
    return list(
        Award.objects.filter(student__erad_number=erad, program__is_exclusive=True).values_list(
            "student__university_id", "program__code"
        )
    )


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
    race = Race()
    race.pause_after(monkeypatch, services, "person_awards")

    errors = race.run(
        lambda: award_create(first, "SPRING", user, living=1_800_000),
        lambda: award_create(second, "JSPS_DC1", user, living=1_800_000),
    )
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
    race = Race()
    pause_students_apply(monkeypatch, race.pause)

    errors = race.run(
        lambda: uploads.upload_apply_start(job=job, acting_user=staff),
        lambda: award_create(second, "JSPS_DC1", user),
    )
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
    race = Race()
    pause_students_apply(monkeypatch, race.pause)  # the delete waits for whatever it needs of this transaction

    errors = race.run(
        lambda: uploads.upload_apply_start(job=job, acting_user=staff),
        lambda: services.student_delete(student=Student.objects.get(pk=student.pk), acting_user=staff),
    )
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
    award = award_create(student, "SPRING", user, end=date(2027, 3, 31))
    race = Race()
    race.pause_after(monkeypatch, services, "_award_validate")

    errors = race.run(
        lambda: services.award_update(
            award=Award.objects.get(pk=award.pk), end_date=date(2028, 3, 31), acting_user=user
        ),
        lambda: services.student_delete(student=Student.objects.get(pk=student.pk), acting_user=user),
    )
    assert errors == []
    assert not Student.objects.filter(pk=student.pk).exists()


def test_a_year_is_locked_only_after_the_award_writes_that_found_it_open(reference, monkeypatch):
    # An edit has found FY2025 of SPRING open at the university (no accepted report) and waits
    # before writing; an officer accepts the FY2025 report meanwhile (year_lock). Before: the lock
    # committed at once and the edit then changed an award in the accepted year. Now the lock
    # waits for the writes that found the year open: once it is in place, the edit is in.
    user = user_with_role("writer", "administrator")
    student = StudentFactory(entry_date=date(2025, 4, 1))
    award = award_create(student, "SPRING", user, end=date(2027, 3, 31))
    race = Race()
    race.pause_after(monkeypatch, services, "locked_years")
    seen = {}

    def lock():
        services.year_lock(university_id=student.university_id, program_id=award.program_id, fiscal_year=2025)
        seen["amount when locked"] = Award.objects.get(pk=award.pk).annual_living_cost

    errors = race.run(
        lambda: services.award_update(
            award=Award.objects.get(pk=award.pk), annual_living_cost=2_040_000, acting_user=user
        ),
        lock,
    )
    assert errors == []
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
    race = Race()
    race.pause_after(monkeypatch, enrolment_services, "_stored_cohorts")
    entrants = values(
        fiscal_year=2022, entrants=10, entrants_from_masters=5, entrants_working_adults=1, entrants_international=1
    )

    errors = race.run(
        lambda: enrolment_services.statistic_create(university=university, acting_user=staff, **entrants),
        lambda: enrolment_services.statistic_create(
            university=university, acting_user=staff, **values(fiscal_year=2024)
        ),
    )
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
    race = Race()
    race.pause_before(monkeypatch, imports, "import_apply")
    answers = []

    def bulk():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        student = {"student_number": "API001", "erad_number": ERAD, "field": "science", "entry_date": "2025-04-01"}
        award = {"student_number": "API001", "program": "SPRING", "start_date": "2025-04-01", "end_date": "2028-03-31"}
        answers.append(client.post("/api/v1/bulk/", {"students": [student], "awards": [award]}, format="json"))

    errors = race.run(bulk, lambda: award_create(second, "JSPS_DC1", user))
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
    award_create(joining, "JSPS_DC1", user)
    race = Race()
    race.pause_after(monkeypatch, services, "_check_joined_person")

    errors = race.run(
        lambda: services.student_update(student=Student.objects.get(pk=joining.pk), erad_number=ERAD, acting_user=user),
        lambda: award_create(other, "SPRING", user),
    )
    assert sorted(code for _university, code in exclusive_awards(ERAD)) == ["JSPS_DC1"]
    assert refused(errors, "exclusive_overlap"), errors


STUDENT = {"family_name": "山田", "given_name": "花子", "field": "engineering", "entry_date": date(2025, 4, 1)}


@pytest.mark.parametrize("erad_numbers", [("", ""), ("11112222", "33334444")], ids=["no e-Rad", "two e-Rad numbers"])
def test_two_students_of_one_number_created_at_once_the_second_is_refused(monkeypatch, erad_numbers):
    # Two staff register the same student number at one university at the same moment (without an
    # e-Rad number, or each with a different one: no person in common to wait for). The first has
    # checked the number (free) and waits; the second runs meanwhile. Before: neither waited, the
    # second wrote the number and the first's insert hit the unique constraint (a 500).
    university = UniversityFactory()
    staff = user_with_role("staff", "university_staff", university=university)
    first_erad, second_erad = erad_numbers

    def create(erad_number):
        return services.student_create(
            university=university, acting_user=staff, student_number="2025D009", erad_number=erad_number, **STUDENT
        )

    race = Race()
    race.pause_after(monkeypatch, services, "_student_validate")

    errors = race.run(lambda: create(first_erad), lambda: create(second_erad))

    assert refused_as_after(errors, lambda: create(second_erad)), errors
    assert list(Student.objects.values_list("student_number", "erad_number")) == [("2025D009", first_erad)]


def test_two_students_of_one_number_posted_to_the_api_at_once_the_second_gets_a_422(monkeypatch):
    # The same race through the API: the second request is answered as a sequential duplicate is
    # (422 with the message on the student number), not with a 500.
    from rest_framework.test import APIClient

    from students.api.keys import api_key_create

    university = UniversityFactory()
    secret = api_key_create(name="write", scope="write", university=university, acting_user=None)[1]
    body = {"student_number": "2025D009", "field": "engineering", "entry_date": "2025-04-01"}
    answers = []

    def post():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        answers.append(client.post("/api/v1/students/", body, format="json"))

    race = Race()
    race.pause_after(monkeypatch, services, "_student_validate")

    errors = race.run(post, post)

    assert errors == []
    assert sorted(answer.status_code for answer in answers) == [201, 422]
    assert Student.objects.filter(student_number="2025D009").count() == 1
    post()  # one after the other
    assert answers[-1].status_code == 422
    refusal = next(answer for answer in answers[:2] if answer.status_code == 422)
    assert refusal.json()["errors"] == answers[-1].json()["errors"]


# --- An upload's apply beside a form's create of the same student, e-Rad number or award ------
#
# The upload was checked (its preview) before the race; its apply then runs beside a form's
# create. Whichever commits second gets what it would get one after the other: the form its
# validation message; the upload, checked again inside its transaction, its row errors with
# nothing written (all or nothing), or, where the form's record is one the file may update, the
# file applied over it, as an apply after the form would. Never a 500 (IntegrityError), and the
# counted facts equal a rebuild.

NUMBER = "2025D001"


def upload_row(number=NUMBER, erad="", *, program="SPRING", end="2028-03-31"):
    return f"{number},{erad},山田,太郎,engineering,2025-04-01,3,在籍,,0,0,{program},2025-04-01,{end},1800000,0,0"


def checked_upload(university, staff, rows):
    """An upload of `rows`, checked (the preview) and ready to apply."""
    job = uploads.upload_create(university=university, filename="a.csv", content=csv_bytes(rows), acting_user=staff)
    assert job.state == UploadJob.State.CHECKED, job.result
    return job


def upload_refused_as_after(job, rows, staff) -> bool:
    """The job was refused, its rows' errors what the same file gets checked now, after the race."""
    job.refresh_from_db()
    again = uploads.upload_create(
        university=job.university, filename="b.csv", content=csv_bytes(rows), acting_user=staff
    )
    return (
        job.state == again.state == UploadJob.State.REJECTED
        and bool(job.result["errors"])
        and (job.result == again.result)
    )


def form_create(university, staff, number=NUMBER, erad=""):
    return lambda: services.student_create(
        university=university, acting_user=staff, student_number=number, erad_number=erad, **STUDENT
    )


def students_of(university):
    return sorted(
        Student.objects.filter(university=university).values_list("student_number", "erad_number", "given_name")
    )


def awards_of(university):
    return sorted(
        Award.objects.filter(university=university).values_list("student__student_number", "program__code", "end_date")
    )


def test_a_student_created_in_the_form_beside_an_upload_of_its_number_is_refused_as_after(reference, monkeypatch):
    # The upload (a new student 2025D001 with SPRING) holds its locks and waits; staff create
    # 2025D001 in the form meanwhile. The form waits for the number, then is refused as a
    # duplicate is one after the other, not stopped by the unique constraint (a 500).
    university = UniversityFactory()
    staff = user_with_role("staff", "university_staff", university=university)
    job = checked_upload(university, staff, [upload_row()])
    race = Race()
    pause_students_apply(monkeypatch, race.pause)
    create = form_create(university, staff)

    errors = race.run(lambda: uploads.upload_apply_start(job=job, acting_user=staff), create)

    assert refused_as_after(errors, create), errors
    job.refresh_from_db()
    assert job.state == UploadJob.State.APPLIED
    assert students_of(university) == [(NUMBER, "", "太郎")]
    assert awards_of(university) == [(NUMBER, "SPRING", date(2028, 3, 31))]
    assert_facts_as_rebuilt()


def test_an_upload_applied_beside_a_form_creating_its_new_student_updates_that_student(reference, monkeypatch):
    # The file, checked while 2025D001 was new, is applied while a form creating 2025D001 holds
    # the number and waits. The apply waits for it, finds the plan no longer current, checks
    # again locked and updates the form's record, as an apply after the form does (the file
    # matches students by number); before the number was locked with the persons, the apply
    # found the plan current and its insert met the form's (an IntegrityError, the job failed).
    university = UniversityFactory()
    staff = user_with_role("staff", "university_staff", university=university)
    job = checked_upload(university, staff, [upload_row()])
    assert (job.result["students_created"], job.result["students_updated"]) == (1, 0)
    race = Race()
    race.pause_after(monkeypatch, services, "_student_validate")

    errors = race.run(form_create(university, staff), lambda: uploads.upload_apply_start(job=job, acting_user=staff))

    assert errors == []
    job.refresh_from_db()
    assert job.state == UploadJob.State.APPLIED, job.result
    assert (job.result["students_created"], job.result["students_updated"], job.result["awards_created"]) == (0, 1, 1)
    assert students_of(university) == [(NUMBER, "", "太郎")]  # the form's 花子, updated by the file
    assert awards_of(university) == [(NUMBER, "SPRING", date(2028, 3, 31))]
    assert_facts_as_rebuilt()


def test_a_student_created_in_the_form_beside_an_upload_giving_its_erad_number_is_refused_as_after(
    reference, monkeypatch
):
    # One e-Rad number per university (DOMAIN.md: A person): the upload gives it to 2025D001,
    # the form to 2025D002 at the same moment. The form waits for the person, then is refused
    # on the e-Rad number as one after the other is.
    university = UniversityFactory()
    staff = user_with_role("staff", "university_staff", university=university)
    job = checked_upload(university, staff, [upload_row(erad=ERAD)])
    race = Race()
    pause_students_apply(monkeypatch, race.pause)
    create = form_create(university, staff, number="2025D002", erad=ERAD)

    errors = race.run(lambda: uploads.upload_apply_start(job=job, acting_user=staff), create)

    assert refused_as_after(errors, create), errors
    assert students_of(university) == [(NUMBER, ERAD, "太郎")]
    assert_facts_as_rebuilt()


def test_an_upload_giving_an_erad_number_a_form_gives_at_once_is_refused_on_its_row(reference, monkeypatch):
    # The form creates 2025D002 with the e-Rad number and waits; the upload giving it to 2025D001
    # (checked before, when it was free) is applied meanwhile. It waits for the person, checks
    # again and is refused on its row as the same file is now: nothing of it is written.
    university = UniversityFactory()
    staff = user_with_role("staff", "university_staff", university=university)
    rows = [upload_row(erad=ERAD)]
    job = checked_upload(university, staff, rows)
    race = Race()
    race.pause_after(monkeypatch, services, "_student_validate")

    errors = race.run(
        form_create(university, staff, number="2025D002", erad=ERAD),
        lambda: uploads.upload_apply_start(job=job, acting_user=staff),
    )

    assert errors == []
    assert upload_refused_as_after(job, rows, staff), job.result
    assert [e["code"] for e in job.result["errors"]] == ["duplicate_erad"]
    assert students_of(university) == [("2025D002", ERAD, "花子")]
    assert awards_of(university) == []
    assert_facts_as_rebuilt()


def test_an_upload_giving_a_person_an_exclusive_award_beside_one_created_elsewhere_is_refused_on_its_row(
    reference, monkeypatch
):
    # The other order of the upload and award test above: university B awards the person's
    # record there DC1 and waits; university A's upload (checked before) gives the person a new
    # record with SPRING over the same months. It waits for the person, checks again and is
    # refused on its row as the same file is now; the person holds DC1 only.
    first, second = one_person_at_two_universities()
    a = first.university
    first.delete()
    staff = user_with_role("staff", "university_staff", university=a)
    user = user_with_role("writer", "administrator")
    rows = [upload_row("2025D002", ERAD)]
    job = checked_upload(a, staff, rows)
    race = Race()
    race.pause_after(monkeypatch, services, "person_awards")

    errors = race.run(
        lambda: award_create(second, "JSPS_DC1", user), lambda: uploads.upload_apply_start(job=job, acting_user=staff)
    )

    assert errors == []
    assert upload_refused_as_after(job, rows, staff), job.result
    assert "exclusive_overlap" in {e["code"] for e in job.result["errors"]}
    assert exclusive_awards(ERAD) == [(second.university_id, "JSPS_DC1")]
    assert students_of(a) == []
    assert_facts_as_rebuilt()


def test_an_award_created_in_the_form_beside_an_upload_of_the_same_award_is_refused_as_after(reference, monkeypatch):
    # The upload gives 2025D001 SPRING from 2025-04-01; staff create the same award (program and
    # start) in the form meanwhile. The form waits for the person, then is refused as a duplicate.
    university = UniversityFactory()
    staff = user_with_role("staff", "university_staff", university=university)
    student = form_create(university, staff)()
    job = checked_upload(university, staff, [upload_row()])
    race = Race()
    pause_students_apply(monkeypatch, race.pause)

    def create():
        return award_create(Student.objects.get(pk=student.pk), "SPRING", staff, end=date(2027, 3, 31))

    errors = race.run(lambda: uploads.upload_apply_start(job=job, acting_user=staff), create)

    assert refused_as_after(errors, create), errors
    assert awards_of(university) == [(NUMBER, "SPRING", date(2028, 3, 31))]
    assert_facts_as_rebuilt()


def test_an_upload_applied_beside_a_form_creating_its_new_award_updates_that_award(reference, monkeypatch):
    # The form creates 2025D001's SPRING from 2025-04-01 (to 2027-03-31) and waits; the file,
    # checked when the award was new, is applied meanwhile. It waits for the person, checks again
    # and updates the form's award to the file's end, as an apply after the form does; before
    # (its persons not locked) its insert met the form's on the unique constraint.
    university = UniversityFactory()
    staff = user_with_role("staff", "university_staff", university=university)
    student = form_create(university, staff)()
    job = checked_upload(university, staff, [upload_row()])
    race = Race()
    race.pause_after(monkeypatch, services, "_award_validate")

    errors = race.run(
        lambda: award_create(Student.objects.get(pk=student.pk), "SPRING", staff, end=date(2027, 3, 31)),
        lambda: uploads.upload_apply_start(job=job, acting_user=staff),
    )

    assert errors == []
    job.refresh_from_db()
    assert job.state == UploadJob.State.APPLIED, job.result
    assert (job.result["awards_created"], job.result["awards_updated"]) == (0, 1)
    assert awards_of(university) == [(NUMBER, "SPRING", date(2028, 3, 31))]
    assert_facts_as_rebuilt()
