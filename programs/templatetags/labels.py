"""Template filters for labels that follow the page's language."""

from django import template

from programs.labels import fiscal_year_label, in_page_language, yen_label

register = template.Library()


@register.filter
def fy(fiscal_year: int) -> str:
    """{{ 2026|fy }}: 令和8年度 on Japanese pages, FY2026 (R8) on English ones."""
    return fiscal_year_label(int(fiscal_year))


@register.filter
def yen(amount) -> str:
    """{{ -150000|yen }}: -¥150,000 (an ASCII hyphen, so a copied amount stays a number); None: —."""
    return yen_label(amount)


@register.filter
def in_language(stored) -> str:
    """{{ error.message|in_language }}: text stored in each language (an upload's row errors) in the page's."""
    return in_page_language(stored)
