"""Pages: the staff's own rows (form, upload), the ministry's coverage and indicator, the
drill-down with its what-if, locking, published snapshots, CSV and XLSX of every table."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from enrolment import rules, services
from enrolment.models import EnrolmentStatistic, EnrolmentYearLock, IndicatorSnapshot
from tests.dashboards.population import _award
from tests.enrolment.factories import values
from tests.factories import StudentFactory, UniversityFactory, user_with_role

pytestmark = pytest.mark.django_db


def test_staff_add_a_row_and_a_bad_one_is_refused_with_its_reason(client, staff_a, university_a):
    client.force_login(staff_a)
    assert client.get("/enrolment/").status_code == 200
    bad = client.post("/enrolment/", {**values(entrants=-2), "standard_term_years": 3})
    assert bad.status_code == 200
    assert "0以上100,000以下の整数で入力してください。" in bad.content.decode()
    assert not EnrolmentStatistic.objects.exists()
    good = client.post("/enrolment/", values())
    assert good.status_code == 302
    row = EnrolmentStatistic.objects.get()
    assert row.university == university_a
    edited = client.post(f"/enrolment/statistics/{row.pk}/edit/", {**values(enrolled=101), "version": 1})
    assert edited.status_code == 302
    row.refresh_from_db()
    assert (row.enrolled, row.version) == (101, 2)


def test_staff_upload_page_lists_bad_rows(client, staff_a, staff_b):
    """Without a broker the check runs in the request; the job page lists bad rows, then a good
    file is applied from its job's page. Another university's staff get 404 for the job."""
    client.force_login(staff_a)
    header = ",".join(services.headers())
    content = f"{header}\n2024,astrology,30,28,20,5,6,95,25,18,3\n".encode()
    response = client.post("/enrolment/upload/", {"file": io.BytesIO(content)}, format="multipart", follow=True)
    assert "不明な学系です: astrology" in response.content.decode()
    assert response.context["job"].state == "rejected"
    assert not EnrolmentStatistic.objects.exists()
    content = f"{header}\n2024,engineering,30,28,20,5,6,95,25,18,3\n".encode()
    upload = io.BytesIO(content)
    upload.name = "s.csv"
    checked = client.post("/enrolment/upload/", {"file": upload}, follow=True)
    job = checked.context["job"]
    assert (job.kind, job.state, job.result["students_created"]) == ("enrolment_statistics", "checked", 1)
    assert not EnrolmentStatistic.objects.exists()  # checking writes nothing
    client.force_login(staff_b)
    assert client.get(f"/enrolment/upload/{job.pk}/").status_code == 404
    assert client.post(f"/enrolment/upload/{job.pk}/apply/").status_code == 404
    assert client.get(f"/students/uploads/{job.pk}/").status_code == 404  # not a students' upload either
    client.force_login(staff_a)
    applied = client.post(f"/enrolment/upload/{job.pk}/apply/", follow=True)
    assert applied.context["job"].state == "applied"
    assert EnrolmentStatistic.objects.count() == 1
    assert "s.csv" in client.get("/enrolment/upload/").content.decode()


def test_national_pages_are_refused_to_staff_and_the_form_to_the_ministry(client, staff_a, ministry_viewer):
    client.force_login(staff_a)
    assert client.get("/enrolment/national/").status_code == 403
    client.force_login(ministry_viewer)
    assert client.get("/enrolment/").status_code == 403
    assert client.get("/enrolment/national/").status_code == 200


def test_coverage_counts_over_reported_enrolled(client, population, ministry_viewer):
    # given: FY2025 counted: nationally 4 (s6/s7 once), at 甲 3, at 乙 2 (see population)
    a, b = population["a"], population["b"]
    for university, field, enrolled in (
        (a, "engineering", 10),
        (a, "science", 5),
        (b, "engineering", 4),
        (b, "humanities", 6),
    ):
        services.statistic_create(
            university=university,
            acting_user=None,
            **values(fiscal_year=2025, field=field, enrolled=enrolled, completions_within_term=3, degrees_conferred=3),
        )
    client.force_login(ministry_viewer)
    # when
    response = client.get("/enrolment/national/", {"fiscal_year": 2025})
    tables = response.context["tables"]
    # then: 4 / 25 = 16.0%, 13.9 points below 30%, 5.9 above 10.1%
    assert tables["coverage"].rows == [["令和7年度", 4, 25, "16.0%", -14.0, 5.9]]
    # the counts' headers are aligned (right) as the counts are
    assert '<th scope="col" class="num">' in response.content.decode()
    # so are the shares and points: right-aligned figures under right-aligned headers
    coverage = response.content.decode().split('id="table-coverage"', 1)[1].split("</section>", 1)[0]
    for cell in ("4", "25", "16.0%", "-14.0", "5.9"):
        assert f'<td class="num">{cell}</td>' in coverage, cell
    for header in ("カバー率", "目標30%との差（ポイント）", "平成30年度基準10.1%との差（ポイント）"):
        assert f'<th scope="col" class="num">{header}</th>' in coverage, header
    by_university = {row[1]: row[2:5] for row in tables["coverage_universities"].rows}
    assert by_university == {"甲大学": [3, 15, "20.0%"], "乙大学": [2, 10, "20.0%"]}
    by_field = {row[0]: row[1:4] for row in tables["coverage_fields"].rows}
    assert by_field["工学系"] == [2, 14, "14.3%"]
    assert by_field["人文科学系"] == [1, 6, "16.7%"]
    csv = client.get("/enrolment/national/", {"fiscal_year": 2025, "format": "csv", "table": "coverage_fields"})
    assert csv["Content-Type"].startswith("text/csv")
    assert "工学系,2,14,14.3%" in csv.content.decode("utf-8-sig")
    xlsx = client.get("/enrolment/national/", {"fiscal_year": 2025, "format": "xlsx", "table": "coverage"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[2]] == ["令和7年度", 4, 25, "16.0%", -14.0, 5.9]


def _report_window(university, staff, *, completions):
    """FY2018–FY2022 engineering rows (term 3): the FY2020–FY2022 window with its cohorts."""
    for year in range(2018, 2023):
        services.statistic_create(
            university=university,
            acting_user=staff,
            **values(
                fiscal_year=year,
                admission_capacity=10,
                entrants=10,
                entrants_from_masters=5,
                entrants_working_adults=1,
                entrants_international=1,
                enrolled=30,
                degrees_conferred=9,
                completions_within_term=completions,
            ),
        )


@pytest.fixture
def group_one(university_a, staff_a):
    """Three national universities of group ① with on-time completions 4, 6 and 8 a year."""
    b = UniversityFactory(name_ja="丙大学")
    c = UniversityFactory(name_ja="丁大学")
    _report_window(university_a, staff_a, completions=4)
    _report_window(b, None, completions=6)
    _report_window(c, None, completions=8)
    return university_a, b, c


def test_indicator_table_ranks_and_bands_the_group(client, group_one, ministry_viewer):
    client.force_login(ministry_viewer)
    response = client.get("/enrolment/national/", {"first_year": 2020})
    rows = {row[1]: row[3:] for row in response.context["tables"]["indicator"].rows}
    # ratio 1 is 27/30 everywhere (→ 50); ratio 2: 12/30, 18/30, 24/30 → 37.75, 50, 62.25
    assert rows["丁大学"] == ["50.00", "62.25", "56.12", "1 / 3", "110%"]
    assert rows["丙大学"] == ["50.00", "50.00", "50.00", "2 / 3", "90%"]
    assert rows["甲大学"] == ["50.00", "37.75", "43.88", "3 / 3", "75%"]
    xlsx = client.get("/enrolment/national/", {"first_year": 2020, "format": "xlsx", "table": "indicator"})
    assert load_workbook(io.BytesIO(xlsx.content)).active.max_row == 4


def test_own_staff_see_their_position_and_a_what_if(client, group_one, staff_a):
    a, _b, _c = group_one
    client.force_login(staff_a)
    page = client.get(f"/enrolment/universities/{a.pk}/", {"first_year": 2020})
    assert page.status_code == 200
    assert (page.context["result"].rank, page.context["result"].rate) == (3, 75)
    fields = page.context["tables"]["indicator_fields"].rows
    assert fields[0][:4] == ["工学系", "平成30年度、令和元年度、令和2年度", 27, 30]
    # +12 on-time completions in FY2022: 24/30, equal to 丁's → both share 1st place
    what_if = client.get(f"/enrolment/universities/{a.pk}/", {"first_year": 2020, "field": "engineering", "extra": 12})
    assert (what_if.context["what_if"].rank, what_if.context["what_if"].rate) == (1, 110)
    assert "配分率 110%" in what_if.content.decode()


def test_another_universitys_staff_get_404_and_officers_lock_a_year(client, group_one, staff_b, program_officer):
    a, _b, _c = group_one
    client.force_login(staff_b)
    assert client.get(f"/enrolment/universities/{a.pk}/").status_code == 404
    assert (
        client.post(f"/enrolment/universities/{a.pk}/lock/", {"fiscal_year": 2022, "action": "lock"}).status_code == 404
    )
    client.force_login(program_officer)
    assert (
        client.post(f"/enrolment/universities/{a.pk}/lock/", {"fiscal_year": 2022, "action": "lock"}).status_code == 302
    )
    assert EnrolmentYearLock.objects.filter(university=a, fiscal_year=2022).exists()


def test_staff_cannot_lock_their_own_year(client, group_one, staff_a):
    a, _b, _c = group_one
    client.force_login(staff_a)
    assert (
        client.post(f"/enrolment/universities/{a.pk}/lock/", {"fiscal_year": 2022, "action": "lock"}).status_code == 403
    )


def test_a_published_snapshot_stays_as_published_and_recomputes_from_its_inputs(client, group_one, program_officer):
    a, _b, _c = group_one
    client.force_login(program_officer)
    response = client.post("/enrolment/snapshots/", {"first_year": 2020})
    snapshot = IndicatorSnapshot.objects.get()
    assert response.url == f"/enrolment/snapshots/{snapshot.pk}/"
    before = client.get(response.url).context["table"].rows
    # a later correction changes the live table, not the published one
    row = EnrolmentStatistic.objects.get(university=a, fiscal_year=2022)
    services.statistic_update(statistic=row, acting_user=None, completions_within_term=9)
    assert client.get(response.url).context["table"].rows == before
    stored = [rules.StatisticRow(**r) for r in snapshot.rows]
    infos = {r["university"]: rules.UniversityInfo(r["group"], r["designated"]) for r in snapshot.results}
    again = {r.university: (r.rank, r.rate) for r in rules.degree_indicator(stored, infos, 2020)}
    assert again == {r["university"]: (r["rank"], r["rate"]) for r in snapshot.results}


def test_product_figures_beside_reported_ones_flag_differences(client, staff_a, university_a):
    services.statistic_create(
        university=university_a,
        acting_user=staff_a,
        **values(fiscal_year=2024, enrolled=1, completions_within_term=0, degrees_conferred=0),
    )
    for number in ("X1", "X2"):
        StudentFactory(university=university_a, student_number=number, entry_date=date(2023, 4, 1))
    # FY2024 entrants: one from a master's course, one whose route is not recorded
    StudentFactory(university=university_a, student_number="Y1", entry_date=date(2024, 4, 1), entry_route="masters")
    StudentFactory(university=university_a, student_number="Y2", entry_date=date(2024, 4, 1))
    client.force_login(staff_a)
    table = client.get("/enrolment/", {"fiscal_year": 2024}).context["own"]
    assert table.rows == [["工学系", 1, 4, 28, 2, 20, 1, 0, 0, "要確認: 在籍者数"]]
    csv = client.get("/enrolment/", {"fiscal_year": 2024, "format": "csv", "table": "own_figures"})
    assert "工学系,1,4,28,2,20,1,0,0,要確認: 在籍者数" in csv.content.decode("utf-8-sig")


def test_templates_and_exports_download(client, staff_a, university_a):
    client.force_login(staff_a)
    assert client.get("/enrolment/template.xlsx").status_code == 200
    assert client.get("/enrolment/template.csv").content.decode("utf-8-sig").startswith("年度,学系,入学定員")
    assert client.get("/enrolment/export.pdf").status_code == 404


def test_pages_in_english(client, group_one, ministry_viewer, settings):
    client.force_login(ministry_viewer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/enrolment/national/", {"first_year": 2020})
    page = response.content.decode()
    assert "Coverage by field" in page
    assert "Allocation rate" in page
    assert "The aim is about 30%; the FY2018 baseline was 10.1%." in page


def test_national_page_costs_the_same_queries_for_more_universities(
    client, group_one, ministry_viewer, django_assert_max_num_queries
):
    client.force_login(ministry_viewer)
    # 20 before the share of master's entrants supported (3 more: supported nationally, by
    # university, reported entrants from a master's course by university) and 2 for the trend,
    # and 1 for django-otp's look-up of the second factor the session passed (#17); 25 since the
    # user is read with their membership in one query (accounts.backends)
    with django_assert_max_num_queries(25) as few:
        client.get("/enrolment/national/", {"first_year": 2020, "fiscal_year": 2022})
    for n in range(3):
        _report_window(UniversityFactory(name_ja=f"追加大学{n}"), None, completions=5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/enrolment/national/", {"first_year": 2020, "fiscal_year": 2022})


def test_share_of_masters_entrants_supported_against_hand_counts(client, reference, ministry_viewer):
    """FY2025 at 甲 (national), by the recorded entry route (Student.entry_route): e1 entered
    from a master's course in April 2025 and is counted; e2 too but entered from a job; e3
    entered from a master's course in 2025 below the floor; e4 from a master's course is counted
    but entered in 2024; e5 is counted, route not recorded; e6 is counted and came from a
    six-year undergraduate course (not a working adult: the old stand-in counted it). 甲 reported
    4 entrants from a master's course, 乙 reported 5 and has no supported entrant.
    甲: 1 / 4 = 25.0% (45.0 points below 70%), 1 entrant with no route; nationally 1 / 9 = 11.1%."""
    kou = UniversityFactory(name_ja="甲大学")
    otsu = UniversityFactory(name_ja="乙大学")
    staff = user_with_role("kou_staff", "university_staff", university=kou)
    april, end = date(2025, 4, 1), date(2028, 3, 31)
    for number, entry, route, adult, living in (
        ("E1", april, "masters", False, 1_800_000),
        ("E2", april, "employment", True, 1_800_000),
        ("E3", date(2025, 10, 1), "masters", False, 1_000_000),
        ("E4", date(2024, 4, 1), "masters", False, 1_800_000),
        ("E5", april, "", False, 1_800_000),
        ("E6", april, "undergraduate", False, 1_800_000),
    ):
        student = StudentFactory(
            university=kou, student_number=number, entry_date=entry, entry_route=route, is_working_adult=adult
        )
        _award(student, "SPRING", max(entry, april), end, living, staff)
    for university, masters in ((kou, 4), (otsu, 5)):
        services.statistic_create(
            university=university, acting_user=None, **values(fiscal_year=2025, entrants_from_masters=masters)
        )
    client.force_login(ministry_viewer)
    tables = client.get("/enrolment/national/", {"fiscal_year": 2025}).context["tables"]
    assert tables["masters"].rows == [["令和7年度", 1, 9, "11.1%", -58.9, 1]]
    by_university = {row[1]: row[2:] for row in tables["masters_universities"].rows}
    assert by_university == {"甲大学": [1, 4, "25.0%", -45.0, 1], "乙大学": [0, 5, "0.0%", -70.0, 0]}


def test_every_table_downloads_as_csv_and_xlsx_with_the_pages_rows(client, group_one, ministry_viewer):
    a, _b, _c = group_one
    client.force_login(ministry_viewer)
    for url in ("/enrolment/national/", f"/enrolment/universities/{a.pk}/"):
        params = {"first_year": 2020, "fiscal_year": 2022}
        tables = client.get(url, params).context["tables"]
        assert len(tables) >= (9 if url.endswith("national/") else 3)
        for key, table in tables.items():
            csv = client.get(url, {**params, "format": "csv", "table": key})
            assert csv.status_code == 200, key
            lines = csv.content.decode("utf-8-sig").strip().splitlines()
            assert len(lines) == 1 + len(table.rows), key
            xlsx = client.get(url, {**params, "format": "xlsx", "table": key})
            sheet = load_workbook(io.BytesIO(xlsx.content)).active
            assert [c.value for c in sheet[1]] == table.headers, key
            assert sheet.max_row == 1 + len(table.rows) or (not table.rows and sheet.max_row == 1), key
    assert client.get("/enrolment/national/", {"format": "csv", "table": "nonexistent"}).status_code == 404


def test_coverage_trend_against_hand_counts(client, population, ministry_viewer):
    """FY2024: only s9 counts (its SPRING award runs from April 2024; the suspension is FY2025's)
    → 1 / 20 = 5.0%. FY2025: 4 / 25 = 16.0% (see the coverage test), 11.0 points up."""
    a, b = population["a"], population["b"]
    services.statistic_create(university=a, acting_user=None, **values(fiscal_year=2024, enrolled=20))
    for university, enrolled in ((a, 15), (b, 10)):
        services.statistic_create(
            university=university,
            acting_user=None,
            **values(fiscal_year=2025, enrolled=enrolled, completions_within_term=3, degrees_conferred=3),
        )
    client.force_login(ministry_viewer)
    trend = client.get("/enrolment/national/", {"fiscal_year": 2025}).context["tables"]["coverage_trend"]
    assert trend.rows == [
        ["令和6年度", 1, 20, "5.0%", -25.0, -5.1, "—"],
        ["令和7年度", 4, 25, "16.0%", -14.0, 5.9, 11.0],
    ]
