"""Uploads: three encodings, XLSX, bad rows (nothing written), the same file twice, round trip."""

import csv
import io
from datetime import date

import pytest
from openpyxl import Workbook

from students import imports
from students.models import Award, Student, StudentYearFact
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

HEADER_JA = "学籍番号,研究者番号,姓,名,学系,入学日,標準修業年限,在籍状況,修了・退学日,留学生,社会人学生,支援事業,支援開始日,支援終了日,生活費相当額（年額）,研究費（年額）,予約採用"
GOOD_ROWS = [
    "2025D001,,山田,花子,工学系,2025-04-01,3,在籍,,0,0,SPRING,2025-04-01,2028-03-31,1800000,1100000,0",
    "2025D002,12345678,佐藤,太郎,science,2025/04/01,3,enrolled,,はい,いいえ,JSPS_DC1,2025-04-01,2028-03-31,,,0",
    '2025D002,12345678,佐藤,太郎,science,2025/04/01,3,enrolled,,はい,いいえ,EMERGENT_RA,2025-04-01,2026-03-31,"600,000",0,0',
    "2025D003,,鈴木,一郎,health,2025-04-01,4,enrolled,,0,1,,,,,,",
]


def csv_bytes(rows, encoding="utf-8", header=HEADER_JA):
    text = "\r\n".join([header, *rows]) + "\r\n"
    return text.encode(encoding)


def check(university, content, filename="upload.csv"):
    return imports.import_check(university=university, content=content, filename=filename)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_three_encodings_read_the_same(reference, university_a, staff_a, encoding):
    plan = check(university_a, csv_bytes(GOOD_ROWS, encoding))
    assert plan.result.errors == []
    assert (plan.result.students_created, plan.result.awards_created) == (3, 3)
    imports.import_apply(plan=plan, acting_user=staff_a)
    dc = Award.objects.get(student__student_number="2025D002", program__code="JSPS_DC1")
    assert dc.annual_living_cost == 2_400_000  # empty amount takes the program's rule
    assert Award.objects.get(program__code="EMERGENT_RA").annual_living_cost == 600_000
    student = Student.objects.get(student_number="2025D002")
    assert (student.field, student.is_international, student.family_name) == ("science", True, "佐藤")
    assert StudentYearFact.objects.filter(fiscal_year=2025, counts=True).count() == 2


