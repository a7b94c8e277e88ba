"""The dashboard as tables: one source for the page, its charts, the CSV downloads and publications."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.utils.translation import gettext as _

from dashboards import selectors
from dashboards.selectors import Scope
from programs.labels import fiscal_year_label
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


def dashboard_tables(scope: Scope, *, current_fy: int) -> dict[str, Table]:
    """Every figure of a national or university page, keyed by table name."""
    fy = scope.fiscal_year
    total = selectors.headcount(scope)
    target = selectors.target_for(fy)
    goal = target.headcount if target else 0
    programs = selectors.program_infos()
    tables: dict[str, Table] = {}

    tables["summary"] = Table(
        "summary",
        _("概要"),
        [_("項目"), _("値")],
        [
            [_("年度"), fiscal_year_label(fy)],
            [_("基準額（年額）"), scope.floor if scope.floor is not None else _("現行基準")],
            [_("支援を受ける学生数"), total],
            *(
                [[_("目標（{fy}）").format(fy=fiscal_year_label(target.fiscal_year)), goal], [_("達成率"), _percent(total, goal)]]
                if scope.national and target
                else []
            ),
        ],
    )

    points = selectors.trend(scope)
    tables["trend"] = Table(
        "trend",
        _("推移"),
        [_("年度"), _("本システムの集計"), _("公表値"), _("目標")],
        [
            [
                fiscal_year_label(p.fiscal_year),
                p.tracked,
                (f"{p.published}" + (_("（計画）") if p.published_is_planned else "")) if p.published else "",
                p.target or "",
            ]
            for p in points
        ],
    )

    attributed = selectors.by_program(scope)
    gross = selectors.gross_awards(fy, scope.university_id)
    tables["programs"] = Table(
        "programs",
        _("事業別"),
        [_("事業"), _("支援を受ける学生数（一人一事業）"), _("支援件数（延べ）"), _("区分")],
        [
            [
                p.code,
                attributed.get(p.code, 0) if not p.is_postdoctoral else "",
                gross.get(p.code, 0),
                _("博士号取得者（目標外）") if p.is_postdoctoral else _("博士後期課程"),
            ]
            for p in programs
        ],
    )

    founders = selectors.breakdown(scope, "founder")
    tables["founders"] = Table(
        "founders",
        _("設置者別"),
        [_("設置者"), _("人数")],
        [[str(label), founders.get(value, 0)] for value, label in Founder.choices],
    )
    groups = selectors.breakdown(scope, "national_group")
    tables["groups"] = Table(
        "groups",
        _("国立大学グループ別"),
        [_("グループ"), _("人数")],
        [[str(label), groups.get(value, 0)] for value, label in NationalGroup.choices],
    )
    fields = selectors.breakdown(scope, "field")
    tables["fields"] = Table(
        "fields",
        _("学系別"),
        [_("学系"), _("人数")],
        [[str(label), fields.get(value, 0)] for value, label in Field.choices],
    )
    international = selectors.breakdown(scope, "is_international")
    working = selectors.breakdown(scope, "is_working_adult")
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
            *[[f"{a} + {b}", n] for a, b, n in overlaps.pairs],
        ],
    )

    outlook = selectors.outlook(scope, current_fy=current_fy)
    tables["outlook"] = Table(
        "outlook",
        _("見通し（採用済みの支援のみ）"),
        [_("年度"), _("採用済み支援による人数"), _("目標"), _("不足"), _("必要な新規採用（毎年）")],
        [
            [fiscal_year_label(r.fiscal_year), r.from_existing_awards, r.target, r.gap, r.new_awards_per_year]
            for r in outlook
        ],
    )

    if scope.national:
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
                    r.name_ja,
                    str(Founder(r.founder).label),
                    str(NationalGroup(r.national_group).label) if r.national_group else "",
                    r.counted,
                    r.previous,
                    r.change,
                    r.awards,
                ]
                for r in selectors.university_table(scope)
            ],
        )
    return tables
