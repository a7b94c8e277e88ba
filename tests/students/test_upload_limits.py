"""Upload caps enforced while reading, stated on the pages, and the memory they bound (issue #12, item 4)."""

import io
import sys
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import Workbook

from students import imports, uploads
from students.models import UploadJob
from tests.students.test_imports import GOOD_ROWS, csv_bytes

ROOT = Path(__file__).resolve().parents[2]
HEADER = ",".join(imports.headers("ja"))


def xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_all(content: bytes, filename: str) -> int:
    return sum(1 for _row in imports.read_table(content, filename).rows())


def refusal(content: bytes, filename: str = "f.csv") -> str:
    with pytest.raises(imports.UploadRejected) as refused:
        read_all(content, filename)
    return " ".join(refused.value.messages)


def test_rows_past_the_cap_are_refused_while_counting(settings):
    settings.UPLOAD_MAX_ROWS = 3
    ok = HEADER + "\n" + "a,b\n" * 3
    assert imports.read_table(ok.encode()).count == 3
    assert "上限 3 行" in refusal((ok + "a,b\n").encode())
    assert "上限 3 行" in refusal(xlsx([["学籍番号"]] + [[f"S{i}"] for i in range(4)]), "f.xlsx")


def test_cells_per_row_and_cell_length_are_capped(settings):
    settings.UPLOAD_MAX_COLUMNS = 5
    settings.UPLOAD_MAX_CELL_CHARS = 10
    assert imports.read_table(b"a,b,c,d,e,,,,\n1,2\n").headers == ["a", "b", "c", "d", "e"]  # trailing empties
    assert "2行目のセルが多すぎます（上限 1行 5 列）" in refusal(b"a,b\n1,2,3,4,5,6\n")
    assert "2行目に長すぎるセルがあります（上限 1セル 10 文字）" in refusal(b"a,b\n" + b"x" * 11 + b",1\n")
    assert "2行目のセルが多すぎます" in refusal(xlsx([["a"], list(range(1, 7))]), "f.xlsx")
    assert "長すぎるセル" in refusal(xlsx([["a"], ["x" * 11]]), "f.xlsx")


def test_a_huge_csv_row_is_refused_before_it_is_split_into_cells(settings):
    settings.UPLOAD_MAX_COLUMNS = 5
    settings.UPLOAD_MAX_CELL_CHARS = 10
    # a line of commas, and a quoted cell running over many lines: each far past 5 cells of 10 characters
    assert "2行目が長すぎます" in refusal(b"a,b\n" + b"," * 10_000_000 + b"\n")
    assert "2行目が長すぎます" in refusal(b'a,b\n"' + b"x\n" * 1000 + b'"\n')


def test_xlsx_parts_are_capped_separately(settings, tmp_path):
    sys.path.insert(0, str(ROOT))
    from bench import upload_limits

    upload_limits.write_bomb(tmp_path / "small.xlsx", unpacked_mb=1)  # shared strings of 1 MB
    content = (tmp_path / "small.xlsx").read_bytes()
    settings.UPLOAD_MAX_XLSX_SHARED_STRINGS_BYTES = 2**19
    assert "xl/sharedStrings.xml）を展開すると大きすぎます（上限 0 MB）" in refusal(content, "f.xlsx")
    settings.UPLOAD_MAX_XLSX_SHARED_STRINGS_BYTES = 2 * 2**20
    assert imports.read_table(content, "f.xlsx").count == 0  # one header cell
    settings.UPLOAD_MAX_XLSX_SHEET_BYTES = 100
    assert "xl/worksheets/sheet1.xml）を展開すると大きすぎます" in refusal(content, "f.xlsx")
    settings.UPLOAD_MAX_XLSX_SHEET_BYTES = 10**6
    settings.UPLOAD_MAX_XLSX_PART_BYTES = 300  # the other parts: workbook.xml, [Content_Types].xml, ...
    assert "を展開すると大きすぎます" in refusal(content, "f.xlsx")


def test_a_zip_of_many_parts_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(imports.XLSX_MAX_PARTS + 1):
            archive.writestr(f"p{i}", "")
    assert "XLSX の中のファイルが多すぎます" in refusal(buffer.getvalue(), "f.xlsx")


