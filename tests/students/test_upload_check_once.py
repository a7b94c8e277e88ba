"""An upload is checked once: the apply runs the rules again only when what the preview's check
read has changed (issue #14: the apply's second check was a quarter of its time).

The apply reads again, in its own transaction and locked, what the check read (the file, the
programs and rules, the university's students, awards and locked years, the other records of the
file's persons) and compares its fingerprint with the preview's. Unchanged, it writes exactly
what the full check would have let it write; changed in any way the rules read, they run again
and refuse as they always did."""

from datetime import date

import pytest

from programs.models import Program
from students import imports, services, uploads
from students.imports import plan as planner
from students.models import Award, Student, StudentYearFact, UploadJob
from tests.factories import UniversityFactory
from tests.students.test_imports import GOOD_ROWS, check, csv_bytes

pytestmark = pytest.mark.django_db

# 2025D001 exists before the upload (its name and its SPRING award's end change), 2025D002 is
# new with two awards and an e-Rad number, 2025D003 is new without one.
ROWS = [
    "2025D001,,山田,花子,工学系,2025-04-01,3,在籍,,0,0,SPRING,2025-04-01,2028-03-31,1800000,1100000,0",
    *GOOD_ROWS[1:],
]


def existing_data(university, user):
    student = services.student_create(
        university=university,
        acting_user=user,
        student_number="2025D001",
        family_name="山本",
        given_name="花子",
        field="engineering",
        entry_date=date(2025, 4, 1),
    )
    services.award_create(
        student=student,
        program=Program.objects.get(code="SPRING"),
        start_date=date(2025, 4, 1),
        end_date=date(2027, 3, 31),
        annual_living_cost=1_800_000,
        annual_research_cost=1_100_000,
        acting_user=user,
    )
    return student


def previewed(university, user, rows=ROWS):
    job = uploads.upload_create(university=university, filename="a.csv", content=csv_bytes(rows), acting_user=user)
    assert job.state == "checked", job.result
    assert job.check_fingerprint
    return job


def written(university, erad=("", "")):
    """Everything an apply leaves for the university, without ids and times (`erad`: an e-Rad
    number to read as another, wherever it appears)."""
    found = _written(university)
    return {
        part: [tuple(v.replace(*erad) if isinstance(v, str) and erad[0] else v for v in row) for row in rows]
        for part, rows in found.items()
    }


def _written(university):
    students = Student.objects.filter(university=university).order_by("student_number")
    number_of = dict(students.values_list("pk", "student_number"))
    return {
        "students": list(
            students.values_list(
                "student_number", "erad_number", "family_name", "given_name", "field", "status", "version"
            )
        ),
        "awards": sorted(
            (number_of[a.student_id], a.program.code, a.start_date, a.end_date, a.annual_living_cost, a.version)
            for a in Award.objects.filter(university=university).select_related("program")
        ),
        "history": sorted(
            [
                ("student", h.student_number, h.history_type, h.history_change_reason or "")
                for h in Student.history.filter(university=university)
            ]
            + [
                ("award", number_of[h.student_id], h.history_type, h.history_change_reason or "")
                for h in Award.history.filter(student_id__in=number_of)
            ]
        ),
        "facts": sorted(
            (
                number_of[f["student_id"]],
                *(v for k, v in sorted(f.items()) if k not in ("id", "student_id", "university_id", "person_key")),
                f["person_key"] if f["person_key"].startswith("e") else "a record's own",  # "student:<id>" otherwise
            )
            for f in StudentYearFact.objects.filter(university=university).values()
        ),
    }


class Counted:
    """Counts the rules run by the planner (each student's and each award's check)."""

    def __init__(self, monkeypatch):
        self.students = self.awards = 0
        real_student, real_award = planner.student_check, planner.award_check

        def student_check(*args, **kwargs):
            self.students += 1
            return real_student(*args, **kwargs)

        def award_check(*args, **kwargs):
            self.awards += 1
            return real_award(*args, **kwargs)

        monkeypatch.setattr(planner, "student_check", student_check)
        monkeypatch.setattr(planner, "award_check", award_check)

    def reset(self):
        self.students = self.awards = 0


