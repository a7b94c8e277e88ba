"""Labels that follow the language of the page."""

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import get_language

from phdsupport.validation import printable
from programs import rules


def fiscal_year_label(fiscal_year: int) -> str:
    """令和7年度 on Japanese pages, FY2025 (R7) on English ones."""
    if get_language() == "en":
        return rules.fiscal_year_label(fiscal_year)
    return rules.fiscal_year_label_ja(fiscal_year)


def _joined(separator: Any, items: Any) -> str:
    return str(separator).join(str(item) for item in items)


# Items (lazy text such as column names) joined when the text is read, in the language active then.
lazy_join = lazy(_joined, str)

# The label read when it is shown, not when it is made: for messages kept and read later, such as
# an upload's row errors (each reader sees them in their own language).
lazy_fiscal_year_label = lazy(fiscal_year_label, str)


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


def in_each_language(texts: list[Any]) -> list[dict[str, str]]:
    """Each text (lazy, or plain text that reads the same in any language) as it reads in each of
    the site's languages, to be stored and shown later in the reader's (`in_page_language`).
    Characters that cannot be stored as JSON (a NUL quoted from a file) become U+FFFD."""
    read: dict[str, list[str]] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            read[code] = [printable(str(text)) for text in texts]
    return [{code: read[code][i] for code in read} for i in range(len(texts))]


def in_page_language(stored: Any) -> str:
    """Text stored by `in_each_language`, in the page's language; text stored before it (one
    language, as it was written) as it is."""
    if isinstance(stored, dict):
        return stored.get(get_language()) or stored.get(settings.LANGUAGE_CODE) or next(iter(stored.values()), "")
    return stored
