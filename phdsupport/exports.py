from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Stop spreadsheet formula injection: text starting like a formula gets a leading quote.

    Numbers stay numbers (a negative change such as -3 is data, not a formula).
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