# (a) ------------------------------------------------------------------------------------------


def test_an_apply_after_an_unchanged_preview_writes_what_the_full_check_lets_it_write(reference, staff_a):
    ours, full = UniversityFactory(name_ja="甲一大学"), UniversityFactory(name_ja="甲二大学")
    for university in (ours, full):
        existing_data(university, staff_a)
    # Another person at the other university (the same e-Rad number would be the same person).
    rows = [row.replace("12345678", "87654321") for row in ROWS]
    reused, rechecked = previewed(ours, staff_a), previewed(full, staff_a, rows)
    UploadJob.objects.filter(pk=rechecked.pk).update(check_fingerprint="")  # as a job checked before: full check

    reused = uploads.upload_apply_start(job=reused, acting_user=staff_a)
    rechecked = uploads.upload_apply_start(job=rechecked, acting_user=staff_a)

    assert reused.state == rechecked.state == "applied"
    assert reused.result == rechecked.result
    assert (reused.result["students_created"], reused.result["students_updated"]) == (2, 1)
    assert (reused.result["awards_created"], reused.result["awards_updated"]) == (2, 1)
    assert written(ours) == written(full, erad=("87654321", "12345678"))
    assert written(ours)["facts"]  # the facts were refreshed
    assert Student.objects.get(university=ours, student_number="2025D001").family_name == "山田"


# (b) ------------------------------------------------------------------------------------------


def _exclusive_award_for_the_existing_student(university, user):
    services.award_create(
        student=Student.objects.get(university=university, student_number="2025D001"),
        program=Program.objects.get(code="JSPS_DC1"),
        start_date=date(2027, 4, 1),
        end_date=date(2028, 3, 31),
        annual_living_cost=2_400_000,
        acting_user=user,
    )


def _year_locked(university, user):
    services.year_lock(
        university_id=university.pk, program_id=Program.objects.get(code="EMERGENT_RA").pk, fiscal_year=2025
    )


def _same_erad_number_at_the_university(university, user):
    services.student_create(
        university=university,
        acting_user=user,
        student_number="2024D999",
        erad_number="12345678",
        field="science",
        entry_date=date(2024, 4, 1),
    )


def _exclusive_award_of_the_same_person_elsewhere(university, user):
    other = services.student_create(
        university=UniversityFactory(name_ja="他大学"),
        acting_user=user,
        student_number="X1",
        erad_number="12345678",
        field="science",
        entry_date=date(2024, 4, 1),
    )
    services.award_create(
        student=other,
        program=Program.objects.get(code="BOOST"),
        start_date=date(2025, 10, 1),
        end_date=date(2026, 3, 31),
        annual_living_cost=1_800_000,
        acting_user=user,
    )


def _rule_changed(university, user):
    Program.objects.filter(code="JSPS_DC1").update(audience="postdoctoral")


@pytest.mark.parametrize(
    ("write", "code"),
    [
        (_exclusive_award_for_the_existing_student, "exclusive_overlap"),
        (_year_locked, "report_locked"),
        (_same_erad_number_at_the_university, "duplicate_erad"),
        (_exclusive_award_of_the_same_person_elsewhere, "exclusive_overlap"),
        (_rule_changed, "postdoc_for_student"),
    ],
)
def test_a_write_between_preview_and_apply_that_breaks_a_row_is_still_refused(
    reference, university_a, staff_a, write, code
):
    existing_data(university_a, staff_a)
    job = previewed(university_a, staff_a)
    write(university_a, staff_a)
    expected = check(university_a, csv_bytes(ROWS)).result.as_dict()["errors"]  # what the full check says now
    assert code in {e["code"] for e in expected}

    job = uploads.upload_apply_start(job=job, acting_user=staff_a)

    assert job.state == "rejected"
    assert job.result["errors"] == expected  # the same rows, columns, messages and codes
    # Nothing of the file was written.
    assert not Student.objects.filter(university=university_a, student_number__in=["2025D002", "2025D003"]).exists()
    kept = Student.objects.get(university=university_a, student_number="2025D001")
    assert (kept.family_name, kept.version) == ("山本", 1)
    assert Award.objects.get(student=kept, program__code="SPRING").end_date == date(2027, 3, 31)


