"""The payments pages laid out for reading and for work (issue #13), in Chromium, in English
(the longer labels) at a desktop (1280 px) and a phone (390 px) width:
- a figure never breaks over lines: -¥100,000 broke after its hyphen in the narrow Difference
  column, reading as "-" and "¥100,000";
- the claims table's decision form stays inside the page at 1280 px (it ran off the right edge),
  and is filled and sent by keyboard alone at either width, each field in view as it is reached;
- nothing makes the page itself scroll sideways: a table wider than the screen scrolls in its
  own region."""

from datetime import date

import pytest

from payments import services as payments
from payments.models import ClaimSettlement
from programs.models import Program
from students import services
from tests.browser.conftest import sign_in
from tests.browser.crawl import Crawl, squeezed_headers
from tests.factories import StudentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FY2025 = [date(2025, m, 1) for m in range(4, 13)]

# The cells whose text takes more than one line (a row's cells share its height, so the text's own lines).
WRAPPED_JS = """
(selector) => [...document.querySelectorAll(selector)].flatMap(cell => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  const tops = [...range.getClientRects()].filter(r => r.width > 0).map(r => r.top).sort((a, b) => a - b);
  const half = parseFloat(getComputedStyle(cell).fontSize) / 2;
  const lines = tops.filter((top, i) => i === 0 || top - tops[i - 1] > half).length;
  return lines > 1 ? [`${cell.innerText.replace(/\\n/g, ' / ')} (${lines} lines, ${Math.round(cell.clientWidth)}px)`] : [];
})
"""


@pytest.fixture
def ledger(reference, university_a, staff_a):
    """A SPRING award paid April–December 2025 at ¥150,000 but May at ¥50,000 (-¥100,000), then a
    suspension of October–December recorded late (a claim of ¥450,000); a DC1 award paid ¥100,000
    short in June: differences with a minus sign, and an open claim to decide."""
    staff_a.membership.can_certify = True
    staff_a.membership.save()
    spring = services.award_create(
        student=StudentFactory(university=university_a, student_number="LAY001"),
        acting_user=staff_a,
        program=Program.objects.get(code="SPRING"),
        start_date=date(2025, 4, 1),
        end_date=date(2028, 3, 31),
        annual_living_cost=1_800_000,
        annual_research_cost=0,
    )
    dc1 = services.award_create(
        student=StudentFactory(university=university_a, student_number="LAY002"),
        acting_user=staff_a,
        program=Program.objects.get(code="JSPS_DC1"),
        start_date=date(2025, 4, 1),
        end_date=date(2028, 3, 31),
    )
    rows = [
        payments.PaymentInput(spring.pk, m, 50_000 if m.month == 5 else 150_000, 0, m.replace(day=25)) for m in FY2025
    ]
    rows.append(payments.PaymentInput(dc1.pk, date(2025, 6, 1), 100_000, 0, date(2025, 6, 25)))
    payments.payments_record(university_id=university_a.pk, rows=rows, acting_user=staff_a)
    services.award_event_create(
        award=spring, kind="suspension", start_date=date(2025, 10, 1), end_date=date(2025, 12, 31), acting_user=staff_a
    )
    return spring


def in_english(page):
    page.goto("/")
    page.click("header button[value=en]")
    page.wait_for_load_state()


def page_scrolls_sideways(page) -> list[str]:
    """The elements reaching past the window's right edge, outside any region that scrolls, when the page scrolls sideways."""
    return page.evaluate(
        """() => document.documentElement.scrollWidth <= window.innerWidth ? [] :
        [...document.body.querySelectorAll('*')].filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
          && !el.parentElement.closest('.scroll-x')).map(el => el.tagName + (el.id ? '#' + el.id : '') + '.' + el.className).slice(0, 10)"""
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_figures_keep_to_one_line_and_the_page_never_scrolls_sideways(page, screenshot, ledger, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "staff_a")
    in_english(page)
    for path in ("/students/payments/", f"/students/{ledger.student_id}/", f"/students/payments/awards/{ledger.pk}/"):
        page.goto(path)
        assert "-¥100,000" in page.inner_text("main") or path != "/students/payments/"
        assert page.evaluate(WRAPPED_JS, "td.num") == [], path
        assert page_scrolls_sideways(page) == [], path
        assert squeezed_headers(page) == [], path
    page.goto("/students/payments/")
    screenshot(f"payments-layout-en-{width}")


def test_the_claims_decision_fits_the_page_at_1280(page, ledger, live_server):
    sign_in(page, "staff_a")
    in_english(page)
    page.goto("/students/payments/")
    region = page.locator(".scroll-x:has(table.claims)")
    # then: the claims table needs no sideways scroll, its form inside main's right edge
    assert region.evaluate("el => el.scrollWidth - el.clientWidth") <= 1
    right = page.locator("main").evaluate("el => el.getBoundingClientRect().right")
    for control in page.locator("form.settle select, form.settle input:not([type=hidden]), form.settle button").all():
        box = control.bounding_box()
        assert box["x"] + box["width"] <= right, control.evaluate("el => el.outerHTML")
    judge = Crawl(live_server.url, password="")
    judge.judge(page, "payments page (en)", "en")
    assert judge.problems == []


@pytest.mark.parametrize("width", [1280, 390])
def test_a_claim_is_decided_by_keyboard_alone(page, ledger, staff_a, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "staff_a")
    in_english(page)
    page.goto("/students/payments/")
    # when: Tab until the decision's first field, then through the others, typing as a person would
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('form.settle select')"):
            break
    else:
        pytest.fail("Tab never reached the decision form")
    reached = []
    for keys in ("ArrowDown", "450000", "Returned in January", None):
        focused = page.evaluate(
            "() => { const r = document.activeElement.getBoundingClientRect();"
            " return [document.activeElement.tagName, document.activeElement.name || '', r.left, r.right]; }"
        )
        tag, name, left, right = focused
        assert left >= 0, (tag, name, left, right)  # in view as it is reached
        assert right <= width, (tag, name, left, right)
        reached.append((tag, name))
        if keys == "ArrowDown":
            page.keyboard.press("Home")  # the first choice (repaid)
        elif keys:
            page.keyboard.type(keys)
        if keys is not None:
            page.keyboard.press("Tab")
    assert reached == [("SELECT", "kind"), ("INPUT", "amount"), ("INPUT", "reason"), ("BUTTON", "")]
    with page.expect_navigation():
        page.keyboard.press("Enter")
    settlement = ClaimSettlement.objects.get()
    assert (settlement.kind, settlement.amount, settlement.decided_by) == ("repaid", 450_000, staff_a)
