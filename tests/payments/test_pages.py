"""The student's due and paid, recording a month, a university's differences and claims."""

import re
from datetime import date

import pytest

from payments import services as payments
from payments.models import ClaimSettlement, PaymentEntry
from students import services

pytestmark = pytest.mark.django_db


def test_staff_record_a_month_from_the_student_page(client, dc_award, staff_a):
    client.force_login(staff_a)
    page = client.get(f"/students/{dc_award.student_id}/")
    assert 'id="reconciliation"' in page.content.decode()
    response = client.post(
        f"/students/payments/{dc_award.student_id}/new/",
        {"award": dc_award.pk, "month": "2025-04", "living_cost": 200000, "research_cost": 0, "pay_date": "2025-04-20"},
    )
    assert response.status_code == 302
    assert PaymentEntry.objects.get().month == date(2025, 4, 1)
    # the same post again writes nothing; a different amount without a reason is refused on the form
    client.post(
        f"/students/payments/{dc_award.student_id}/new/",
        {"award": dc_award.pk, "month": "2025-04", "living_cost": 200000, "research_cost": 0, "pay_date": "2025-04-20"},
    )
    refused = client.post(
        f"/students/payments/{dc_award.student_id}/new/",
        {"award": dc_award.pk, "month": "2025-04", "living_cost": 100000, "research_cost": 0, "pay_date": "2025-04-20"},
    )
    assert refused.status_code == 200
    assert "訂正の理由を入力してください" in refused.content.decode()
    assert PaymentEntry.objects.count() == 1


def test_the_university_page_lists_differences_and_claims_and_a_claim_is_settled(client, dc_award, staff_a):
    # given months paid, and a suspension recorded afterwards
    payments.payments_record(
        university_id=dc_award.university_id,
        rows=[payments.PaymentInput(dc_award.pk, date(2025, m, 1), 200_000, 0, date(2025, m, 20)) for m in (4, 5, 6)],
        acting_user=staff_a,
    )
    suspension = services.award_event_create(
        award=dc_award, kind="suspension", start_date=date(2025, 6, 1), end_date=date(2025, 6, 30), acting_user=staff_a
    )
    client.force_login(staff_a)
    # when
    page = client.get("/students/payments/").content.decode()
    # then the June payment is a difference and a claim of ¥200,000
    assert "休止中の支給" in page
    assert "¥200,000" in page
    response = client.post(
        f"/students/payments/awards/{dc_award.pk}/claims/{suspension.pk}/settle/",
        {"kind": "repaid", "amount": 200000, "reason": "7月に返納"},
    )
    assert response.status_code == 302
    assert ClaimSettlement.objects.get().decided_by == staff_a


def test_the_ledger_history_keeps_corrections(client, dc_award, staff_a, staff_b):
    payments.payment_record(
        award=dc_award,
        month=date(2025, 4, 1),
        living_cost=250_000,
        research_cost=0,
        pay_date=date(2025, 4, 20),
        acting_user=staff_a,
    )
    payments.payment_record(
        award=dc_award,
        month=date(2025, 4, 1),
        living_cost=200_000,
        research_cost=0,
        pay_date=date(2025, 4, 20),
        acting_user=staff_a,
        reason="入力誤り",
    )
    client.force_login(staff_a)
    page = client.get(f"/students/payments/awards/{dc_award.pk}/").content.decode()
    assert "¥250,000" in page
    assert "入力誤り" in page
    client.force_login(staff_b)
    assert client.get(f"/students/payments/awards/{dc_award.pk}/").status_code == 404
    assert client.get("/students/payments/").status_code == 200  # their own university: nothing


def test_ministry_viewers_see_no_payment_rows(client, dc_award, ministry_viewer):
    client.force_login(ministry_viewer)
    assert client.get(f"/students/payments/awards/{dc_award.pk}/").status_code == 403
    assert client.get("/students/payments/").status_code == 403


def test_withdrawing_a_suspension_on_the_award_page_cancels_its_claim(client, dc_award, staff_a):
    # given a claim made by a late suspension
    payments.payments_record(
        university_id=dc_award.university_id,
        rows=[payments.PaymentInput(dc_award.pk, date(2025, m, 1), 200_000, 0, date(2025, m, 20)) for m in (4, 5, 6)],
        acting_user=staff_a,
    )
    suspension = services.award_event_create(
        award=dc_award, kind="suspension", start_date=date(2025, 6, 1), end_date=date(2025, 6, 30), acting_user=staff_a
    )
    client.force_login(staff_a)
    assert "¥200,000" in client.get("/students/payments/").content.decode()
    # when the suspension is withdrawn from the award page
    assert (
        f"/students/events/{suspension.pk}/withdraw/" in client.get(f"/students/awards/{dc_award.pk}/").content.decode()
    )
    client.post(f"/students/events/{suspension.pk}/withdraw/")
    # then no claim and no difference remain for June
    page = client.get("/students/payments/").content.decode()
    assert "返還請求はありません。" in page
    assert "休止中の支給" not in page


