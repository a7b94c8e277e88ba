"""The enrolment pages as tables: one source for the page, the CSV and the XLSX of each table."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _

from enrolment import rules, selectors
from phdsupport.exports import table_csv, table_xlsx
from programs.labels import fiscal_year_label, localized_name
from students.models import Field, Founder, NationalGroup


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]]


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(table: Table, filename: str, fmt: str) -> HttpResponse:
    if fmt == "xlsx":
        content, content_type = table_xlsx(table.headers, table.rows, table.key[:31]), XLSX
    elif fmt == "csv":
        content, content_type = table_csv(table.headers, table.rows), "text/csv; charset=utf-8"
    else:
        raise Http404
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}-{table.key}.{fmt}"'
    return response


def download_requested(request: Any, all_tables: dict[str, Table], filename: str) -> HttpResponse | None:
    """The table named by ?table= as ?format=csv or xlsx; None when no format is asked for."""
    fmt = request.GET.get("format")
    if not fmt:
        return None
    table = all_tables.get(request.GET.get("table", ""))
    if table is None:
        raise Http404
    return download(table, filename, fmt)


def percent(value: Fraction | None, digits: int = 1) -> str:
    return "—" if value is None else f"{float(value) * 100:.{digits}f}%"


def points(value: Fraction | None, against: Fraction) -> float | str:
    """Percentage points above (positive) or below (negative) a reference share, as a number so
    that a spreadsheet reads it as one (text starting with "-" would be neutralised as a formula)."""
    return "—" if value is None else round(float(value - against) * 100, 1)


def score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def rate(value: int | None) -> str:
    return "—" if value is None else f"{value}%"


def _coverage_headers(first: str) -> list[str]:
    return [
        first,
        _("支援を受ける学生数"),
        _("在籍者数（5月1日）"),
        _("カバー率"),
        _("目標30%との差（ポイント）"),
        _("平成30年度基準10.1%との差（ポイント）"),
    ]


def _coverage_cells(row: selectors.CoverageRow) -> list[Any]:
    value = row.coverage
    return [
        row.counted,
        row.enrolled,
        percent(value),
        points(value, rules.COVERAGE_TARGET),
        points(value, rules.COVERAGE_BASELINE_FY2018),
    ]


def _label(choices: type, key: Any) -> str:
    if key is None:
        return _("（なし）")
    try:
        return str(choices(key).label)
    except ValueError:
        return str(key)


def coverage_tables(*, fiscal_year: int) -> dict[str, Table]:
    """Coverage nationally and by university, founder, group and field (DOMAIN.md: Coverage)."""
    tables: dict[str, Table] = {}
    national = selectors.coverage_national(fiscal_year=fiscal_year)
    tables["coverage"] = Table(
        "coverage",
        _("全国のカバー率"),
        _coverage_headers(_("年度")),
        [[fiscal_year_label(fiscal_year), *_coverage_cells(national)]],
    )
    trend = selectors.coverage_trend(last_year=fiscal_year)
    tables["coverage_trend"] = Table(
        "coverage_trend",
        _("全国のカバー率の推移"),
        [*_coverage_headers(_("年度")), _("前年度との差（ポイント）")],
        [
            [
                fiscal_year_label(row.key),
                *_coverage_cells(row),
                points(row.coverage, previous.coverage) if previous and previous.coverage is not None else "—",
            ]
            for previous, row in zip([None, *trend], trend, strict=False)
        ],
    )
    names = selectors.university_names()
    tables["coverage_universities"] = Table(
        "coverage_universities",
        _("大学別のカバー率"),
        ["ID", *_coverage_headers(_("大学"))],
        [
            [row.key, names.get(row.key, row.key), *_coverage_cells(row)]
            for row in selectors.coverage_by_university(fiscal_year=fiscal_year)
        ],
    )
    national_masters, masters_by_university = selectors.masters_entrants_supported(fiscal_year=fiscal_year)
    masters_headers = [
        _("支援を受ける修士課程からの進学者"),
        _("修士課程からの進学者（報告）"),
        _("割合"),
        _("目標70%との差（ポイント）"),
        _("入学経路が未登録の支援を受ける入学者"),
    ]

    def masters_cells(entrants: selectors.MastersEntrants) -> list[Any]:
        row = entrants.share
        return [
            row.counted,
            row.enrolled,
            percent(row.coverage),
            points(row.coverage, rules.MASTERS_ENTRANTS_TARGET),
            entrants.route_unknown,
        ]

    tables["masters"] = Table(
        "masters",
        _("修士課程からの進学者のうち支援を受ける者の割合"),
        [_("年度"), *masters_headers],
        [[fiscal_year_label(fiscal_year), *masters_cells(national_masters)]],
    )
    tables["masters_universities"] = Table(
        "masters_universities",
        _("大学別: 修士課程からの進学者のうち支援を受ける者の割合"),
        ["ID", _("大学"), *masters_headers],
        [[e.share.key, names.get(e.share.key, e.share.key), *masters_cells(e)] for e in masters_by_university],
    )
    for key, title, dimension, choices in (
        ("coverage_founders", _("設置者別のカバー率"), "founder", Founder),
        ("coverage_groups", _("国立大学グループ別のカバー率"), "national_group", NationalGroup),
        ("coverage_fields", _("学系別のカバー率"), "field", Field),
    ):
        first = {"founder": _("設置者"), "national_group": _("グループ"), "field": _("学系")}[dimension]
        tables[key] = Table(
            key,
            title,
            _coverage_headers(first),
            [
                [_label(choices, row.key), *_coverage_cells(row)]
                for row in selectors.coverage_by(fiscal_year=fiscal_year, dimension=dimension)
            ],
        )
    return tables


def _window_label(first_year: int) -> str:
    return f"{fiscal_year_label(first_year)}–{fiscal_year_label(first_year + rules.WINDOW_YEARS - 1)}"


def indicator_table(results: list[rules.UniversityIndicator], names: dict[int, Any], first_year: int) -> Table:
    return Table(
        "indicator",
        _("博士号授与の状況（{window}）").format(window=_window_label(first_year)),
        [
            "ID",
            _("大学"),
            _("グループ"),
            _("学位授与率の偏差値（定員加重）"),
            _("修了率の偏差値（入学者加重）"),
            _("指標"),
            _("グループ内順位"),
            _("配分率"),
        ],
        [
            [
                r.university,
                localized_name(names[r.university].name_ja, names[r.university].name_en)
                if r.university in names
                else r.university,
                _label(NationalGroup, r.group),
                score(r.degree_score),
                score(r.completion_score),
                score(r.indicator),
                f"{r.rank} / {r.group_size}" if r.rank else "—",
                rate(r.rate),
            ]
            for r in results
        ],
    )


def bands_table() -> Table:
    """The seed's allocation rates by position in the group, beside the designated universities'."""
    return Table(
        "bands",
        _("順位の位置と配分率"),
        [_("グループ内の位置（上位から）"), _("配分率"), _("配分率（指定国立大学）")],
        [
            [
                _("上位{top}%以内").format(top=top) if top is not None else _("それ以外（90%超）"),
                rate(regular),
                rate(designated),
            ]
            for top, regular, designated in rules.band_table()
        ],
    )


def indicator_fields_table(result: rules.UniversityIndicator) -> Table:
    """How each number of one university was reached, field by field."""
    rows = []
    for f in result.fields:
        d, c = f.degree_ratio, f.completion_ratio
        rows.append(
            [
                _label(Field, f.field),
                "、".join(fiscal_year_label(y) for y in f.cohort_years),
                f.degrees,
                f.capacity,
                percent(d.raw) if d else "—",
                percent(d.value) if d else "—",
                f"{d.field_mean * 100:.1f}% / {d.field_sd * 100:.1f}" if d else "—",
                d.peers if d else "—",
                score(d.score if d else None),
                f.completions,
                f.entrants,
                percent(c.value) if c else "—",
                f"{c.field_mean * 100:.1f}% / {c.field_sd * 100:.1f}" if c else "—",
                score(c.score if c else None),
                "、".join(fiscal_year_label(y) for y in f.missing_years) or "",
            ]
        )
    return Table(
        "indicator_fields",
        _("学系別の内訳"),
        [
            _("学系"),
            _("入学年度（修了可能な学年）"),
            _("学位授与数（3年計）"),
            _("入学定員（3年計）"),
            _("学位授与率"),
            _("学位授与率（上限100%）"),
            _("学系の平均 / 標準偏差（ポイント）"),
            _("学系の大学数"),
            _("偏差値①"),
            _("標準修業年限内修了者数（3年計）"),
            _("入学者数（3年計）"),
            _("修了率"),
            _("学系の平均 / 標準偏差（ポイント）"),
            _("偏差値②"),
            _("報告のない年度"),
        ],
        rows,
    )


def employment_table(results: list[rules.EmploymentIndicator], names: dict[int, Any], first_year: int) -> Table:
    """The employment indicator (卒業・修了者の就職・進学等の状況, doctoral course) of each university."""
    return Table(
        "employment",
        _("博士課程修了者の就職・進学等の状況（{window}）").format(window=_window_label(first_year)),
        [
            "ID",
            _("大学"),
            _("グループ"),
            _("修了者数（3年計）"),
            _("就職・進学者の割合"),
            _("指標（学系別偏差値の修了者数加重平均）"),
            _("グループ内順位"),
        ],
        [
            [
                r.university,
                localized_name(names[r.university].name_ja, names[r.university].name_en)
                if r.university in names
                else r.university,
                _label(NationalGroup, names[r.university].group if r.university in names else None),
                r.completers,
                percent(r.ratio),
                score(r.indicator),
                f"{r.rank} / {r.group_size}" if r.rank else "—",
            ]
            for r in results
        ],
    )


def employment_fields_table(result: rules.EmploymentIndicator) -> Table:
    """How one university's employment indicator was reached, field by field."""
    return Table(
        "employment_fields",
        _("就職・進学等の状況: 学系別の内訳"),
        [
            _("学系"),
            _("修了者数（3年計）"),
            _("就職者数"),
            _("進学者数"),
            _("就職・進学者の割合"),
            _("学系の平均 / 標準偏差（ポイント）"),
            _("学系の大学数"),
            _("偏差値"),
        ],
        [
            [
                _label(Field, f.field),
                f.completers,
                f.employed,
                f.further_study,
                percent(f.ratio),
                f"{f.field_mean * 100:.1f}% / {f.field_sd * 100:.1f}",
                f.peers,
                score(f.score),
            ]
            for f in result.fields
        ],
    )


