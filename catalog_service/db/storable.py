"""What an audit entry may hold: text both databases store and any page can serve, bounded.

A caller's body can hold anything JSON can spell: a lone surrogate (``"\\ud800"``) that no UTF-8
response can carry, NUL that PostgreSQL's text refuses, megabytes of strings. Each is made
storable on the way in, so one entry never breaks a page of the log:

- a code point UTF-8 cannot encode (a lone surrogate) and NUL become U+FFFD;
- a string is cut at a length, marked ``… (N more characters)``;
- the inputs, as JSON, are at most ``MAX_INPUTS_BYTES``: longer strings and lists are cut
  further, and what is still too long is kept as an excerpt of its JSON text.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

MAX_INPUTS_BYTES = 8 * 1024  # of the inputs, as UTF-8 JSON
MAX_KEY_CHARS = 128
MAX_DEPTH = 8
# (longest string, most items of a list or object): tried in turn until the inputs fit.
_INPUT_BOUNDS = ((2048, 100), (128, 20))
_EXCERPT_CHARS = MAX_INPUTS_BYTES // 4 - 64  # at most 4 bytes a character, and the wrapper
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def text(value: str, limit: int) -> str:
    """``value`` without unstorable code points, at most ``limit`` characters and a marker."""
    value = _UNSTORABLE.sub(REPLACEMENT, value)
    if len(value) <= limit:
        return value
    kept = limit
    for _ in range(3):  # the marker's own length moves what it counts, by a digit at most
        marker = f"… ({len(value) - kept:,} more characters)"
        kept = max(limit - len(marker), 0)
    return value[:kept] + f"… ({len(value) - kept:,} more characters)"


def optional_text(value: str | None, limit: int) -> str | None:
    return None if value is None else text(value, limit)


def inputs(value: Mapping[str, Any]) -> dict[str, Any]:
    """``value`` made storable and at most ``MAX_INPUTS_BYTES`` as JSON."""
    for longest, items in _INPUT_BOUNDS:
        bounded = _object(value, longest, items, 0)
        if _json_bytes(bounded) <= MAX_INPUTS_BYTES:
            return bounded
    whole = json.dumps(_object(value, *_INPUT_BOUNDS[0], 0), ensure_ascii=False)
    return {"truncated": text(whole, _EXCERPT_CHARS), "bytes": _json_bytes(value)}


def _json_bytes(value: Any) -> int:
    try:
        return len(json.dumps(value, ensure_ascii=False, default=str).encode("utf-8", "replace"))
    except (ValueError, RecursionError):
        return MAX_INPUTS_BYTES + 1


def _object(value: Mapping[Any, Any], longest: int, items: int, depth: int) -> dict[str, Any]:
    kept = {
        text(str(key), MAX_KEY_CHARS): _value(item, longest, items, depth + 1)
        for key, item in list(value.items())[:items]
    }
    if len(value) > items:
        kept["…"] = f"{len(value) - items:,} more keys"
    return kept


def _value(value: Any, longest: int, items: int, depth: int) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)  # NaN is not JSON
    if isinstance(value, str):
        return text(value, longest)
    if depth >= MAX_DEPTH and isinstance(value, Mapping | list | tuple):
        return f"(nested deeper than {MAX_DEPTH} levels)"
    if isinstance(value, Mapping):
        return _object(value, longest, items, depth)
    if isinstance(value, list | tuple):
        kept = [_value(item, longest, items, depth + 1) for item in value[:items]]
        if len(value) > items:
            kept.append(f"… ({len(value) - items:,} more items)")
        return kept
    return text(str(value), longest)
