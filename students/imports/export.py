"""Downloads in the upload format: a university's data (re-uploading it changes nothing) and templates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from phdsupport.exports import table_csv, table_xlsx
from students.imports.parse import AWARD_KEYS, COLUMNS
from students.models import Award, Student, University


def headers(language: str = "ja") -> list[str]:
    return [ja if language == "ja" else en for _key, ja, en in COLUMNS]


def export_rows(university: University) -> Iterable[list[Any]]:
    """The university's data in the upload format: re-uploading it changes nothing."""
    students = Student.objects.filter(university=university).order_by("student_number")
    awards: dict[int, list[Award]] = defaultdict(list)
    for award in (
        Award.objects.filter(student__university=university)
        .select_related("program")
        .order_by("start_date", "program__code")
    ):
        awards[award.student_id].append(award)
    for student in students.iterator(chunk_size=2000):
        base = [
            student.student_number,
            student.erad_number,
            student.family_name,
            student.given_name,
            student.field,
            student.entry_date,
            student.standard_term_years,
            student.status,
            student.completion_date,
            int(student.is_international),
            int(student.is_working_adult),
        ]
        for award in awards.get(student.pk) or [None]:
            if award is None:
                yield [*base, *[""] * len(AWARD_KEYS), student.entry_route]
            else:
                yield [
                    *base,
                    award.program.code,
                    award.start_date,
                    award.end_date,
                    award.annual_living_cost,
                    award.annual_research_cost,
                    int(award.is_reserved),
                    student.entry_route,
                ]


def write_csv(rows: Iterable[list[Any]], language: str = "ja") -> bytes:
    return table_csv(headers(language), rows)


def write_xlsx(rows: Iterable[list[Any]], language: str = "ja") -> bytes:
    return table_xlsx(headers(language), rows, "students" if language == "en" else "学生・支援")


def template_example(language: str = "ja") -> list[list[Any]]:
    return [
        [
            "2025D00001",
            "",
            "山田",
            "花子",
            "engineering",
            date(2025, 4, 1),
            3,
            "enrolled",
            "",
            0,
            0,
            "SPRING",
            date(2025, 4, 1),
            date(2028, 3, 31),
            1_800_000,
            1_100_000,
            0,
            "masters",
        ]
    ]
