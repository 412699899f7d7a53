"""The render's YAML writer gives back exactly the data, whatever the strings hold."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog_service.domain.block_yaml import dump, scalar

KEYS = st.text(min_size=1, max_size=12)
SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=30)
DATA = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, DATA, max_size=6))
def test_any_data_reads_back_the_same(value: dict[str, Any]) -> None:
    text = dump(value)
    assert yaml.safe_load(text) == value
    assert dump(value) == text


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "No",
        "ON",
        "null",
        "Null",
        "~",
        "y",
        "n",
        "1.10",
        "007",
        "1e3",
        ".inf",
        "0x1F",
        "2026-12-02",
        "a: b",
        "- x",
        "#x",
        "@daily",
        "*/5 * * * *",
        "",
        " lead",
        "trail ",
        "line\nbreak",
        "tab\there",
        "\u2028",
        "\u0085",
        "\ufeff",
        "\x00\x7f",
        "😀",
        "ünï",
        "'",
        '"',
    ],
)
def test_strings_a_reader_would_take_for_something_else_are_quoted(text: str) -> None:
    assert yaml.safe_load(dump({"v": text})) == {"v": text}
    assert scalar(text).startswith('"')


def test_plain_where_it_is_safe() -> None:
    assert dump({"a": {"b": [1, "x.y/z-w", {"c": True, "d": []}], "e": {}}}) == (
        b"a:\n  b:\n    - 1\n    - x.y/z-w\n    - c: true\n      d: []\n  e: {}\n"
    )
    assert dump({}) == b"{}\n"