def test_xlsx_upload(reference, university_a, staff_a):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(imports.headers("en"))
    sheet.append(
        [
            "X1",
            None,
            "田中",
            "美咲",
            "engineering",
            date(2024, 4, 1),
            3,
            "enrolled",
            None,
            0,
            0,
            "JSPS_DC2",
            date(2025, 4, 1),
            date(2027, 3, 31),
            2400000,
            0,
            0,
            "masters",
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan = check(university_a, buffer.getvalue(), "upload.xlsx")
    assert plan.result.errors == []
    imports.import_apply(plan=plan, acting_user=staff_a)
    assert Award.objects.get().end_date == date(2027, 3, 31)
    assert Student.objects.get().entry_route == "masters"


def test_bad_rows_are_listed_and_nothing_is_written(reference, university_a):
    rows = [
        GOOD_ROWS[0],
        "2025D010,1234,山田,花子,astrology,2025-13-01,3,在籍,,0,0,SPRING,2025-04-01,2028-03-31,1800000,0,0",
        "2025D011,,山田,次郎,engineering,2025-04-01,3,在籍,,0,0,JSPS_DC2,2025-04-01,2027-04-30,2400000,0,0",
        "2025D012,,山田,三郎,engineering,2025-04-01,3,在籍,,0,0,JSPS_PD,2025-04-01,2028-03-31,4344000,0,0",
        "2025D013,,山田,四郎,engineering,2025-04-01,3,在籍,,0,0,NOPE,2025-04-01,2028-03-31,1,0,0",
        "2025D014,,山田,五郎,engineering,2025-04-01,3,在籍,,0,0,SPRING,2025-04-01,2028-03-31,-5,0,0",
        "2025D015,,山田,六郎,engineering,2025-04-01,3,在籍,,0,0,SPRING,2025-04-01,2028-03-31,1800000,0,0",
        "2025D015,,山田,六郎,engineering,2025-04-01,3,在籍,,0,0,JSPS_DC1,2025-10-01,2028-03-31,2400000,0,0",
    ]
    plan = check(university_a, csv_bytes(rows))
    found = {(e.row, e.column) for e in plan.result.errors}
    assert (3, "研究者番号") in found  # every error of a row at once, not only the first (Ref: #13)
    assert (3, "学系") in found
    assert (3, "入学日") in found
    assert (4, "支援終了日") in found  # DC2 past its two-year term
    assert (5, "支援事業") in found  # postdoctoral program for an enrolled student
    assert (6, "支援事業") in found  # unknown program
    assert (7, "生活費相当額（年額）") in found
    assert (9, "支援事業") in found  # DC1 overlapping SPRING
    assert not plan.result.ok
    with pytest.raises(Exception, match="反映できません"):
        imports.import_apply(plan=plan, acting_user=None)
    assert not Student.objects.exists()
    assert not Award.objects.exists()


def test_same_file_twice_changes_nothing(reference, university_a, staff_a):
    content = csv_bytes(GOOD_ROWS)
    imports.import_apply(plan=check(university_a, content), acting_user=staff_a)
    history = Award.history.count()
    second = check(university_a, content)
    assert (second.result.students_unchanged, second.result.awards_unchanged) == (3, 3)
    assert (second.result.students_created, second.result.awards_created, second.result.awards_updated) == (0, 0, 0)
    imports.import_apply(plan=second, acting_user=staff_a)
    assert Award.history.count() == history


def test_corrected_file_updates_in_place(reference, university_a, staff_a):
    imports.import_apply(plan=check(university_a, csv_bytes(GOOD_ROWS)), acting_user=staff_a)
    corrected = [GOOD_ROWS[0].replace("1800000", "2160000"), *GOOD_ROWS[1:]]
    plan = check(university_a, csv_bytes(corrected))
    assert (plan.result.awards_updated, plan.result.awards_unchanged, plan.result.awards_created) == (1, 2, 0)
    imports.import_apply(plan=plan, acting_user=staff_a)
    award = Award.objects.get(student__student_number="2025D001")
    assert award.annual_living_cost == 2_160_000
    assert award.history.first().history_user == staff_a
    assert award.history.count() == 2


def test_upload_history_is_recorded(reference, university_a, staff_a):
    imports.import_apply(plan=check(university_a, csv_bytes(GOOD_ROWS)), acting_user=staff_a)
    assert Student.history.filter(history_user=staff_a).count() == 3
    assert Award.history.filter(history_user=staff_a, history_type="+").count() == 3


def test_download_reuploaded_changes_nothing(reference, university_a, staff_a):
    imports.import_apply(plan=check(university_a, csv_bytes(GOOD_ROWS)), acting_user=staff_a)
    for writer, name in ((imports.write_csv, "export.csv"), (imports.write_xlsx, "export.xlsx")):
        content = writer(imports.export_rows(university_a))
        plan = check(university_a, content, name)
        assert plan.result.errors == []
        assert (plan.result.students_unchanged, plan.result.awards_unchanged) == (3, 3), name
        assert plan.result.students_updated + plan.result.awards_updated == 0


def test_other_universitys_student_numbers_do_not_match(reference, university_a, university_b, staff_b):
    StudentFactory(university=university_a, student_number="2025D001")
    plan = check(university_b, csv_bytes(GOOD_ROWS[:1]))
    assert plan.result.students_created == 1
    imports.import_apply(plan=plan, acting_user=staff_b)
    assert Student.objects.filter(student_number="2025D001").count() == 2


def test_every_way_of_making_awards_records_the_students_university(
    reference, university_a, university_b, staff_a, staff_b
):
    """Award.university is a copy of the student's: lists of a university's awards read it."""
    from django.db.models import F

    from programs.models import Program
    from students import services

    imports.import_apply(plan=check(university_a, csv_bytes(GOOD_ROWS)), acting_user=staff_a)  # upload
    services.award_create(  # the form and the API
        student=StudentFactory(university=university_b),
        program=Program.objects.get(code="SPRING"),
        start_date=date(2025, 4, 1),
        end_date=date(2028, 3, 31),
        acting_user=staff_b,
    )
    assert Award.objects.filter(university=university_a).count() == 3
    assert Award.objects.filter(university=university_b).count() == 1
    assert not Award.objects.exclude(university_id=F("student__university_id")).exists()


def test_exported_formula_like_text_is_neutralised(reference, university_a, staff_a):
    StudentFactory(university=university_a, student_number="S1", family_name="=HYPERLINK(1)")
    content = imports.write_csv(imports.export_rows(university_a)).decode("utf-8-sig")
    row = next(r for r in csv.reader(io.StringIO(content)) if r[0] == "S1")
    assert row[2] == "'=HYPERLINK(1)"
    assert check(university_a, content.encode()).result.students_unchanged == 1


def test_missing_required_column_rejects_the_file(reference, university_a):
    with pytest.raises(imports.UploadRejected):
        check(university_a, "姓,名\n山田,花子\n".encode())


def test_xlsx_bomb_is_refused(reference, university_a, settings):
    settings.UPLOAD_MAX_UNCOMPRESSED_BYTES = 1000
    workbook = Workbook()
    workbook.active.append(["x" * 5000])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(imports.UploadRejected):
        check(university_a, buffer.getvalue(), "big.xlsx")


def test_the_entry_route_column_reads_labels_in_either_language_and_keeps_what_a_file_leaves_out(
    reference, university_a, staff_a, settings
):
    """Issue #16: the entry route (入学経路) is recorded per student by upload as by form and API;
    a bad value is refused with the allowed values named and nothing is written; a file without
    the column keeps what the records have."""
    header = HEADER_JA + ",入学経路"
    rows = [
        "R1,,山田,花子,工学系,2025-04-01,3,在籍,,0,0,,,,,,,修士課程（博士前期課程）から進学",
        "R2,,佐藤,太郎,工学系,2025-04-01,3,在籍,,0,1,,,,,,,employment",
        "R3,,鈴木,一郎,工学系,2025-04-01,4,在籍,,0,0,,,,,,,Entered from a six-year undergraduate course",
        "R4,,高橋,二郎,工学系,2025-04-01,3,在籍,,0,0,,,,,,,",
    ]
    bad = check(
        university_a, csv_bytes([*rows, "R5,,伊藤,三郎,工学系,2025-04-01,3,在籍,,0,0,,,,,,,大学院"], header=header)
    )
    [error] = bad.result.errors
    assert (error.row, error.column) == (6, "入学経路")
    assert not Student.objects.exists()
    imports.import_apply(plan=check(university_a, csv_bytes(rows, header=header)), acting_user=staff_a)
    routes = dict(Student.objects.values_list("student_number", "entry_route"))
    assert routes == {"R1": "masters", "R2": "employment", "R3": "undergraduate", "R4": ""}
    # the old file (no such column) changes nothing
    old = check(university_a, csv_bytes(["R1,,山田,花子,工学系,2025-04-01,3,在籍,,0,0,,,,,,"]))
    assert (old.result.students_unchanged, old.result.students_updated) == (1, 0)
    # the download carries it, and reads back unchanged
    plan = check(university_a, imports.write_csv(imports.export_rows(university_a)), "export.csv")
    assert (plan.result.students_unchanged, plan.result.students_updated) == (4, 0)


def test_a_researcher_number_moved_to_a_new_record_in_one_file(reference, university_a, staff_a):
    # given: 2025D002 holds the e-Rad number 12345678
    imports.import_apply(plan=check(university_a, csv_bytes(GOOD_ROWS)), acting_user=staff_a)
    # when: one file gives 2025D002 another number and a new record 2025D009 the old one (a record
    # entered under the wrong student number is corrected)
    moved = [
        "2025D002,87654321,佐藤,太郎,science,2025/04/01,3,enrolled,,はい,いいえ,,,,,,",
        "2025D009,12345678,佐藤,太郎,science,2025/04/01,3,enrolled,,はい,いいえ,,,,,,",
    ]
    plan = check(university_a, csv_bytes(moved))
    assert plan.result.errors == []
    # then: the file applies as it was checked (the number is free once its old holder has moved),
    # rather than failing on the per-university uniqueness of e-Rad numbers
    imports.import_apply(plan=plan, acting_user=staff_a)
    numbers = dict(Student.objects.values_list("student_number", "erad_number"))
    assert (numbers["2025D002"], numbers["2025D009"]) == ("87654321", "12345678")