# (c) ------------------------------------------------------------------------------------------


def test_the_rules_run_once_when_nothing_changed(reference, university_a, staff_a, monkeypatch):
    counted = Counted(monkeypatch)
    existing_data(university_a, staff_a)
    job = previewed(university_a, staff_a)
    assert counted.students  # the preview ran them
    assert counted.awards
    counted.reset()

    job = uploads.upload_apply_start(job=job, acting_user=staff_a)

    assert job.state == "applied"
    assert (counted.students, counted.awards) == (0, 0)


def test_any_change_to_what_the_check_read_runs_the_rules_again(reference, university_a, staff_a, monkeypatch):
    counted = Counted(monkeypatch)
    student = existing_data(university_a, staff_a)
    job = previewed(university_a, staff_a)
    counted.reset()
    # A change that breaks no row, but one the check read: the rules run again, and let it through.
    services.student_update(student=student, acting_user=staff_a, given_name="華子")

    job = uploads.upload_apply_start(job=job, acting_user=staff_a)

    assert job.state == "applied"
    assert counted.students
    assert counted.awards
    assert Student.objects.get(pk=student.pk).given_name == "花子"  # the file's, written over the edit


def test_the_fingerprint_names_what_the_check_read(reference, university_a, staff_a):
    content = csv_bytes(ROWS)
    first = check(university_a, content).fingerprint
    assert first == check(university_a, content).fingerprint
    assert first != check(university_a, csv_bytes(ROWS[:2])).fingerprint  # another file
    existing_data(university_a, staff_a)
    assert first != check(university_a, content).fingerprint  # other records
    # The API's rows have no file digest: no fingerprint, and the rules always run.
    keys = [key for key, *_ in imports.COLUMNS]
    assert imports.plan_rows(university=university_a, keys=keys, raw_rows=[], total=0).fingerprint == ""


# The facts of the apply's new students ---------------------------------------------------------


def derived_rows():
    from students.models import StudentYearAwards, StudentYearBand, StudentYearOverlap

    return {
        model.__name__: sorted(
            tuple(sorted((k, v) for k, v in row.items() if k != "id")) for row in model.objects.values()
        )
        for model in (StudentYearFact, StudentYearBand, StudentYearAwards, StudentYearOverlap)
    }


def test_the_new_students_facts_are_what_a_rebuild_gives(reference, university_a, university_b, staff_a, monkeypatch):
    """New students' stored rows are not looked for (they can have none), in every chunk: beside
    a record that changes its e-Rad number, and as the same person as a record elsewhere."""
    from students.facts import facts_rebuild
    from students.imports import apply

    monkeypatch.setattr(apply, "APPLY_CHUNK", 1)  # one student a chunk
    spring = Program.objects.get(code="SPRING")
    given_up = services.student_create(
        university=university_a,
        acting_user=staff_a,
        student_number="E1",
        erad_number="11111111",
        field="science",
        entry_date=date(2023, 4, 1),
    )
    services.award_create(
        student=given_up, program=spring, start_date=date(2023, 4, 1), end_date=date(2024, 3, 31), acting_user=staff_a
    )
    elsewhere = services.student_create(
        university=university_b,
        acting_user=staff_a,
        student_number="X1",
        erad_number="22222222",
        field="science",
        entry_date=date(2021, 4, 1),
    )
    services.award_create(
        student=elsewhere, program=spring, start_date=date(2021, 4, 1), end_date=date(2022, 3, 31), acting_user=staff_a
    )
    rows = [
        "N1,,新,一,science,2025-04-01,3,在籍,,0,0,SPRING,2025-04-01,2028-03-31,,,0",
        "E1,33333333,,,science,2023-04-01,3,在籍,,0,0,,,,,,",
        "N2,22222222,新,二,science,2025-04-01,3,在籍,,0,0,JSPS_DC1,2025-04-01,2028-03-31,,,0",
    ]
    job = uploads.upload_apply_start(job=previewed(university_a, staff_a, rows), acting_user=staff_a)
    assert job.state == "applied", job.result
    applied = derived_rows()
    assert applied["StudentYearFact"]

    facts_rebuild()

    assert derived_rows() == applied


