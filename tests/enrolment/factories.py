from typing import Any

GOOD = {
    "fiscal_year": 2024,
    "field": "engineering",
    "admission_capacity": 30,
    "entrants": 28,
    "entrants_from_masters": 20,
    "entrants_working_adults": 5,
    "entrants_international": 6,
    "enrolled": 95,
    "degrees_conferred": 25,
    "completions_within_term": 18,
    "standard_term_years": 3,
}


def values(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}