def university_coverage_table(*, fiscal_year: int, university_id: int) -> Table:
    rows = selectors.coverage_of_university_by_field(fiscal_year=fiscal_year, university_id=university_id)
    return Table(
        "coverage_fields",
        _("学系別のカバー率"),
        _coverage_headers(_("学系")),
        [[_label(Field, row.key), *_coverage_cells(row)] for row in rows],
    )


def snapshot_table(snapshot: Any) -> Table:
    """A published indicator exactly as it was stored (nothing recomputed)."""
    return Table(
        "indicator",
        _("博士号授与の状況（{window}）").format(window=_window_label(snapshot.first_year)),
        [
            "ID",
            _("大学"),
            _("グループ"),
            _("学位授与率の偏差値（定員加重）"),
            _("修了率の偏差値（入学者加重）"),
            _("指標"),
            _("グループ内順位"),
            _("配分率"),
        ],
        [
            [
                r["university"],
                localized_name(r["name_ja"], r.get("name_en", "")),
                _label(NationalGroup, r["group"]),
                score(r["degree_score"]),
                score(r["completion_score"]),
                score(r["indicator"]),
                f"{r['rank']} / {r['group_size']}" if r["rank"] else "—",
                rate(r["rate"]),
            ]
            for r in snapshot.results
        ],
    )


