"""Block-style YAML for plain data (mappings with string keys, lists, strings, integers,
booleans, None), written directly: PyYAML's representer took most of a large render's time.

Deterministic (keys in insertion order), and safe for any string: a string is written plain only
when it has a shape that every YAML reader (PyYAML, Go's yaml used by Helm and Argo CD) reads
back as that same string; otherwise double-quoted with YAML's own escapes. ``yaml.safe_load`` of
the result gives the data back (tests/domain/test_block_yaml.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

# Plain only: starts with a letter, then letters, digits and . _ / -; none of the words that a
# YAML 1.1 reader takes for a boolean or null.
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9._/-]*")
_NOT_PLAIN = {"y", "n", "yes", "no", "true", "false", "on", "off", "null", "nan", "inf"}
# Printable ASCII but '"' and '\\': double-quoted as is.
_QUOTABLE = re.compile(r"[ !#-\[\]-~]*")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def dump(value: Mapping[str, Any]) -> bytes:
    """``value`` (a mapping) as a YAML document, UTF-8."""
    lines: list[str] = []
    if value:
        _mapping(value, "", lines)
    else:
        lines.append("{}")
    return ("\n".join(lines) + "\n").encode()


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


@lru_cache(maxsize=4096)  # keys and many values repeat across a render's files
def _string(value: str) -> str:
    if _PLAIN.fullmatch(value) and value.lower() not in _NOT_PLAIN:
        return value
    if _QUOTABLE.fullmatch(value):
        return f'"{value}"'
    return '"' + "".join(_escaped(char) for char in value) + '"'


def _escaped(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    # YAML's printable characters (1.2, 5.1), less the line breaks U+0085, U+2028, U+2029
    # (a reader folds them) and the byte order mark.
    if 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD:
        return char if code not in (0x2028, 0x2029, 0xFEFF) else f"\\u{code:04x}"
    if code >= 0x10000:
        return char
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _mapping(value: Mapping[str, Any], indent: str, lines: list[str]) -> None:
    for key, item in value.items():
        _entry(f"{indent}{scalar(key)}:", item, indent + "  ", lines)


def _sequence(value: Sequence[Any], indent: str, lines: list[str]) -> None:
    for item in value:
        if isinstance(item, Mapping) and item:
            # "- key: value" then the other keys under the first.
            start = len(lines)
            _mapping(item, indent + "  ", lines)
            lines[start] = f"{indent}- {lines[start][len(indent) + 2 :]}"
        else:
            _entry(f"{indent}-", item, indent + "  ", lines)


def _entry(head: str, item: Any, indent: str, lines: list[str]) -> None:
    if isinstance(item, Mapping):
        if item:
            lines.append(head)
            _mapping(item, indent, lines)
        else:
            lines.append(f"{head} {{}}")
    elif isinstance(item, (list, tuple)):
        if item:
            lines.append(head)
            _sequence(item, indent, lines)
        else:
            lines.append(f"{head} []")
    else:
        lines.append(f"{head} {scalar(item)}")
