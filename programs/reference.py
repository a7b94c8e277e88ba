"""Reference data of DOMAIN.md: the nine programs, their amounts, the floor, the targets and the
published breakdown by program.

Sources: ../shared/seeds/000_aa2d19c35d4c7748.txt (programs, amounts, targets) and the
"Facts from public sources beyond the seeds" of DOMAIN.md (BOOST split, DC allowance date).
"""

from datetime import date

from django.utils.translation import gettext_lazy as _

SEED = "seeds/000_aa2d19c35d4c7748.txt"

# code, name_ja, name_en, agency, audience, term_years, exclusive
PROGRAMS = [
    (
        "SPRING",
        "次世代研究者挑戦的研究プログラム",
        "Support for Pioneering Research Initiated by the Next Generation (SPRING)",
        "JST",
        "doctoral",
        3,
        True,
    ),
    (
        "BOOST",
        "次世代AI人材育成プログラム（博士後期課程学生支援）",
        "BOOST: Next-generation AI talent (doctoral students)",
        "JST",
        "doctoral",
        3,
        True,
    ),
    (
        # DOMAIN.md (The published breakdown by program): ran FY2021–FY2023, then folded into SPRING.
        "FELLOWSHIP",
        "科学技術イノベーション創出に向けた大学フェローシップ創設事業",
        "University Fellowship Program for Science and Technology Innovation",
        "JST",
        "doctoral",
        3,
        True,
    ),
    ("JSPS_DC1", "特別研究員 DC1", "JSPS Research Fellowship DC1", "JSPS", "doctoral", 3, True),
    ("JSPS_DC2", "特別研究員 DC2", "JSPS Research Fellowship DC2", "JSPS", "doctoral", 2, True),
    ("JSPS_PD", "特別研究員 PD", "JSPS Research Fellowship PD", "JSPS", "postdoctoral", 3, False),
    ("JSPS_RPD", "特別研究員 RPD", "JSPS Research Fellowship RPD", "JSPS", "postdoctoral", 3, False),
    ("JSPS_CPD", "特別研究員 CPD", "JSPS Research Fellowship CPD", "JSPS", "postdoctoral", 5, False),
    (
        "EMERGENT_RA",
        "創発的研究支援事業 RA支援",
        "FOREST (Emergent Research) RA support",
        "JST",
        "doctoral",
        None,
        False,
    ),
]

# code, effective_from, living, research, other, special allowance, note
STIPEND_RULES = [
    (
        "SPRING",
        date(2021, 4, 1),
        1_800_000,
        1_100_000,
        0,
        0,
        "原則290万円/年（生活費相当額180万円以上＋研究費・キャリア開発費）。" + SEED,
    ),
    (
        "FELLOWSHIP",
        date(2021, 4, 1),
        1_800_000,
        0,
        0,
        0,
        "生活費相当額 年180万円以上（事業が求める下限。大学が上乗せする場合は実額を入力）。"
        "令和3年度〜令和5年度（FY2021〜FY2023）の事業で、令和6年度からSPRINGに統合（FY2024以降の新規採用なし）。"
        + SEED,
    ),
    (
        "BOOST",
        date(2024, 4, 1),
        3_600_000,
        300_000,
        0,
        0,
        "390万円/年程度。生活費30万円/月＋研究費30万円/年（慶應義塾大学の例、DOMAIN.md）",
    ),
    (
        "JSPS_DC1",
        date(2019, 4, 1),
        2_400_000,
        0,
        0,
        0,
        "研究奨励金20万円/月。科研費（最大150万円）は生活費に含まない。" + SEED,
    ),
    ("JSPS_DC1", date(2024, 4, 1), 2_400_000, 0, 0, 360_000, "最終年度の優秀者に特別手当36万円/年（令和6年度から）"),
    ("JSPS_DC2", date(2019, 4, 1), 2_400_000, 0, 0, 0, "研究奨励金20万円/月。" + SEED),
    ("JSPS_DC2", date(2024, 4, 1), 2_400_000, 0, 0, 360_000, "最終年度の優秀者に特別手当36万円/年（令和6年度から）"),
    ("JSPS_PD", date(2019, 4, 1), 4_344_000, 0, 0, 0, "研究奨励金36.2万円/月。" + SEED),
    ("JSPS_RPD", date(2019, 4, 1), 4_344_000, 0, 0, 0, "研究奨励金36.2万円/月。" + SEED),
    ("JSPS_CPD", date(2019, 4, 1), 5_352_000, 0, 0, 0, "研究奨励金44.6万円/月。" + SEED),
    ("EMERGENT_RA", date(2021, 4, 1), 2_400_000, 0, 0, 0, "最大240万円/年（RAとしての労働対価）。" + SEED),
]

FLOORS = [(date(2021, 4, 1), 1_800_000, "第6期科学技術・イノベーション基本計画（2021-03-26閣議決定）。" + SEED)]

# kind, fiscal_year, headcount, is_planned
TARGETS = [
    ("target", 2025, 22_500, False),
    ("published", 2021, 15_300, False),
    ("published", 2022, 16_300, False),
    ("published", 2023, 18_400, False),
    ("published", 2024, 20_400, True),
]

# The published breakdown by program (DOMAIN.md; 000_aa2d19c35d4c7748.txt, chart 博士支援人数の推移),
# as the product compares it with its own attribution (one program per counted student):
# - "JSPS DC等" is JSPS_DC1 + JSPS_DC2. PD, RPD and CPD never count toward the target, so they
#   cannot be in a column that sums to the counted total.
# - "SPRING" is SPRING alone. BOOST is a separate program (JST 創発的研究推進基金, FY2023
#   supplementary budget) whose doctoral call closed on 31 July 2024 with projects decided from
#   November 2024; the chart's columns sum to the totals without it, and its R6 SPRING figure
#   (~10,800) is SPRING's own scale. BOOST is shown apart, outside the published columns.
#   From FY2024 the fellowship is folded into SPRING (the published R6 column says so).
# - "フェロー事業" is FELLOWSHIP; "創発RA" is EMERGENT_RA.
PUBLISHED_GROUPS = [
    ("dc", _("JSPS DC等"), ("JSPS_DC1", "JSPS_DC2")),
    ("spring", "SPRING", ("SPRING",)),
    ("fellowship", _("フェロー事業"), ("FELLOWSHIP",)),
    ("ra", _("創発RA"), ("EMERGENT_RA",)),
]
# fiscal year: {group: headcount or None (no column that year)}; the totals are TARGETS' published.
PUBLISHED_BREAKDOWN = {
    2021: {"dc": 7_500, "spring": 6_000, "fellowship": 1_000, "ra": 800},
    2022: {"dc": 7_500, "spring": 6_000, "fellowship": 2_000, "ra": 800},
    2023: {"dc": 8_600, "spring": 6_000, "fellowship": 3_000, "ra": 800},
    2024: {"dc": 8_800, "spring": 10_800, "fellowship": None, "ra": 800},
}