def test_alike_students_outcomes_are_computed_once_and_ties_still_go_by_the_lower_id(monkeypatch):
    """compute_facts computes equal inputs once; the award id only orders awards tied on amount
    and start, so two persons alike but for which of their awards has the lower id differ."""
    from programs import rules
    from students import facts

    calls = []
    real = rules.year_outcomes

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(rules, "year_outcomes", counted)
    floors = [rules.FloorVersion(date(2021, 4, 1), 1_800_000)]

    def record(student_id):
        return facts.StudentRecord(student_id, 1, "", "national", 1, "science", False, False, date(2025, 4, 1), None)

    def award(award_id, program):
        return rules.AwardTerms(
            award_id, program, "doctoral", 1_800_000, date(2025, 4, 1), date(2026, 3, 31), is_exclusive=False
        )

    records = {sid: record(sid) for sid in (1, 2, 3, 4)}
    terms = {
        1: [award(11, "SPRING"), award(12, "BOOST")],
        2: [award(21, "SPRING"), award(22, "BOOST")],  # as student 1, other ids in the same order
        3: [award(32, "SPRING"), award(31, "BOOST")],  # BOOST has the lower id
        4: [award(41, "SPRING"), award(42, "BOOST")],
    }
    found, _overlaps, _bands = facts.compute_facts(records, terms, floors)

    program_of = {row[0]: row[6] for row in found}
    assert program_of == {1: "SPRING", 2: "SPRING", 3: "BOOST", 4: "SPRING"}
    assert len(calls) == 2  # students 1, 2 and 4 alike; 3 apart


@pytest.mark.parametrize("breaks", [True, False])
def test_a_write_after_the_applys_own_check_is_found_under_its_locks(
    reference, university_a, staff_a, monkeypatch, breaks
):
    """The apply checks (skipping the rules), then in its transaction reads again, locked, what
    the check read: a write that landed in between sends it through the rules again, there."""
    student = existing_data(university_a, staff_a)
    job = previewed(university_a, staff_a)
    real = uploads.import_check
    calls = []

    def check_then_someone_writes(**kwargs):
        plan = real(**kwargs)
        calls.append((kwargs.get("lock", False), plan.validated))
        if len(calls) == 1:  # the apply's first check is done: another user writes
            if breaks:
                _exclusive_award_for_the_existing_student(university_a, staff_a)
            else:
                services.student_update(student=student, acting_user=staff_a, given_name="華子")
        return plan

    monkeypatch.setattr(uploads, "import_check", check_then_someone_writes)
    job = uploads.upload_apply_start(job=job, acting_user=staff_a)

    assert calls == [(False, False), (True, True)]  # rules skipped first, run again locked in the transaction
    if breaks:
        assert job.state == "rejected"
        assert job.result["errors"] == real(university=university_a, content=csv_bytes(ROWS)).result.as_dict()["errors"]
        assert not Student.objects.filter(university=university_a, student_number="2025D003").exists()
    else:
        assert job.state == "applied"
        assert Student.objects.get(pk=student.pk).given_name == "花子"
