"""The dashboard as tables: one source for the page, its charts, the CSV downloads and publications."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from dashboards import selectors
from dashboards.selectors import ProgramInfo, Scope
from programs import reference
from programs.labels import fiscal_year_label, localized_name
from students.models import Field, Founder, NationalGroup


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _percent(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f}%" if whole else "—"


def program_name(program: ProgramInfo) -> str:
    """The program's name in the page's language (codes are for files and machines)."""
    return localized_name(program.name_ja, program.name_en)


def dashboard_tables(scope: Scope, *, current_fy: int) -> dict[str, Table]:
    """Every figure of a national or university page, keyed by table name."""
    fy = scope.fiscal_year
    targets = selectors.national_targets()
    target = targets.target_for(fy)
    goal = target.headcount if target else 0
    # Years after the current one hold only the awards granted so far: a separate column (and
    # chart series), never the counted line, which would read as a collapse. One read of the
    # counted students per year and program serves the total, the trend, the outlook (which looks
    # further ahead), the breakdown by program and the published breakdown's years.
    shown_until = max(selectors.last_fiscal_year(), fy)
    published_years = sorted(reference.PUBLISHED_BREAKDOWN) if scope.national else []
    counted = selectors.counted(
        scope, until=max(shown_until, current_fy + selectors.OUTLOOK_YEARS), program_years=[fy, *published_years]
    )
    total = counted.headcount(fy)
    programs = selectors.program_infos()
    names = {p.code: program_name(p) for p in programs}
    tables: dict[str, Table] = {}

    if scope.national:
        comparison = (
            [
                [_("目標（{fy}）").format(fy=fiscal_year_label(target.fiscal_year)), goal],
                [_("達成率"), _percent(total, goal)],
            ]
            if target
            else []
        )
    else:
        # A university is never set against the national target; its share of the national count instead.
        national = selectors.headcount(Scope(fy, scope.floor))
        comparison = [[_("全国の支援を受ける学生数"), national], [_("全国に占める割合"), _percent(total, national)]]
    tables["summary"] = Table(
        "summary",
        _("概要"),
        [_("項目"), _("値")],
        [
            [_("年度"), fiscal_year_label(fy)],
            [_("基準額（年額）"), scope.floor if scope.floor is not None else _("現行基準")],
            [_("支援を受ける学生数"), total],
            *comparison,
        ],
    )

    every_point = selectors.trend(
        scope,
        until=max(shown_until, current_fy + selectors.OUTLOOK_YEARS),
        tracked=counted.per_year,
        targets=targets,
    )
    points = [p for p in every_point if p.fiscal_year <= shown_until]
    trend_rows = [
        [
            fiscal_year_label(p.fiscal_year),
            p.tracked if p.fiscal_year <= current_fy else "",
            p.tracked if p.fiscal_year > current_fy else "",
            # A plain number where it is one (a numeric cell, with separators on the page).
            (f"{p.published:,}" + _("（計画）") if p.published_is_planned else p.published) if p.published else "",
            p.target or "",
        ]
        for p in points
    ]
    trend_headers = [_("年度"), _("本システムの集計"), _("採用済みの支援のみ（今後の年度）"), _("公表値"), _("目標")]
    # National figures and the target are the nation's: a university's trend is its own only.
    width = len(trend_headers) if scope.national else 3
    tables["trend"] = Table("trend", _("推移"), trend_headers[:width], [row[:width] for row in trend_rows])

    attributed = counted.per_program[fy]
    gross = selectors.gross_awards(fy, scope.university_id)
    tables["programs"] = Table(
        "programs",
        _("事業別"),
        [_("コード"), _("事業"), _("支援を受ける学生数（一人一事業）"), _("支援件数（延べ）"), _("区分")],
        [
            [
                p.code,
                names[p.code],
                attributed.get(p.code, 0) if not p.is_postdoctoral else "",
                gross.get(p.code, 0),
                _("博士号取得者（目標外）") if p.is_postdoctoral else _("博士後期課程"),
            ]
            for p in programs
        ],
    )
    if scope.national:
        tables["published_programs"] = _published_breakdown(counted, targets, names)

    by = selectors.breakdowns(scope, ["founder", "national_group", "field", "is_international", "is_working_adult"])
    founders = by["founder"]
    tables["founders"] = Table(
        "founders",
        _("設置者別"),
        [_("設置者"), _("人数")],
        [[str(label), founders.get(value, 0)] for value, label in Founder.choices],
    )
    groups = by["national_group"]
    tables["groups"] = Table(
        "groups",
        _("国立大学グループ別"),
        [_("グループ"), _("人数")],
        [[str(label), groups.get(value, 0)] for value, label in NationalGroup.choices],
    )
    fields = by["field"]
    tables["fields"] = Table(
        "fields",
        _("学系別"),
        [_("学系"), _("人数")],
        [[str(label), fields.get(value, 0)] for value, label in Field.choices],
    )
    international, working = by["is_international"], by["is_working_adult"]
    tables["attributes"] = Table(
        "attributes",
        _("留学生・社会人学生"),
        [_("区分"), _("人数"), _("割合")],
        [
            [_("留学生"), international.get(True, 0), _percent(international.get(True, 0), total)],
            [_("社会人学生"), working.get(True, 0), _percent(working.get(True, 0), total)],
        ],
    )

    overlaps = selectors.overlap_summary(scope)
    tables["overlaps"] = Table(
        "overlaps",
        _("重複受給（同じ月に二つ以上の生活費相当の支援）"),
        [_("組合せ"), _("人数")],
        [
            [_("二つ以上の支援を受ける学生（合計）"), overlaps.students],
            *[[f"{names.get(a, a)} + {names.get(b, b)}", n] for a, b, n in overlaps.pairs],
        ],
    )

    outlook = selectors.outlook(scope, current_fy=current_fy, points=every_point, targets=targets)
    if scope.national:
        tables["outlook"] = Table(
            "outlook",
            _("見通し（採用済みの支援のみ）"),
            [_("年度"), _("採用済み支援による人数"), _("目標"), _("不足"), _("必要な新規採用（毎年）")],
            [
                [fiscal_year_label(r.fiscal_year), r.from_existing_awards, r.target, r.gap, r.new_awards_per_year]
                for r in outlook
            ],
        )
    else:
        tables["outlook"] = Table(
            "outlook",
            _("見通し（採用済みの支援のみ）"),
            [_("年度"), _("採用済み支援による人数")],
            [[fiscal_year_label(r.fiscal_year), r.from_existing_awards] for r in outlook],
        )

    if scope.national:
        university_rows = selectors.university_table(scope)
        # Each label translated once, not once a row (800 universities).
        founder_labels = {value: str(label) for value, label in Founder.choices}
        group_labels = {value: str(label) for value, label in NationalGroup.choices}
        english = get_language() == "en"
        tables["universities"] = Table(
            "universities",
            _("大学別"),
            [
                _("大学ID"),
                _("大学"),
                _("設置者"),
                _("グループ"),
                _("支援を受ける学生数"),
                _("前年度"),
                _("増減"),
                _("支援件数"),
            ],
            [
                [
                    r.university_id,
                    r.name_en if english and r.name_en else r.name_ja,  # programs.labels.localized_name
                    founder_labels[r.founder],
                    group_labels[r.national_group] if r.national_group else "",
                    r.counted,
                    r.previous,
                    r.change,
                    r.awards,
                ]
                for r in university_rows
            ],
        )
        # DOMAIN.md (A person): a person who moved counts at both universities, once nationally.
        tables["university_totals"] = Table(
            "university_totals",
            _("大学別の合計と全国の人数"),
            [_("項目"), _("人数")],
            [
                [_("大学別の人数の合計"), sum(r.counted for r in university_rows)],
                [_("全国の人数（一人一回）"), total],
                [_("複数の大学で数えた人"), selectors.persons_at_several_universities(scope)],
            ],
        )
    return tables


def _published_breakdown(
    counted: selectors.Counted, targets: selectors.NationalTargets, names: dict[str, str]
) -> Table:
    """The published breakdown by program (DOMAIN.md) beside this system's attribution, R3–R6.

    Groups as programs.reference.PUBLISHED_GROUPS; programs outside them (BOOST) in their own row.
    """
    years = sorted(reference.PUBLISHED_BREAKDOWN)
    grouped = {code for _key, _label, codes in reference.PUBLISHED_GROUPS for code in codes}
    counted = {fy: counted.per_program[fy] for fy in years}  # the national counts (by_program_per_year)
    published_totals = targets.published_headcounts()
    headers = [_("区分")]
    for fy in years:
        headers += [
            _("{year} 公表").format(year=fiscal_year_label(fy)),
            _("{year} 本システム").format(year=fiscal_year_label(fy)),
        ]
    rows: list[list[Any]] = []
    for key, label, codes in reference.PUBLISHED_GROUPS:
        row: list[Any] = [str(label)]
        for fy in years:
            published = reference.PUBLISHED_BREAKDOWN[fy].get(key)
            row += ["–" if published is None else published, sum(counted[fy].get(code, 0) for code in codes)]
        rows.append(row)
    others = sorted({code for fy in years for code in counted[fy] if code not in grouped})
    if others:
        row = [_("その他（公表の内訳にない事業：{names}）").format(names="、".join(names.get(c, c) for c in others))]
        for fy in years:
            row += ["–", sum(n for code, n in counted[fy].items() if code not in grouped)]
        rows.append(row)
    total_row: list[Any] = [_("合計")]
    for fy in years:
        total_row += [published_totals.get(fy) or "", sum(counted[fy].values())]
    rows.append(total_row)
    return Table("published_programs", _("事業別の公表値との比較（博士支援人数の推移）"), headers, rows)
