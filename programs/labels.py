"""Labels that follow the language of the page."""

from django.utils.translation import get_language

from programs import rules


def fiscal_year_label(fiscal_year: int) -> str:
    """令和7年度 on Japanese pages, FY2025 (R7) on English ones."""
    if get_language() == "en":
        return rules.fiscal_year_label(fiscal_year)
    return rules.fiscal_year_label_ja(fiscal_year)


def localized_name(name_ja: str, name_en: str) -> str:
    """A name in the page's language: the English name on English pages where one exists."""
    return name_en if name_en and get_language() == "en" else name_ja


def yen_label(amount) -> str:
    """Integer yen as ¥1,800,000; a negative as -¥150,000 (plain ASCII hyphen); None or "" as —."""
    if amount is None or amount == "":
        return "—"
    value = int(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}¥{abs(value):,}"
