import pytest

from students.models import Award, Student
from tests.browser.conftest import sign_in, wait_until
from tests.students.test_imports import GOOD_ROWS, HEADER_JA

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_add_student_and_award_then_upload(page, screenshot, staff_a, reference, tmp_path):
    sign_in(page, "staff_a")
    # add a student
    page.goto("/students/new/")
    page.fill("#id_student_number", "B2025001")
    page.fill("#id_family_name", "山田")
    page.fill("#id_given_name", "花子")
    page.select_option("#id_field", "engineering")
    page.fill("#id_entry_date", "2025-04-01")
    page.click("button.primary")
    page.wait_for_load_state()
    assert "B2025001" in page.inner_text("h1")
    # add an award: choosing the program fills in the rule's amount, a low amount is flagged
    page.click("text=支援を登録")
    page.wait_for_url("**/awards/new/")
    page.wait_for_load_state()
    page.select_option("#id_program", "JSPS_DC1")
    page.fill("#id_start_date", "2025-04-01")
    page.fill("#id_end_date", "2028-03-31")
    wait_until(page, "document.querySelector('#id_annual_living_cost').value === '2400000'")
    page.fill("#id_annual_living_cost", "1000000")
    assert page.is_visible("#floor-warning")
    page.fill("#id_annual_living_cost", "2400000")
    assert not page.is_visible("#floor-warning")
    screenshot("workspace-award-form")
    page.click("button.primary")
    page.wait_for_load_state()
    assert Award.objects.get().annual_living_cost == 2_400_000
    # upload a Shift_JIS file with an error, then the fixed file
    bad = tmp_path / "受給者.csv"
    bad.write_bytes(
        ("\r\n".join([HEADER_JA, GOOD_ROWS[0].replace("2028-03-31", "2029-03-31"), *GOOD_ROWS[1:]]) + "\r\n").encode(
            "cp932"
        )
    )
    page.goto("/students/uploads/")
    page.set_input_files("#id_file", str(bad))
    page.click("button.primary")
    page.wait_for_selector("#upload-errors")
    assert "支援終了日" in page.inner_text("#upload-errors")
    screenshot("workspace-upload-errors")
    assert Student.objects.count() == 1
    good = tmp_path / "受給者-修正.csv"
    good.write_bytes(("\r\n".join([HEADER_JA, *GOOD_ROWS]) + "\r\n").encode("cp932"))
    page.goto("/students/uploads/")
    page.set_input_files("#id_file", str(good))
    page.click("button.primary")
    page.wait_for_selector("#upload-summary")
    page.click("text=反映する")
    page.wait_for_selector(".success")
    assert Student.objects.count() == 4
    screenshot("workspace-upload-applied")
    # the student page shows the history, in English after the switch
    page.goto(f"/students/{Student.objects.get(student_number='B2025001').pk}/")
    page.click("button[value=en]")
    page.wait_for_load_state()
    assert "History" in page.inner_text("main")
    assert "staff_a" in page.inner_text("#history")
    screenshot("workspace-student-en")
