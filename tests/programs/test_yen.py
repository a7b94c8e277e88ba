"""The yen filter: one way of printing money on every page."""

import pytest
from django.template import Context, Template
from django.utils import translation

from programs.templatetags.labels import yen


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (1_800_000, "¥1,800,000"),
        (0, "¥0"),
        (999, "¥999"),
        (-150_000, "-¥150,000"),
        (-1, "-¥1"),
        (None, "—"),
        ("2000", "¥2,000"),
    ],
)
def test_yen_prints_integer_yen_with_separators(amount, shown):
    assert yen(amount) == shown


def test_a_negative_amount_uses_an_ascii_hyphen_so_it_stays_a_number():
    shown = yen(-150_000)
    assert shown.startswith("-")
    assert int(shown.replace("¥", "").replace(",", "")) == -150_000


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_filter_in_a_template_is_the_same_in_both_languages(language):
    with translation.override(language):
        rendered = Template("{% load labels %}{{ a|yen }} {{ b|yen }} {{ c|yen }}").render(
            Context({"a": 1_234_567, "b": -200_000, "c": None})
        )
    assert rendered == "¥1,234,567 -¥200,000 —"
