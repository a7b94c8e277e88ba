import io

import pytest
from django.core.management import call_command

from programs.models import LivingCostFloor, Program, StipendRule, Target
from students.models import University

pytestmark = pytest.mark.django_db


def counts():
    return [m.objects.count() for m in (Program, StipendRule, LivingCostFloor, Target, University)]


def test_load_reference_is_idempotent():
    call_command("load_reference", stdout=io.StringIO())
    first = counts()
    call_command("load_reference", stdout=io.StringIO())
    assert counts() == first
    assert first[0] == 9


@pytest.mark.parametrize(
    ("code", "living", "term", "audience", "exclusive"),
    [
        ("SPRING", 1_800_000, 3, "doctoral", True),
        ("BOOST", 3_600_000, 3, "doctoral", True),
        ("FELLOWSHIP", 1_800_000, 3, "doctoral", True),
        ("JSPS_DC1", 2_400_000, 3, "doctoral", True),
        ("JSPS_DC2", 2_400_000, 2, "doctoral", True),
        ("JSPS_PD", 4_344_000, 3, "postdoctoral", False),
        ("JSPS_RPD", 4_344_000, 3, "postdoctoral", False),
        ("JSPS_CPD", 5_352_000, 5, "postdoctoral", False),
        ("EMERGENT_RA", 2_400_000, None, "doctoral", False),
    ],
)
def test_programs_carry_the_seed_amounts(reference, code, living, term, audience, exclusive):
    program = Program.objects.get(code=code)
    rule = program.rules.order_by("-effective_from").first()
    assert (rule.annual_living_cost, program.term_years, program.audience, program.is_exclusive) == (
        living,
        term,
        audience,
        exclusive,
    )


def test_spring_and_boost_totals_match_the_seed(reference):
    spring = StipendRule.objects.get(program__code="SPRING")
    boost = StipendRule.objects.get(program__code="BOOST")
    assert spring.annual_living_cost + spring.annual_research_cost + spring.annual_other_cost == 2_900_000
    assert boost.annual_living_cost + boost.annual_research_cost == 3_900_000


def test_dc_special_allowance_is_a_version_from_fy2024(reference):
    versions = list(StipendRule.objects.filter(program__code="JSPS_DC1").order_by("effective_from"))
    assert [v.annual_special_allowance for v in versions] == [0, 360_000]
    assert str(versions[1].effective_from) == "2024-04-01"


def test_floor_and_targets(reference):
    assert LivingCostFloor.objects.get().annual_amount == 1_800_000
    assert Target.objects.get(kind="target", fiscal_year=2025).headcount == 22_500
    published = dict(Target.objects.filter(kind="published").values_list("fiscal_year", "headcount"))
    assert published == {2021: 15_300, 2022: 16_300, 2023: 18_400, 2024: 20_400}


def test_universities_from_the_seeds(reference):
    assert University.objects.filter(spring_adopted=True).count() == 90
    tokyo = University.objects.get(name_ja="東京大学")
    assert (tokyo.founder, tokyo.national_group, tokyo.is_designated, tokyo.boost_adopted) == (
        "national",
        4,
        True,
        True,
    )
    science_tokyo = University.objects.get(name_ja="東京科学大学")
    assert "東京工業大学" in science_tokyo.former_names
    assert science_tokyo.national_group == 4
    assert University.objects.get(name_ja="早稲田大学").founder == "private"
    assert University.objects.get(name_ja="東京都立大学").founder == "public"
    assert University.objects.get(name_ja="岐阜大学").spring_adopted
    assert University.objects.filter(national_group=6).count() == 4


def test_admin_lists_the_nine_programs_with_amounts(reference, admin_client):
    response = admin_client.get("/admin/programs/program/")
    body = response.content.decode()
    assert response.status_code == 200
    for code in (
        "SPRING",
        "BOOST",
        "FELLOWSHIP",
        "JSPS_DC1",
        "JSPS_DC2",
        "JSPS_PD",
        "JSPS_RPD",
        "JSPS_CPD",
        "EMERGENT_RA",
    ):
        assert code in body
    assert "¥4,344,000" in body
    assert "¥5,352,000" in body


def test_fellowship_rule_is_the_floor_the_program_requires_from_fy2021(reference):
    rule = StipendRule.objects.get(program__code="FELLOWSHIP")
    assert (str(rule.effective_from), rule.annual_living_cost) == ("2021-04-01", 1_800_000)
    assert "下限" in rule.note
    assert "FY2021〜FY2023" in rule.note


def test_load_reference_never_overwrites_what_an_administrator_edited(admin_client, admin_user):
    # Ref: #12. load_reference runs at every deployment; it used update_or_create, so an agency's
    # correction made in the admin was put back to the seed by the next deployment.
    # given: the reference data, and an administrator's edits in the admin
    call_command("load_reference", stdout=io.StringIO())
    spring = Program.objects.get(code="SPRING")
    floor = LivingCostFloor.objects.order_by("effective_from").first()
    tokyo = University.objects.get(name_ja="東京大学")
    kyoto = University.objects.get(name_ja="京都大学")
    fields = {f.name: f.value_from_object(spring) for f in Program._meta.fields if f.name not in ("id",)}
    response = admin_client.post(
        f"/admin/programs/program/{spring.pk}/change/",
        {**fields, "name_en": "SPRING (as the agency names it)", "rules-TOTAL_FORMS": 0, "rules-INITIAL_FORMS": 0},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    floor.annual_amount = 1_900_000
    floor._history_user = admin_user
    floor.save()
    tokyo.name_en = "The University of Tokyo (UTokyo)"
    tokyo._history_user = admin_user
    tokyo.save()
    kyoto.name_ja = "京都大学（改称）"  # renamed: the seed's name must not come back as a second row
    kyoto._history_user = admin_user
    kyoto.save()
    # and a row changed by no one (a bad import, say) that the seed should repair
    Program.objects.filter(code="BOOST").update(term_years=9)
    before = counts()
    # when: the next deployment loads the reference data again
    out = io.StringIO()
    call_command("load_reference", stdout=out)
    # then: the administrator's edits stand, the rest follows the seed, nothing is duplicated
    assert Program.objects.get(code="SPRING").name_en == "SPRING (as the agency names it)"
    assert LivingCostFloor.objects.get(pk=floor.pk).annual_amount == 1_900_000
    assert University.objects.get(pk=tokyo.pk).name_en == "The University of Tokyo (UTokyo)"
    assert University.objects.get(pk=kyoto.pk).name_ja == "京都大学（改称）"
    assert not University.objects.filter(name_ja="京都大学").exists()
    assert Program.objects.get(code="BOOST").term_years == 3
    assert counts() == before
    assert "Kept as an administrator edited it" in out.getvalue()
    assert not Program.history.filter(history_user__isnull=False).exclude(id=spring.pk).exists()
