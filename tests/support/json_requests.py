"""What the test doubles of GitHub and Argo CD read of a request: one parser for both."""

from __future__ import annotations

import json
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class JSONRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: Any  # the decoded JSON, None without a body


def read_json_request(handler: BaseHTTPRequestHandler) -> JSONRequest | None:
    """The request ``handler`` is serving, its body decoded; None when the body is not JSON."""
    url = urlsplit(handler.path)
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length) if length else b""
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        return None
    return JSONRequest(
        method=handler.command,
        path=url.path,
        query=dict(parse_qsl(url.query)),
        headers={name.lower(): value for name, value in handler.headers.items()},
        body=body,
    )