@pytest.mark.parametrize("language", ["ja", "en"])
def test_amounts_on_the_differences_page_are_printed_as_yen_with_a_plain_minus(client, dc_award, staff_a, language):
    # given April underpaid by ¥50,000 and May overpaid by ¥50,000 (due ¥200,000 a month)
    payments.payments_record(
        university_id=dc_award.university_id,
        rows=[
            payments.PaymentInput(dc_award.pk, date(2025, 4, 1), 150_000, 0, date(2025, 4, 20)),
            payments.PaymentInput(dc_award.pk, date(2025, 5, 1), 250_000, 0, date(2025, 5, 20)),
        ],
        acting_user=staff_a,
    )
    client.force_login(staff_a)
    client.cookies["django_language"] = language
    # when
    page = client.get("/students/payments/").content.decode()
    # then a negative difference reads -¥50,000 (ASCII hyphen before the sign), a positive one ¥50,000
    assert f'lang="{language}"' in page
    assert '<td class="num">-¥50,000</td>' in page
    assert '<td class="num">¥50,000</td>' in page
    assert '<td class="num">¥250,000</td>' in page
    assert "¥-" not in page


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_payroll_upload_sent_wrong_shows_the_error_summary(client, staff_a, reference, language):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(staff_a)
    client.cookies["django_language"] = language
    # no file, then an empty one: the page again, the summary first, linking to the field
    for data in ({}, {"file": SimpleUploadedFile("payroll.csv", b"", content_type="text/csv")}):
        response = client.post("/students/payments/upload/", data)
        assert response.status_code == 200
        page = response.content.decode()
        assert "data-error-summary" in page
        assert 'href="#id_file"' in page
        assert page.index("data-error-summary") < page.index('type="file"')


@pytest.mark.parametrize("content", [b"columns", None])
def test_a_refused_payroll_file_links_back_to_the_payroll_upload(client, dc_award, staff_a, university_a, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from payments.imports import headers

    if content is None:  # a table with a row the checks refuse (an unknown student)
        content = (",".join(headers("ja")) + "\r\nNOBODY,JSPS_DC1,2025-04,200000,0,2025/4/20,,\r\n").encode()
    else:  # a table without the payroll's columns: the whole file is refused
        content = "学籍番号,氏名\r\nD1,山田\r\n".encode()
    client.force_login(staff_a)
    response = client.post("/students/payments/upload/", {"file": SimpleUploadedFile("payroll.csv", content)})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "エラーあり" in page
    assert 'id="upload-again" href="/students/payments/upload/"' in page
    crumbs = page[page.index('class="crumbs"') :]
    assert crumbs.index('href="/students/payments/upload/"') < crumbs.index("</p>")


def test_the_differences_are_paged_oldest_first_and_counted_in_all(client, dc_award, staff_a, monkeypatch):
    from payments import views

    monkeypatch.setattr(views, "DIFFERENCES_PER_PAGE", 2)
    # given three months underpaid by ¥50,000
    payments.payments_record(
        university_id=dc_award.university_id,
        rows=[payments.PaymentInput(dc_award.pk, date(2025, m, 1), 150_000, 0, date(2025, m, 20)) for m in (4, 5, 6)],
        acting_user=staff_a,
    )
    client.force_login(staff_a)
    first = client.get("/students/payments/").content.decode()
    second = client.get("/students/payments/?page=2").content.decode()
    # then two rows a page, oldest first (the months not paid since count too), and the count and
    # total of all the differences on every page
    assert ("2025-04" in first, "2025-05" in first, "2025-06" in first) == (True, True, False)
    assert ("2025-04" in second, "2025-06" in second) == (False, True)
    assert first.count('<tr><td class="nowrap">20') == 2  # rows of the differences table, by their month
    assert 'href="?page=2#differences"' in first
    summary = re.compile(r"<p>(\d+) 件 · 差額の合計（支給額−支給すべき額） (-¥[\d,]+)</p>")
    count, total = summary.search(first).groups()
    assert summary.search(second).groups() == (count, total)
    assert f"1 / {-(-int(count) // 2)}" in first