def test_the_file_size_cap_is_checked_first(settings):
    settings.UPLOAD_MAX_BYTES = 2**20
    assert "上限 1 MB" in refusal(b"a" * (2**20 + 1))


def test_every_upload_page_states_the_limits(client, staff_a, reference, settings):
    # Ref: #12. The statistics upload (enrolment) reads files with the same caps but stated none.
    settings.UPLOAD_MAX_ROWS = 12_345
    client.force_login(staff_a)
    for page in (reverse("students:uploads"), reverse("careers:upload"), reverse("enrolment:upload")):
        text = client.get(page).content.decode()
        assert "12,345 行" in text, page
        assert "1行 64 列、1セル 1,000 文字" in text
        assert "sharedStrings.xml）が 50 MB・500,000 個、シートが各 200 MB、その他の中のファイルが各 20 MB" in text


@pytest.mark.django_db
def test_with_a_broker_the_web_request_only_stores_the_file(
    reference, university_a, staff_a, monkeypatch, django_capture_on_commit_callbacks
):
    from students import tasks

    def no_reading(*args, **kwargs):
        raise AssertionError("the web process read the file")

    queued = []
    monkeypatch.setattr(uploads, "_queued", lambda: True)  # as with CELERY_BROKER_URL set
    monkeypatch.setattr(uploads, "read_table", no_reading)
    monkeypatch.setattr(uploads, "import_check", no_reading)
    monkeypatch.setattr(tasks.upload_check_task, "delay", lambda job_id: queued.append(job_id))
    with django_capture_on_commit_callbacks(execute=True):
        job = uploads.upload_create(
            university=university_a, filename="a.csv", content=csv_bytes(GOOD_ROWS), acting_user=staff_a
        )
    assert queued == [job.pk]
    assert UploadJob.objects.get().state == "checking"
    assert job.total_rows == 0  # the worker counts them


@pytest.mark.django_db
def test_the_row_count_and_a_refusal_come_from_the_check(reference, university_a, staff_a, settings):
    settings.UPLOAD_MAX_ROWS = 2
    job = uploads.upload_check(
        job_id=UploadJob.objects.create(
            university=university_a, created_by=staff_a, filename="a.csv", content=csv_bytes(GOOD_ROWS)
        ).pk
    )
    assert job.state == "rejected"
    assert "上限 2 行" in job.message


def test_reading_the_issue_bomb_and_100000_rows_in_a_subprocess_peak_memory(tmp_path):
    """The bound: reading holds the file, one row, and for an XLSX its shared strings (capped).

    Each file is read in a fresh process reporting its own VmHWM; no time is asserted.
    """
    sys.path.insert(0, str(ROOT))
    from bench import upload_limits

    bomb, rows = tmp_path / "bomb.xlsx", tmp_path / "rows.csv"
    upload_limits.write_bomb(bomb)  # unpacks to 293 MB of shared strings
    upload_limits.write_csv(rows, 100_000)
    refused, read = upload_limits.measure(bomb), upload_limits.measure(rows)
    print(f"\nbomb {bomb.stat().st_size // 1024} KB: {refused}\n100,000 rows: {read}")
    assert "xl/sharedStrings.xml" in refused["refused"]  # refused from the zip directory, before unpacking
    assert refused["peak_rss_kb"] < 150 * 1024  # 1.25 GB before the caps
    assert read["refused"] is None
    assert read["rows"] == 100_000
    assert read["peak_rss_kb"] < 200 * 1024


def test_shared_strings_are_counted_before_openpyxl_loads_them(settings, tmp_path):
    sys.path.insert(0, str(ROOT))
    from bench import upload_limits

    upload_limits.write_bomb(tmp_path / "strings.xlsx", unpacked_mb=3)  # 3,000 strings over 3 chunks of 1 MB
    content = (tmp_path / "strings.xlsx").read_bytes()
    settings.UPLOAD_MAX_XLSX_SHARED_STRINGS = 3000
    assert imports.read_table(content, "f.xlsx").count == 0
    settings.UPLOAD_MAX_XLSX_SHARED_STRINGS = 2999
    assert "共有文字列（sharedStrings.xml）が多すぎます（上限 2,999 個）" in refusal(content, "f.xlsx")
