import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from students.models import Award, UploadJob
from tests.students.test_imports import GOOD_ROWS, csv_bytes

pytestmark = pytest.mark.django_db


def upload(client, content, name="awardees.csv"):
    return client.post("/students/uploads/", {"file": SimpleUploadedFile(name, content)})


def test_upload_with_error_then_fixed_file(client, staff_a, reference):
    client.force_login(staff_a)
    bad = [GOOD_ROWS[0].replace("工学系", "錬金術系"), *GOOD_ROWS[1:]]
    response = upload(client, csv_bytes(bad, "cp932"))
    job = UploadJob.objects.get()
    assert response.status_code == 302
    assert job.state == "rejected"
    page = client.get(f"/students/uploads/{job.pk}/").content.decode()
    assert "錬金術系" in page
    assert "何も書き込んでいません" in page
    assert not Award.objects.exists()
    # the fixed file
    upload(client, csv_bytes(GOOD_ROWS, "cp932"))
    fixed = UploadJob.objects.latest("pk")
    assert fixed.state == "checked"
    client.post(f"/students/uploads/{fixed.pk}/apply/")
    fixed.refresh_from_db()
    assert fixed.state == "applied"
    assert fixed.result["awards_created"] == 3
    assert Award.objects.count() == 3


def test_unreadable_file_is_refused_on_the_field(client, staff_a, reference):
    client.force_login(staff_a)
    response = upload(client, b"\x00\x01\x02binary", "photo.xlsx")
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not UploadJob.objects.exists()


def test_templates_and_export_download(client, staff_a, reference):
    client.force_login(staff_a)
    csv_template = client.get("/students/uploads/template.csv")
    assert csv_template.content.decode("utf-8-sig").startswith("学籍番号,")
    assert (
        client.get("/students/uploads/template.csv?lang=en").content.decode("utf-8-sig").startswith("student_number,")
    )
    assert client.get("/students/uploads/template.xlsx")["Content-Type"].startswith("application/vnd.openxml")
    assert client.get("/students/export.csv").status_code == 200


def test_other_universitys_upload_is_404(client, staff_a, staff_b, reference):
    client.force_login(staff_a)
    upload(client, csv_bytes(GOOD_ROWS))
    job = UploadJob.objects.get()
    client.force_login(staff_b)
    assert client.get(f"/students/uploads/{job.pk}/").status_code == 404
    assert client.post(f"/students/uploads/{job.pk}/apply/").status_code == 404
