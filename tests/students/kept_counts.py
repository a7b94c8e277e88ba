"""The counts kept beside the facts (NationalYearCount, UniversityYearCount) against the same
counts taken from the fact rows and award counts afresh."""

from collections import Counter

from django.db.models import Count, Sum

from students.models import NationalYearCount, StudentYearAwards, StudentYearFact, UniversityYearCount

NATIONAL = [
    "fiscal_year",
    "person_program",
    "founder",
    "national_group",
    "field",
    "is_international",
    "is_working_adult",
]
UNIVERSITY = ["university_id", "fiscal_year", "program"]


def kept() -> tuple[dict, dict]:
    """The kept counts, each the sum of its rows, those at nought left out."""
    national = {
        tuple(row[c] for c in NATIONAL): row["n"]
        for row in NationalYearCount.objects.values(*NATIONAL).annotate(n=Sum("persons")).order_by()
    }
    universities = {
        tuple(row[c] for c in UNIVERSITY): (row["counted"], row["awards"])
        for row in UniversityYearCount.objects.values(*UNIVERSITY)
        .annotate(counted=Sum("counted"), awards=Sum("awards"))
        .order_by()
    }
    return (
        {key: n for key, n in national.items() if n},
        {key: n for key, n in universities.items() if n != (0, 0)},
    )


def from_facts() -> tuple[dict, dict]:
    national = {
        tuple(row[c] for c in NATIONAL): row["n"]
        for row in StudentYearFact.objects.filter(is_representative=True, person_counts=True)
        .values(*NATIONAL)
        .annotate(n=Count("*"))
        .order_by()
    }
    counted: Counter = Counter()
    for row in StudentYearFact.objects.filter(counts=True).values(*UNIVERSITY).annotate(n=Count("*")).order_by():
        counted[tuple(row[c] for c in UNIVERSITY)] = row["n"]
    awards: Counter = Counter()
    for row in StudentYearAwards.objects.values(*UNIVERSITY).annotate(n=Sum("awards")).order_by():
        awards[tuple(row[c] for c in UNIVERSITY)] = row["n"]
    return national, {key: (counted[key], awards[key]) for key in set(counted) | set(awards)}


def assert_counts_kept() -> None:
    assert kept() == from_facts()