def own_figures_table(reported: list[Any], own: dict[str, selectors.OwnFigures], fiscal_year: int) -> Table:
    """Reported figures beside the product's own records; a record count above a reported figure
    cannot be right and is flagged."""
    rows = []
    by_field = {r.field: r for r in reported if r.fiscal_year == fiscal_year}
    for code in sorted(set(by_field) | set(own)):
        r, o = by_field.get(code), own.get(code)
        pairs = [
            (r.enrolled if r else None, o.enrolled if o else 0),
            (r.entrants if r else None, o.entrants if o else 0),
            (r.entrants_from_masters if r else None, o.entrants_from_masters if o else 0),
            (r.completions_within_term if r else None, o.completions_within_term if o else 0),
        ]
        flags = [
            name
            for name, (rep, mine) in zip(
                (_("在籍者数"), _("入学者数"), _("修士課程からの進学者"), _("修了者数")), pairs, strict=True
            )
            if rep is None or mine > rep
        ]
        rows.append(
            [
                _label(Field, code),
                *[cell for rep, mine in pairs for cell in ("—" if rep is None else rep, mine)],
                _("要確認: {items}").format(items="、".join(flags)) if flags else "",
            ]
        )
    return Table(
        "own_figures",
        _("報告値と本システムの登録の比較（{fy}）").format(fy=fiscal_year_label(fiscal_year)),
        [
            _("学系"),
            _("在籍者数（報告）"),
            _("在籍者数（登録）"),
            _("入学者数（報告）"),
            _("入学者数（登録）"),
            _("うち修士課程からの進学者（報告）"),
            _("うち修士課程からの進学者（登録）"),
            _("標準修業年限内修了者数（報告）"),
            _("標準修業年限内修了者数（登録）"),
            _("確認"),
        ],
        rows,
    )
