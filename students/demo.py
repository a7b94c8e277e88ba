"""Synthetic but realistic demo data, labelled synthetic, shaped by DOMAIN.md's published figures.

The generator plans students fiscal year by fiscal year so that the counted national headcount
reproduces the published breakdown by program (DOMAIN.md "The published breakdown by program":
JSPS DC等, SPRING, フェロー事業, 創発RA, R3–R6) times `scale`, and goes on towards the target
(22,500 in FY2025) afterwards. Each kind of student (a `Track`: DC1 for the whole course, SPRING
then DC2, the fellowship folded into SPRING in FY2024, RA pay alone reaching the floor, …) has a
fixed plan of awards; the plan's attribution in each fiscal year is taken from `programs.rules`
(the same function the facts use), and each year's intake fills what the students already planned
leave short of the figure. Rows are written with bulk_create: the generator builds only valid
combinations (no exclusive overlap, terms respected), which tests/students/test_demo.py checks
against the rules.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction

from programs import reference, rules
from programs.models import Program
from students.facts import facts_rebuild, floor_versions
from students.models import Award, AwardEvent, Field, Student, University
from students.selectors import award_terms_of

# National headcounts (DOMAIN.md): published to FY2024, the FY2025 target, then a gentle rise.
SHAPE = {
    2021: 15_300,
    2022: 16_300,
    2023: 18_400,
    2024: 20_400,
    2025: 22_500,
    2026: 23_500,
    2027: 24_000,
    2028: 24_500,
    2029: 25_000,
    2030: 25_500,
}
# Groups of the published breakdown (programs.reference.PUBLISHED_GROUPS) plus BOOST, shown apart.
GROUP_OF = {code: key for key, _label, codes in reference.PUBLISHED_GROUPS for code in codes} | {"BOOST": "boost"}
RA_COUNTED = 800
BOOST_PER_CALL = 200  # ~600 over three calls (DOMAIN.md); first students from FY2025
BOOST_FIRST_FY = 2025
FELLOWSHIP_LAST_FY = 2023
SPRING_THEN_DC2 = 0.08  # share of a year's SPRING figure that starts on SPRING and wins DC2 a year later
DC1_SHARE = 0.45  # of new DC fellows; the rest start DC2 in their second year
RA_BELOW_FLOOR = 300  # RA pay alone below the floor: tracked, never counted (a year, national scale)


def group_targets(fy: int) -> dict[str, int]:
    """Counted students per group in FY `fy` at national scale (what the intake aims at)."""
    published = reference.PUBLISHED_BREAKDOWN.get(fy)
    if published:
        return {group: n for group, n in published.items() if n}
    boost = BOOST_PER_CALL * min(fy - BOOST_FIRST_FY + 1, 3) if fy >= BOOST_FIRST_FY else 0
    dc, ra = reference.PUBLISHED_BREAKDOWN[2024]["dc"], RA_COUNTED
    total = SHAPE.get(fy, SHAPE[max(SHAPE)])
    return {"dc": dc, "ra": ra, "boost": boost, "spring": total - dc - ra - boost}


FAMILY = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "清水",
    "山崎",
]
GIVEN = [
    "翔",
    "陽菜",
    "蓮",
    "結衣",
    "大輝",
    "美咲",
    "悠真",
    "葵",
    "湊",
    "さくら",
    "陸",
    "凛",
    "颯太",
    "芽依",
    "樹",
    "楓",
    "優斗",
    "七海",
    "健太",
    "彩",
]
FIELD_WEIGHTS = {
    Field.ENGINEERING: 24,
    Field.SCIENCE: 16,
    Field.HEALTH: 22,
    Field.AGRICULTURE: 7,
    Field.HUMANITIES: 7,
    Field.SOCIAL_SCIENCES: 6,
    Field.EDUCATION: 3,
    Field.INTEGRATED_HUMANITIES: 3,
    Field.INTEGRATED_SCIENCES: 6,
    Field.INTERDISCIPLINARY: 6,
}
GROUP_WEIGHT = {4: 12.0, 5: 6.0, 1: 2.0, 2: 1.0, 3: 1.5, 6: 0.3}


@dataclass
class DemoSize:
    students: int
    awards: int
    universities: int


def _university_weights(universities: list[University]) -> list[float]:
    return [GROUP_WEIGHT.get(u.national_group, 1.0 if u.spring_adopted else 0.3) for u in universities]


def synthetic_universities(count: int) -> list[University]:
    """Extra universities for national-scale benchmarks (marked is_synthetic)."""
    founders = ["private"] * 6 + ["public"] * 2 + ["national"]
    start = University.objects.filter(is_synthetic=True).count()
    rows = [
        University(
            name_ja=f"合成大学{start + i + 1:04d}",
            name_en=f"Synthetic University {start + i + 1:04d}",
            founder=founders[i % len(founders)],
            spring_adopted=i % 3 == 0,
            is_synthetic=True,
        )
        for i in range(count)
    ]
    return University.objects.bulk_create(rows)


# --- Plans: the awards of one kind of student -------------------------------------------------

# (program, start, end, annual living cost, annual research cost, events)
AwardPlan = tuple[str, date, date, int, int, list[tuple]]


def _course_end(entry_fy: int) -> date:
    """The last day of the standard three-year doctoral course."""
    return date(entry_fy + 3, 3, 31)


def _entry_route(rng: random.Random, student: Student) -> str:
    """Most enter from a master's course; working adults mostly from their job; a few come from
    a six-year undergraduate course or from abroad; about one in twenty is not recorded."""
    routes = Student.EntryRoute
    draw = rng.random()
    if draw < 0.05:
        return ""
    if student.is_working_adult:
        return routes.EMPLOYMENT if draw < 0.8 else routes.MASTERS
    if student.is_international and draw < 0.3:
        return routes.ABROAD
    return routes.UNDERGRADUATE if draw < 0.15 else routes.MASTERS


def _plan_dc1(entry_fy: int, start_fy: int, rng: random.Random) -> list[AwardPlan]:
    # DC1 runs from entry (whatever year the student is first seen in), DC2 from the second year.
    return [("JSPS_DC1", date(entry_fy, 4, 1), _course_end(entry_fy), 2_400_000, 0, [])]


def _plan_dc2(entry_fy: int, start_fy: int, rng: random.Random) -> list[AwardPlan]:
    return [("JSPS_DC2", date(entry_fy + 1, 4, 1), _course_end(entry_fy), 2_400_000, 0, [])]


def _plan_spring_then_dc2(entry_fy: int, start_fy: int, rng: random.Random) -> list[AwardPlan]:
    # SPRING in the first year, then DC2 for the remaining two (a SPRING student who wins DC leaves SPRING).
    spring_end = date(start_fy + 1, 3, 31)
    return [
        (
            "SPRING",
            date(start_fy, 4, 1),
            spring_end,
            1_800_000,
            1_100_000,
            [("termination", spring_end, None, "DC2採用のため", _course_end(entry_fy))],
        ),
        ("JSPS_DC2", date(start_fy + 1, 4, 1), _course_end(entry_fy), 2_400_000, 0, []),
    ]


def _spring_living(rng: random.Random) -> int:
    return rng.choice([1_800_000, 1_800_000, 2_160_000, 2_220_000, 2_400_000])


def _plan_spring(entry_fy: int, start_fy: int, rng: random.Random) -> list[AwardPlan]:
    return [("SPRING", date(start_fy, 4, 1), _course_end(entry_fy), _spring_living(rng), 1_100_000, [])]


def _plan_spring_with_ra(entry_fy: int, start_fy: int, rng: random.Random) -> list[AwardPlan]:
    # RA pay beside SPRING: both pay living cost, the student is attributed to SPRING (the larger).
    start = date(start_fy, 4, 1)
    return [
        *_plan_spring(entry_fy, start_fy, rng),
        ("EMERGENT_RA", start, date(start_fy + 1, 3, 31), 600_000, 0, []),
    ]


def _plan_spring_suspended(entry_fy: int, start_fy: int, rng: random.Random) -> list[AwardPlan]:
    # A suspension (e.g. childbirth) of six months in the second year, with the end pushed out.
    suspension_start, suspension_end = date(entry_fy + 1, 10, 1), date(entry_fy + 2, 3, 31)
    end, extended = _course_end(entry_fy), date(entry_fy + 3, 9, 30)
    return [
        (
            "SPRING",
            date(start_fy, 4, 1),
            extended,
            _spring_living(rng),
            1_100_000,
            [
                ("suspension", suspension_start, suspension_end, "出産・育児", None),
                ("extension", end, extended, "休止期間分の延長", end),
            ],
        )
    ]


def _plan_fellowship(entry_fy: int, start_fy: int, rng: random.Random) -> list[AwardPlan]:
    # The fellowship ran FY2021–FY2023; its students went on under SPRING from FY2024 (folded in).
    last = date(FELLOWSHIP_LAST_FY + 1, 3, 31)
    end = _course_end(entry_fy)
    plan: list[AwardPlan] = [("FELLOWSHIP", date(start_fy, 4, 1), min(end, last), 1_800_000, 0, [])]
    if end > last:
        plan.append(("SPRING", last + timedelta(days=1), end, 1_800_000, 1_100_000, []))
    return plan


def _plan_ra(entry_fy: int, start_fy: int, rng: random.Random) -> list[AwardPlan]:
    # RA pay alone reaching the floor (up to ¥2,400,000): attributed to EMERGENT_RA.
    living = rng.choice([1_800_000, 2_000_000, 2_400_000])
    return [("EMERGENT_RA", date(start_fy, 4, 1), _course_end(entry_fy), living, 0, [])]


def _plan_ra_below_floor(entry_fy: int, start_fy: int, rng: random.Random) -> list[AwardPlan]:
    # RA pay alone is below the floor: tracked, never counted.
    return [("EMERGENT_RA", date(start_fy, 4, 1), date(start_fy + 1, 3, 31), 1_200_000, 0, [])]


def _plan_boost(entry_fy: int, start_fy: int, rng: random.Random) -> list[AwardPlan]:
    return [("BOOST", date(start_fy, 4, 1), _course_end(entry_fy), 3_600_000, 300_000, [])]


@dataclass(frozen=True)
class Track:
    """A kind of student: its plan, where it is found (SPRING/BOOST universities or any), and
    the calendar month the course may end in when it completes (after an extension)."""

    plan: Callable[[int, int, random.Random], list[AwardPlan]]
    where: str = "any"  # "any", "spring", "boost"
    completes_in_september: bool = False


TRACKS = {
    "dc1": Track(_plan_dc1),
    "dc2": Track(_plan_dc2),
    "spring_dc2": Track(_plan_spring_then_dc2, "spring"),
    "spring": Track(_plan_spring, "spring"),
    "spring_ra": Track(_plan_spring_with_ra, "spring"),
    "spring_suspended": Track(_plan_spring_suspended, "spring", completes_in_september=True),
    "fellowship": Track(_plan_fellowship, "spring"),
    "ra": Track(_plan_ra),
    "ra_below": Track(_plan_ra_below_floor),
    "boost": Track(_plan_boost, "boost"),
}


class _Attribution:
    """Which group each plan is counted under in each fiscal year, from `programs.rules` (the facts'
    own function), computed once per (track, entry, start): amounts within a track never change it."""

    def __init__(self, programs: dict[str, Program]):
        self.programs = programs
        self.floors = floor_versions()
        self.cache: dict[tuple[str, int, int], dict[int, str]] = {}

    def groups(self, track: str, entry_fy: int, start_fy: int) -> dict[int, str]:
        key = (track, entry_fy, start_fy)
        if key not in self.cache:
            plan = TRACKS[track].plan(entry_fy, start_fy, random.Random(0))
            terms = [self._terms(i, row) for i, row in enumerate(plan)]
            years = rules.fiscal_years_touched(terms)
            counted = {}
            for fy in sorted(years):
                outcome = rules.year_outcome(terms, fy, self.floors)
                if outcome.counts and outcome.program:
                    counted[fy] = GROUP_OF.get(outcome.program, outcome.program)
            self.cache[key] = counted
        return self.cache[key]

    def _terms(self, index: int, row: AwardPlan) -> rules.AwardTerms:
        """The planned award as rule input, through the function the pages use for an unsaved award."""
        code, start, end, living, _research, events = row
        award = Award(program=self.programs[code], start_date=start, end_date=end, annual_living_cost=living)
        suspensions = (rules.Suspension(s, e) for kind, s, e, *_rest in events if kind == "suspension")
        return award_terms_of(award, suspensions, award_id=index)


def plan_intake(*, scale: float, first_fy: int, last_fy: int, programs: dict[str, Program]) -> list[tuple]:
    """How many students of each track enter each grade in each fiscal year: [(track, entry FY,
    first supported FY, count)], filling each year's groups up to `group_targets` × scale."""
    attribution = _Attribution(programs)
    stock: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    intake: list[tuple] = []

    def add(track: str, entry_fy: int, start_fy: int, count: int) -> None:
        if count <= 0:
            return
        intake.append((track, entry_fy, start_fy, count))
        for fy, group in attribution.groups(track, entry_fy, start_fy).items():
            stock[fy][group] += count

    def spread(track: str, fy: int, count: int, grades: tuple[int, ...]) -> None:
        """`count` new students of a track in FY `fy`, shared out over the given grades."""
        for i, grade in enumerate(grades):
            add(track, fy - grade, fy, count // len(grades) + (1 if i < count % len(grades) else 0))

    for fy in range(first_fy, last_fy + 1):
        want = {group: round(n * scale) for group, n in group_targets(fy).items()}
        opening = fy == first_fy  # no earlier intake: every grade starts at once
        if fy <= FELLOWSHIP_LAST_FY:
            add("fellowship", fy, fy, want.get("fellowship", 0) - stock[fy]["fellowship"])
        spread("ra", fy, want.get("ra", 0) - stock[fy]["ra"], (0, 1, 2) if opening else (0,))
        spread("ra_below", fy, round(RA_BELOW_FLOOR * scale), (0, 1, 2))
        if BOOST_FIRST_FY <= fy < BOOST_FIRST_FY + 3:
            add("boost", fy, fy, want.get("boost", 0) - stock[fy]["boost"])
        add("spring_dc2", fy, fy, round(want.get("spring", 0) * SPRING_THEN_DC2))
        dc_short = want.get("dc", 0) - stock[fy]["dc"]
        if dc_short > 0:
            dc1 = round(dc_short * DC1_SHARE)
            spread("dc1", fy, dc1, (0, 1, 2) if opening else (0,))
            spread("dc2", fy, dc_short - dc1, (1, 2) if opening else (1,))
        spring_short = want.get("spring", 0) - stock[fy]["spring"]
        if spring_short > 0:
            # A steady year needs about a third of the figure as first-years; a jump (FY2021's start,
            # FY2024's expansion) also takes students already in their second and third years.
            steady = max(want["spring"] // 3, 1)
            first_years = spring_short if spring_short <= steady * 1.15 else steady
            later = spring_short - first_years
            variants = {"spring_ra": round(first_years * 0.05), "spring_suspended": round(first_years * 0.04)}
            for track, n in variants.items():
                add(track, fy, fy, n)
            add("spring", fy, fy, first_years - sum(variants.values()))
            spread("spring", fy, later, (1, 2))
    return intake


def demo_generate(
    *,
    scale: float,
    first_fy: int,
    last_fy: int,
    seed: int = 2025,
    extra_universities: int = 0,
    yearly_awards: bool = False,
) -> DemoSize:
    """Generate intakes FY first_fy … last_fy (students already in their second and third years
    included in the first). `yearly_awards` records each award as one row per
    fiscal year (as universities that renew SPRING yearly do), for national-scale benchmarks.

    The rows are written in one transaction, the facts rebuilt after it in the rebuild's own short
    batches: one transaction holding every person's advisory lock ran PostgreSQL out of lock slots
    ("out of shared memory") at national scale."""
    size = _demo_rows(
        scale=scale,
        first_fy=first_fy,
        last_fy=last_fy,
        seed=seed,
        extra_universities=extra_universities,
        yearly_awards=yearly_awards,
    )
    facts_rebuild()
    return size


@transaction.atomic
def _demo_rows(
    *, scale: float, first_fy: int, last_fy: int, seed: int, extra_universities: int, yearly_awards: bool
) -> DemoSize:
    rng = random.Random(seed)
    # The entry route from its own generator: drawing it from `rng` would move every later draw
    # and with them the demo's published breakdown.
    route_rng = random.Random(seed + 1)
    if extra_universities:
        synthetic_universities(extra_universities)
    universities = list(University.objects.all())
    weights = _university_weights(universities)
    spring_unis = [u for u in universities if u.spring_adopted] or universities
    spring_weights = _university_weights(spring_unis)
    boost_unis = [u for u in universities if u.boost_adopted] or spring_unis
    programs = {p.code: p for p in Program.objects.all()}
    fields, field_w = list(FIELD_WEIGHTS), list(FIELD_WEIGHTS.values())
    numbers: dict[int, int] = {}
    erads: set[str] = set()

    def pick_university(where: str) -> University:
        if where == "boost":
            return rng.choice(boost_unis)
        if where == "spring":
            return rng.choices(spring_unis, spring_weights)[0]
        return rng.choices(universities, weights)[0]

    students: list[Student] = []
    plans: list[tuple[int, list[AwardPlan]]] = []
    single: list[int] = []  # students with one plain award (candidates for a transfer)
    for track_name, entry_fy, start_fy, count in plan_intake(
        scale=scale, first_fy=first_fy, last_fy=last_fy, programs=programs
    ):
        track = TRACKS[track_name]
        for _ in range(count):
            uni = pick_university(track.where)
            numbers[uni.pk] = numbers.get(uni.pk, 0) + 1
            student = Student(
                university=uni,
                student_number=f"{entry_fy}D{numbers[uni.pk]:05d}",
                family_name=rng.choice(FAMILY),
                given_name=rng.choice(GIVEN),
                field=rng.choices(fields, field_w)[0],
                entry_date=date(entry_fy, 4, 1),
                is_international=rng.random() < 0.2,
                is_working_adult=rng.random() < 0.12,
                erad_number=_new_erad(rng, erads) if rng.random() < 0.3 else "",
            )
            student.entry_route = _entry_route(route_rng, student)
            plan = track.plan(entry_fy, start_fy, rng)
            completed = date(entry_fy + 3, 9, 30) if track.completes_in_september else _course_end(entry_fy)
            if completed < date(last_fy, 4, 1) and rng.random() < 0.8:
                student.status, student.completion_date = Student.Status.COMPLETED, completed
                if rng.random() < 0.06:  # some completers go on to JSPS PD
                    plan.append(("JSPS_PD", completed + timedelta(days=1), date(entry_fy + 6, 3, 31), 4_344_000, 0, []))
            elif len(plan) == 1 and not plan[0][5] and student.erad_number:
                single.append(len(students))
            plans.append((len(students), plan))
            students.append(student)

    # A few transfers: the same person (e-Rad number) recorded at a second university, carrying on
    # the same support there (so the person counts once nationally, under the same program).
    for index in rng.sample(single, k=min(len(single), len(students) // 200)):
        source = students[index]
        code, start, end, living, research, _events = plans[index][1][0]
        moved_on = date(max(source.entry_date.year + 1, start.year), 10, 1)
        other = pick_university(TRACKS["spring"].where if code in ("SPRING", "FELLOWSHIP") else "any")
        if other.pk == source.university_id or not start < moved_on <= end:
            continue
        numbers[other.pk] = numbers.get(other.pk, 0) + 1
        copy = Student(
            university=other,
            student_number=f"T{numbers[other.pk]:05d}",
            family_name=source.family_name,
            given_name=source.given_name,
            field=source.field,
            entry_date=moved_on,
            erad_number=source.erad_number,
            is_international=source.is_international,
            entry_route=source.entry_route,
        )
        plans[index] = (index, [(code, start, moved_on - timedelta(days=1), living, research, [])])
        plans.append((len(students), [(code, moved_on, end, living, research, [])]))
        students.append(copy)

    Student.objects.bulk_create(students, batch_size=2000)
    awards: list[Award] = []
    award_events: list[list[tuple]] = []
    for index, plan in plans:
        if yearly_awards:
            plan = [piece for row in plan for piece in _split_by_fiscal_year(row)]
        for code, start, end, living, research, events in plan:
            if end < start:
                continue
            status = Award.Status.ACTIVE
            for kind, *_rest in events:
                if kind == "termination":
                    status = Award.Status.TERMINATED
            awards.append(
                Award(
                    student=students[index],
                    university_id=students[index].university_id,
                    program=programs[code],
                    start_date=start,
                    end_date=end,
                    annual_living_cost=living,
                    annual_research_cost=research,
                    status=status,
                    is_reserved=code == "SPRING" and rng.random() < 0.05,
                )
            )
            award_events.append(events)
    Award.objects.bulk_create(awards, batch_size=2000)
    AwardEvent.objects.bulk_create(
        [
            AwardEvent(
                award=award,
                university_id=award.university_id,
                kind=kind,
                start_date=start,
                end_date=end,
                reason=reason,
                previous_end_date=prev,
            )
            for award, events in zip(awards, award_events, strict=True)
            for kind, start, end, reason, prev in events
        ],
        batch_size=2000,
    )
    return DemoSize(students=len(students), awards=len(awards), universities=len(universities))


def _new_erad(rng: random.Random, used: set[str]) -> str:
    """An e-Rad number no other person has: a university records a person once (DOMAIN.md)."""
    while (number := f"{rng.randrange(10**7, 10**8)}") in used:
        pass
    used.add(number)
    return number


def _plan_awards(rng: random.Random, student: Student, fy: int, boost_ok: bool) -> list[tuple]:
    """One student's awards: (program, start, end, living, research, events)."""
    start = date(fy, 4, 1)
    roll = rng.random()
    if fy >= 2024 and boost_ok and roll < 0.04:
        return [("BOOST", start, date(fy + 3, 3, 31), 3_600_000, 300_000, [])]
    if roll < 0.16:
        return [("JSPS_DC1", start, date(fy + 3, 3, 31), 2_400_000, 0, [])]
    if roll < 0.26:
        # SPRING in the first year, then DC2 for the remaining two (a SPRING student who wins DC leaves SPRING).
        spring_end = date(fy + 1, 3, 31)
        return [
            (
                "SPRING",
                start,
                spring_end,
                1_800_000,
                1_100_000,
                [("termination", spring_end, None, "DC2採用のため", date(fy + 3, 3, 31))],
            ),
            ("JSPS_DC2", date(fy + 1, 4, 1), date(fy + 3, 3, 31), 2_400_000, 0, []),
        ]
    if roll < 0.30:
        # RA pay alone is below the floor: tracked, never counted.
        return [("EMERGENT_RA", start, date(fy + 1, 3, 31), 1_200_000, 0, [])]
    living = rng.choice([1_800_000, 1_800_000, 2_160_000, 2_220_000, 2_400_000])
    plan = [("SPRING", start, date(fy + 3, 3, 31), living, 1_100_000, [])]
    if rng.random() < 0.05:
        plan.append(("EMERGENT_RA", start, date(fy + 1, 3, 31), 600_000, 0, []))
    if rng.random() < 0.04:
        # A suspension (e.g. childbirth) of six months in the second year, with the end pushed out.
        suspension_start, suspension_end = date(fy + 1, 10, 1), date(fy + 2, 3, 31)
        program, s, _end, lv, rs, _ev = plan[0]
        plan[0] = (
            program,
            s,
            date(fy + 3, 9, 30),
            lv,
            rs,
            [
                ("suspension", suspension_start, suspension_end, "出産・育児", None),
                ("extension", date(fy + 3, 3, 31), date(fy + 3, 9, 30), "休止期間分の延長", date(fy + 3, 3, 31)),
            ],
        )
    return plan


def _split_by_fiscal_year(row: tuple) -> list[tuple]:
    """One award as consecutive fiscal-year pieces (events stay on the piece they fall in)."""
    code, start, end, living, research, events = row
    if events:
        return [row]
    pieces = []
    for fy in range(rules.fiscal_year(start), rules.fiscal_year(end) + 1):
        fy_start, fy_end = rules.fiscal_year_bounds(fy)
        pieces.append((code, max(start, fy_start), min(end, fy_end), living, research, []))
    return pieces


# --- History: when things were recorded, careers after the degree, and past reports -------------


def _recorded_on(start: date, late: bool, today: date) -> datetime:
    day = start + timedelta(days=45 if late else 10)
    return datetime.combine(min(day, today), time(9, 0), tzinfo=UTC)


@transaction.atomic
def demo_history(*, today: date) -> None:
    """Give the synthetic data a plausible past: awards and changes recorded about ten days after
    they happened (one in 23 more than a month late). Careers and reports add theirs
    (careers.demo, reports.demo)."""
    for model in (Award, AwardEvent):
        # One pass over the rows and a CASE update per batch: an UPDATE per start date would
        # scan the whole table once per distinct date.
        rows = [
            model(pk=pk, created_at=_recorded_on(start, pk % 23 == 0, today))
            for pk, start in model.objects.values_list("pk", "start_date").iterator(chunk_size=5000)
        ]
        model.objects.bulk_update(rows, ["created_at"], batch_size=1000)
