"""Uploads of reported statistics: checked first, applied all or nothing, the same file twice
changes nothing, every bad row listed with its column and reason."""

import io

import pytest
from openpyxl import Workbook

from enrolment import services
from enrolment.models import EnrolmentStatistic
from phdsupport.exports import table_csv
from students.imports import UploadRejected

pytestmark = pytest.mark.django_db

HEADER = ",".join(services.headers())


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\ufeff" + "\n".join([header, *rows]) + "\n").encode("utf-8")


GOOD_ROWS = (
    "2022,engineering,30,28,20,5,6,90,20,15,3",
    "2023,工学系,30,29,20,5,6,92,22,16,3",
    "2024,engineering,30,28,20,5,6,95,25,18,3",
)


def upload(university, user, content, filename="stats.csv"):
    plan = services.statistics_upload_check(university=university, content=content, filename=filename)
    if plan.result.ok:
        services.statistics_upload_apply(plan=plan, acting_user=user)
    return plan.result


def test_a_good_file_is_applied_and_the_same_file_twice_changes_nothing(university_a, staff_a):
    first = upload(university_a, staff_a, csv_file(*GOOD_ROWS))
    assert (first.students_created, first.students_updated, first.students_unchanged) == (3, 0, 0)
    history = EnrolmentStatistic.history.count()
    second = upload(university_a, staff_a, csv_file(*GOOD_ROWS))
    assert (second.students_created, second.students_updated, second.students_unchanged) == (0, 0, 3)
    assert EnrolmentStatistic.history.count() == history
    assert EnrolmentStatistic.objects.get(fiscal_year=2023).field == "engineering"


def test_a_changed_row_is_updated(university_a, staff_a):
    upload(university_a, staff_a, csv_file(*GOOD_ROWS))
    result = upload(university_a, staff_a, csv_file(*GOOD_ROWS[:2], "2024,engineering,30,28,20,5,6,99,25,18,3"))
    assert (result.students_created, result.students_updated, result.students_unchanged) == (0, 1, 2)
    row = EnrolmentStatistic.objects.get(fiscal_year=2024)
    assert (row.enrolled, row.version) == (99, 2)


def test_every_bad_row_is_listed_and_nothing_is_written(university_a, staff_a):
    result = upload(
        university_a,
        staff_a,
        csv_file(
            GOOD_ROWS[0],
            "2023,engineering,30,-3,0,0,0,92,22,16,3",  # negative entrants
            "2024,astrology,30,28,20,5,6,95,25,18,3",  # unknown field
            "2025,science,30,28,20,5,6,95,10,18,3",  # completions above degrees
            "2026,science,30,2x,20,5,6,95,25,18,3",  # not a number
            "2022,engineering,30,28,20,5,6,90,20,15,3",  # the first row again
        ),
    )
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (3, "入学者数", "0以上100,000以下の整数で入力してください。"),
        (4, "学系", "不明な学系です: astrology"),
        (5, "標準修業年限内修了者数", "学位（課程博士）授与数（10人）を超えています。"),
        (6, "入学者数", "整数で入力してください。"),
        (7, "学系", "同じ年度・学系が2行目にもあります。"),
    ]
    assert not EnrolmentStatistic.objects.exists()


def test_completions_above_their_cohort_in_the_same_file_are_refused(university_a, staff_a):
    result = upload(
        university_a,
        staff_a,
        csv_file("2022,engineering,30,10,5,1,1,90,20,10,3", "2024,engineering,30,28,20,5,6,95,25,18,3"),
    )
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "入学者数", "この入学者が標準修業年限内に修了した令和6年度の修了者数（18人）を下回っています。"),
        (3, "標準修業年限内修了者数", "入学年度（令和4年度）の入学者数（10人）を超えています。"),
    ]
    assert not EnrolmentStatistic.objects.exists()


def test_a_locked_year_is_refused_row_by_row(university_a, staff_a, program_officer):
    services.enrolment_year_lock(university=university_a, fiscal_year=2024, acting_user=program_officer)
    result = upload(university_a, staff_a, csv_file(*GOOD_ROWS))
    assert [(e.row, e.column) for e in result.errors] == [(4, "年度")]
    assert not EnrolmentStatistic.objects.exists()


def test_missing_columns_reject_the_file(university_a):
    with pytest.raises(UploadRejected) as error:
        services.statistics_upload_check(
            university=university_a, content=csv_file("2024,engineering", header="年度,学系"), filename="a.csv"
        )
    assert "入学定員" in error.value.messages[0]


def test_xlsx_with_english_headers_and_reiwa_years(university_a, staff_a):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(services.headers("en"))
    sheet.append(["R6", "health", 10, 9, 5, 2, 1, 40, 8, 6, 4])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = upload(university_a, staff_a, buffer.getvalue(), "stats.xlsx")
    assert result.ok, result.errors
    row = EnrolmentStatistic.objects.get()
    assert (row.fiscal_year, row.field, row.standard_term_years) == (2024, "health", 4)


def test_our_export_uploads_back_unchanged(university_a, staff_a):
    upload(university_a, staff_a, csv_file(*GOOD_ROWS))
    content = table_csv(services.headers(), services.export_rows(university_a))
    result = upload(university_a, staff_a, content)
    assert result.students_unchanged == 3


@pytest.mark.parametrize(
    ("cell", "year"),
    [("R6", 2024), ("令和6年度", 2024), ("令和元年度", 2019), ("H30", 2018), ("平成28年度", 2016), ("FY2017", 2017)],
)
def test_fiscal_years_in_either_era(cell, year):
    """The cohorts of an R2–R4 window reach back to 平成28年度, as a university's records name them."""
    assert services.parse_fiscal_year(cell) == year


def test_a_row_of_the_field_written_between_the_check_and_the_apply_refuses_the_file(university_a, staff_a):
    # The file's FY2024 row (18 on-time completions) passes its check: FY2022, the cohort they come
    # from, is not reported. Before the apply, a form enters FY2022 with 10 entrants (no stored
    # FY2024 to refuse it). Before: the apply compared only the rows it updates and wrote 18
    # completions from 10 entrants; every row the check read is compared now.
    from django.core.exceptions import ValidationError

    from tests.enrolment.factories import values

    plan = services.statistics_upload_check(university=university_a, content=csv_file(GOOD_ROWS[2]), filename="s.csv")
    assert plan.result.ok
    services.statistic_create(
        university=university_a,
        acting_user=staff_a,
        **values(
            fiscal_year=2022, entrants=10, entrants_from_masters=5, entrants_working_adults=1, entrants_international=1
        ),
    )
    with pytest.raises(ValidationError):
        services.statistics_upload_apply(plan=plan, acting_user=staff_a)
    assert list(EnrolmentStatistic.objects.values_list("fiscal_year", flat=True)) == [2022]
