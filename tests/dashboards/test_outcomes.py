"""Issue #13 item 5: outcome rates on the published basis (unknown destinations left out)."""

from datetime import date

import pytest

from careers import selectors as career_selectors
from careers.models import CareerOutcome
from tests.factories import AwardFactory, StudentFactory, user_with_role

pytestmark = pytest.mark.django_db
# Ten SPRING completers: 4 permanent research, 2 postdoc, 1 non-research job, 1 student,
# 1 not employed, 1 unknown → 7 / 10 = 70.0% now, 7 / 9 = 77.8% without the unknown.
DESTINATIONS = ["permanent_research"] * 4 + ["postdoc"] * 2 + ["non_research", "student", "not_employed", "unknown"]


@pytest.fixture
def completers(reference, university_a):
    for i, destination in enumerate(DESTINATIONS):
        student = StudentFactory(
            university=university_a,
            student_number=f"O{i}",
            entry_date=date(2022, 4, 1),
            status="completed",
            completion_date=date(2025, 3, 31),
        )
        AwardFactory(student=student, start_date=date(2022, 4, 1), end_date=date(2025, 3, 31))
        CareerOutcome.objects.create(
            student=student,
            survey_point="completion",
            destination=destination,
            sector="academia" if destination in ("permanent_research", "postdoc") else "",
        )


def test_rates_leave_the_unknown_out_beside_the_current_rate(completers):
    table = career_selectors.outcome_table(career_selectors.outcome_records(CareerOutcome.objects.all()))
    every = table["completion"][career_selectors.ALL]
    assert (every.records, every.known, every.employed) == (10, 9, 7)
    assert every.rate == 70.0
    assert every.rate_known == 77.8
    assert every.permanent_share_known == 44.4  # 4 of the 9 known, as the JSPS DC survey's 79.0%


def test_no_known_destination_has_no_rate(reference):
    row = career_selectors.OutcomeRow("ALL", records=2, employed=0)
    row.destinations["unknown"] = 2
    assert (row.known, row.rate_known, row.permanent_share_known) == (0, None, None)


def test_outcomes_page_shows_both_rates_with_a_note(client, completers):
    client.force_login(user_with_role("outcomes_viewer", "ministry_viewer"))
    body = client.get("/dashboards/outcomes/").content.decode()
    assert "就職率（不明を除く）" in body
    assert '<td class="num rate-known">77.8%</td>' in body
    assert 'id="note-known"' in body
    assert "79.0%" in body


def test_outcomes_by_program_name_the_programs(client, completers):
    client.force_login(user_with_role("outcomes_names", "ministry_viewer"))
    body = client.get("/dashboards/outcomes/").content.decode()
    assert "<th>次世代研究者挑戦的研究プログラム</th>" in body
    assert "<th>SPRING</th>" not in body
