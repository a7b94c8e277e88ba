"""Synthetic but realistic demo data, labelled synthetic (DOMAIN.md's published series as shape).

Cohorts start each April so that the tracked national headcount follows the published
figures (15,300 in FY2021 … 22,500 in FY2025) times `scale`. Rows are written with
bulk_create: the generator builds only valid combinations (no exclusive overlap, terms
respected), which tests/students/test_demo.py checks against the rules.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction

from programs import rules
from programs.models import Program
from students.facts import facts_rebuild
from students.models import Award, AwardEvent, CareerOutcome, Field, Report, Student, University

# Published and planned national headcounts (DOMAIN.md), extended one year past the target.
SHAPE = {
    2019: 15_300,
    2020: 15_300,
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


def _cohort_sizes(first: int, last: int, scale: float) -> dict[int, int]:
    """Cohort sizes so that three overlapping cohorts follow SHAPE."""
    sizes = {first - 2: round(SHAPE[first] * scale / 3), first - 1: round(SHAPE[first] * scale / 3)}
    for fy in range(first, last + 1):
        sizes[fy] = max(round(SHAPE.get(fy, SHAPE[2030]) * scale) - sizes[fy - 1] - sizes[fy - 2], 1)
    return sizes


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


@transaction.atomic
def demo_generate(
    *,
    scale: float,
    first_fy: int,
    last_fy: int,
    seed: int = 2025,
    extra_universities: int = 0,
    yearly_awards: bool = False,
) -> DemoSize:
    """Generate cohorts FY first_fy−2 … last_fy. `yearly_awards` records each award as one row per
    fiscal year (as universities that renew SPRING yearly do), for national-scale benchmarks."""
    rng = random.Random(seed)
    if extra_universities:
        synthetic_universities(extra_universities)
    universities = list(University.objects.all())
    weights = _university_weights(universities)
    spring_unis = [u for u in universities if u.spring_adopted]
    boost_unis = {u.pk for u in universities if u.boost_adopted}
    programs = {p.code: p for p in Program.objects.all()}
    fields, field_w = list(FIELD_WEIGHTS), list(FIELD_WEIGHTS.values())
    numbers: dict[int, int] = {}
    erads: set[str] = set()

    students: list[Student] = []
    plans: list[tuple[int, list[tuple]]] = []  # (student index, [(program, start, end, living, research, events)])
    for cohort_fy, size in _cohort_sizes(first_fy, last_fy, scale).items():
        for _ in range(size):
            uni = rng.choices(universities, weights)[0]
            if rng.random() < 0.55 and uni not in spring_unis:
                uni = rng.choice(spring_unis)
            numbers[uni.pk] = numbers.get(uni.pk, 0) + 1
            entry = date(cohort_fy, 4, 1)
            student = Student(
                university=uni,
                student_number=f"{cohort_fy}D{numbers[uni.pk]:05d}",
                family_name=rng.choice(FAMILY),
                given_name=rng.choice(GIVEN),
                field=rng.choices(fields, field_w)[0],
                entry_date=entry,
                is_international=rng.random() < 0.2,
                is_working_adult=rng.random() < 0.12,
                erad_number=_new_erad(rng, erads) if rng.random() < 0.3 else "",
            )
            plan = _plan_awards(rng, student, cohort_fy, uni.pk in boost_unis)
            completed = date(cohort_fy + 3, 3, 31)
            if completed < date(last_fy, 4, 1) and rng.random() < 0.8:
                student.status, student.completion_date = Student.Status.COMPLETED, completed
                if rng.random() < 0.06:  # some completers go on to JSPS PD
                    plan.append(("JSPS_PD", date(cohort_fy + 3, 4, 1), date(cohort_fy + 6, 3, 31), 4_344_000, 0, []))
            plans.append((len(students), plan))
            students.append(student)

    # A few transfers: the same person (e-Rad number) recorded at a second university.
    for index in rng.sample(range(len(students)), k=len(students) // 200):
        source = students[index]
        if not source.erad_number or source.status != Student.Status.ENROLLED:
            continue
        other = rng.choice(spring_unis)
        if other.pk == source.university_id:
            continue
        numbers[other.pk] = numbers.get(other.pk, 0) + 1
        moved_on = date(source.entry_date.year + 1, 10, 1)
        copy = Student(
            university=other,
            student_number=f"T{numbers[other.pk]:05d}",
            family_name=source.family_name,
            given_name=source.given_name,
            field=source.field,
            entry_date=moved_on,
            erad_number=source.erad_number,
            is_international=source.is_international,
        )
        plans[index] = (
            index,
            [(p, s, min(e, moved_on - timedelta(days=1)), *rest) for p, s, e, *rest in plans[index][1] if s < moved_on],
        )
        plans.append(
            (len(students), [("SPRING", moved_on, date(source.entry_date.year + 3, 3, 31), 1_800_000, 1_100_000, [])])
        )
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
            AwardEvent(award=award, kind=kind, start_date=start, end_date=end, reason=reason, previous_end_date=prev)
            for award, events in zip(awards, award_events, strict=True)
            for kind, start, end, reason, prev in events
        ],
        batch_size=2000,
    )
    facts_rebuild()
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

DESTINATION_WEIGHTS = {
    # close to SPRING's FY2022 completers (DOMAIN.md): 79.3% employed
    "permanent_research": 22,
    "postdoc": 24,
    "non_permanent_research": 9,
    "non_research": 24,
    "student": 3,
    "not_employed": 13,
    "unknown": 5,
}
SECTOR_WEIGHTS = {"academia": 42.5, "company": 33.0, "government": 2.7, "startup": 0.7, "other": 21.1}


def _recorded_on(start: date, late: bool, today: date) -> datetime:
    day = start + timedelta(days=45 if late else 10)
    return datetime.combine(min(day, today), time(9, 0), tzinfo=UTC)


@transaction.atomic
def demo_history(*, today: date, seed: int = 2025) -> dict[str, int]:
    """Give the synthetic data a plausible past: awards and changes recorded about ten days after
    they happened (one in 23 more than a month late), career records for most completers at the
    points already due, and accepted reports for closed years, the last closed year mixed
    (some submitted, some never started: late), 東京大学's left for the demo staff to prepare."""
    rng = random.Random(seed)
    for model in (Award, AwardEvent):
        # One pass over the rows and a CASE update per batch: an UPDATE per start date would
        # scan the whole table once per distinct date.
        rows = [
            model(pk=pk, created_at=_recorded_on(start, pk % 23 == 0, today))
            for pk, start in model.objects.values_list("pk", "start_date").iterator(chunk_size=5000)
        ]
        model.objects.bulk_update(rows, ["created_at"], batch_size=1000)

    destinations, destination_w = list(DESTINATION_WEIGHTS), list(DESTINATION_WEIGHTS.values())
    sectors, sector_w = list(SECTOR_WEIGHTS), list(SECTOR_WEIGHTS.values())
    careers = []
    finished = Student.objects.filter(status=Student.Status.COMPLETED, completion_date__isnull=False)
    for student in finished.only("pk", "completion_date").iterator(chunk_size=5000):
        for point, years in (("completion", 0), ("year_1", 1)):
            if student.completion_date.replace(year=student.completion_date.year + years) > today:
                continue
            if rng.random() < 0.12:  # not entered yet: due, and overdue after a month
                continue
            destination = rng.choices(destinations, destination_w)[0]
            employed = destination in ("permanent_research", "postdoc", "non_permanent_research", "non_research")
            careers.append(
                CareerOutcome(
                    student_id=student.pk,
                    survey_point=point,
                    destination=destination,
                    sector=rng.choices(sectors, sector_w)[0] if employed else "",
                    country="JP" if rng.random() < 0.9 else rng.choice(["US", "DE", "GB", "CN", "KR"]),
                )
            )
    CareerOutcome.objects.bulk_create(careers, batch_size=5000)

    from students.reports import report_figures, report_statuses

    last_closed = rules.fiscal_year(today) - 1
    reports = []
    programs = {p.code: p for p in Program.objects.all()}
    universities = {u.pk: u for u in University.objects.all()}
    for fy in range(last_closed - 2, last_closed + 1):
        deadline = date(fy + 1, 5, 31)
        for status in report_statuses(fiscal_year=fy, today=today):
            roll = rng.random()
            if fy == last_closed and (status.university_name == "東京大学" or roll < 0.15):
                continue  # never started
            state = Report.State.ACCEPTED
            if fy == last_closed and roll < 0.3:
                state = Report.State.SUBMITTED
            if fy == last_closed and 0.3 <= roll < 0.36:
                state = Report.State.DRAFT
            university, program = universities[status.university_id], programs[status.program_code]
            submitted = None
            if state != Report.State.DRAFT:
                late = rng.random() < 0.1
                submitted = datetime.combine(
                    deadline + timedelta(days=12 if late else -rng.randrange(1, 30)), time(10), tzinfo=UTC
                )
            reports.append(
                Report(
                    university=university,
                    program=program,
                    fiscal_year=fy,
                    state=state,
                    submitted_at=submitted,
                    figures=report_figures(university=university, program=program, fiscal_year=fy),
                )
            )
    Report.objects.bulk_create(reports, batch_size=2000)
    return {"careers": len(careers), "reports": len(reports)}
