"""A faithful double of the GitHub REST endpoints the service uses, on a loopback port.

It serves under ``/api/v3`` as GitHub Enterprise does, so a client reaches it through
``github.apiUrl`` exactly as it would reach GitHub. It holds state (pull requests, their files,
reviews and labels; check runs; commit statuses), paginates with ``Link`` headers, sends GitHub's
rate-limit headers, checks credentials (tokens, and App JWTs for installation tokens), answers
scripted failures per route, and records every request it received so tests assert on exactly
what was sent.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import math
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import jwt

from tests.support import github_payloads as payloads
from tests.support.github_double_routes import DOCS, RecordedRequest, Response, RoutesMixin, error
from tests.support.json_requests import read_json_request
from tests.support.servers import ServedInThread

API_PREFIX = "/api/v3"
RATE_LIMIT = 5000


def sign(secret: str | bytes, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` header GitHub sends with ``body``."""
    key = secret.encode() if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


@dataclass
class App:
    app_id: int
    public_key: str  # PEM
    installation_id: int


@dataclass
class IssuedToken:
    token: str
    installation_id: int
    expires_at: datetime


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: str  # as GitHub's docs write it: /repos/{owner}/{repo}/pulls
    regex: re.Pattern[str]
    handler: str


def _route(method: str, pattern: str, handler: str) -> _Route:
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")
    return _Route(method, pattern, regex, handler)


ROUTES = (
    _route("POST", "/app/installations/{installation_id}/access_tokens", "create_token"),
    _route("GET", "/repos/{owner}/{repo}", "get_repo"),
    _route("GET", "/repos/{owner}/{repo}/pulls", "list_pulls"),
    _route("POST", "/repos/{owner}/{repo}/pulls", "create_pull"),
    _route("GET", "/repos/{owner}/{repo}/pulls/{number}", "get_pull"),
    _route("GET", "/repos/{owner}/{repo}/pulls/{number}/files", "list_files"),
    _route("GET", "/repos/{owner}/{repo}/pulls/{number}/reviews", "list_reviews"),
    _route("POST", "/repos/{owner}/{repo}/issues/{number}/labels", "add_labels"),
    _route("POST", "/repos/{owner}/{repo}/check-runs", "create_check_run"),
    _route("GET", "/repos/{owner}/{repo}/check-runs/{check_run_id}", "get_check_run"),
    _route("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", "update_check_run"),
    _route("POST", "/repos/{owner}/{repo}/statuses/{sha}", "create_status"),
)


class GitHubDouble(RoutesMixin, ServedInThread):
    """Start with ``with GitHubDouble() as double:``; point a client at ``double.api_url``."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.requests: list[RecordedRequest] = []
        self.tokens: set[str] = set()
        self.apps: dict[int, App] = {}
        self.issued: list[IssuedToken] = []
        self.token_lifetime = timedelta(hours=1)  # GitHub's installation tokens last an hour
        self.pulls: dict[str, dict[int, payloads.PullState]] = defaultdict(dict)
        self.files: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
        self.reviews: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
        self.check_runs: dict[int, dict[str, Any]] = {}
        self.annotations: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self.statuses: list[dict[str, Any]] = []
        self.failures: dict[tuple[str, str], deque[Response | None]] = defaultdict(deque)
        self.remaining = RATE_LIMIT
        self.reset_at = int(time.time()) + 3600
        self.ids = itertools.count(1001)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self.server.daemon_threads = True
        super().__init__(self.server)

    # lifecycle ------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """What ``github.apiUrl`` is set to: ``http://127.0.0.1:<port>/api/v3``."""
        return f"http://127.0.0.1:{self.server.server_port}{API_PREFIX}"

    # credentials ----------------------------------------------------------------------------

    def add_token(self, token: str) -> None:
        """A personal access token (or any fixed token) the double accepts."""
        self.tokens.add(token)

    def add_app(self, app_id: int, public_key_pem: str, installation_id: int) -> None:
        self.apps[installation_id] = App(app_id, public_key_pem, installation_id)

    # state ----------------------------------------------------------------------------------

    def add_pull(self, repo: str, number: int | None = None, **fields: Any) -> payloads.PullState:
        """A pull request; ``merged_at=...`` makes it a merged (closed) one."""
        with self.lock:
            number = number or max(self.pulls[repo], default=0) + 1
            fields.setdefault("title", f"Change {number}")
            fields.setdefault("author", "octocat")
            fields.setdefault("head_ref", f"change-{number}")
            fields.setdefault("head_sha", hashlib.sha1(f"{repo}#{number}".encode()).hexdigest())
            if fields.get("merged_at") is not None:
                fields.setdefault("state", "closed")
                fields.setdefault("closed_at", fields["merged_at"])
                fields.setdefault("updated_at", fields["merged_at"])
                fields.setdefault(
                    "merge_commit_sha", hashlib.sha1(fields["title"].encode()).hexdigest()
                )
            pull = payloads.PullState(number=number, **fields)
            self.pulls[repo][number] = pull
            return pull

    def add_file(
        self, repo: str, number: int, path: str, status: str = "modified", **fields: Any
    ) -> None:
        data = payloads.localise(payloads.fixture("pull_request_file.json"), self.api_url, repo)
        data.update(filename=path, status=status, **fields)
        with self.lock:
            self.files[(repo, number)].append(data)

    def add_review(
        self, repo: str, number: int, author: str, state: str = "APPROVED", **fields: Any
    ) -> None:
        data = payloads.localise(payloads.fixture("review.json"), self.api_url, repo)
        with self.lock:
            data.update(
                id=next(self.ids),
                user=payloads.localise(payloads.user(author), self.api_url, repo),
                state=state,
                commit_id=self.pulls[repo][number].head_sha,
                **fields,
            )
            data["pull_request_url"] = f"{self.api_url}/repos/{repo}/pulls/{number}"
            self.reviews[(repo, number)].append(data)

    # scripted failures ----------------------------------------------------------------------

    def fail(
        self,
        method: str,
        pattern: str,
        status: int,
        message: str = "Server Error",
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        after: int = 0,
    ) -> None:
        """The next ``times`` requests to the route (``"/repos/{owner}/{repo}/check-runs"``),
        after ``after`` that are served normally, answer ``status`` instead."""
        if not any(r.method == method and r.pattern == pattern for r in ROUTES):
            raise ValueError(f"the double has no route {method} {pattern}")
        with self.lock:
            queue = self.failures[(method, pattern)]
            queue.extend([None] * after)
            for _ in range(times):
                queue.append(
                    Response(status, {"message": message, "documentation_url": DOCS}, headers or {})
                )

    def forbid(self, method: str, pattern: str, *, times: int = 1) -> None:
        """A 403 as GitHub answers a token or App without the permission."""
        self.fail(method, pattern, 403, "Resource not accessible by integration", times=times)

    def rate_limit(
        self,
        method: str,
        pattern: str,
        *,
        retry_after: int | None = None,
        reset_in: int | None = None,
        times: int = 1,
    ) -> None:
        """A 403 rate limit: with ``retry_after`` a secondary limit, else a spent primary one."""
        headers: dict[str, str] = {}
        if retry_after is not None:
            headers["retry-after"] = str(retry_after)
            message = "You have exceeded a secondary rate limit. Please wait a few minutes."
        else:
            headers["x-ratelimit-remaining"] = "0"
            headers["x-ratelimit-reset"] = str(int(time.time()) + (reset_in or 0))
            message = "API rate limit exceeded for installation ID 1."
        self.fail(method, pattern, 403, message, times=times, headers=headers)

    # inspection -----------------------------------------------------------------------------

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """The recorded requests with this method and path (below the API root, no query)."""
        with self.lock:
            return [r for r in self.requests if r.method == method and r.path == path]

    def statuses_for(self, repo: str, sha: str) -> list[dict[str, Any]]:
        with self.lock:
            return [s for s in self.statuses if s["_repo"] == repo and s["_sha"] == sha]

    # dispatch -------------------------------------------------------------------------------

    def handle(self, request: RecordedRequest) -> Response:
        with self.lock:
            self.requests.append(request)
            match = _match(request.method, request.path)
            if match is None:
                return error(404, "Not Found")
            route, params = match
            if not request.headers.get("user-agent"):
                return error(403, "Missing or invalid User Agent string.")
            refused = self.authenticate(request, route)
            if refused is not None:
                return refused
            if request.path.startswith("/repos/"):
                self.remaining = max(0, self.remaining - 1)
            queued = self.failures[(route.method, route.pattern)]
            failure = queued.popleft() if queued else None
            if failure is not None:
                return failure
            handler: Callable[[RecordedRequest, dict[str, str]], Response] = getattr(
                self, route.handler
            )
            return handler(request, params)

    def authenticate(self, request: RecordedRequest, route: _Route) -> Response | None:
        scheme, _, credential = (request.authorization or "").partition(" ")
        if route.handler == "create_token":
            return None  # the handler checks the App's JWT itself
        if scheme.lower() not in ("token", "bearer") or not credential:
            return error(401, "Requires authentication")
        if credential in self.tokens:
            return None
        now = datetime.now(UTC)
        if any(t.token == credential and t.expires_at > now for t in self.issued):
            return None
        return error(401, "Bad credentials")

    def create_token(self, request: RecordedRequest, params: dict[str, str]) -> Response:
        app = self.apps.get(int(params["installation_id"]))
        if app is None:
            return error(404, "Not Found")
        scheme, _, token = (request.authorization or "").partition(" ")
        if scheme != "Bearer":
            return error(401, "A JSON web token could not be decoded")
        try:
            claims = jwt.decode(
                token,
                app.public_key,
                algorithms=["RS256"],
                options={"require": ["iat", "exp", "iss"]},
                leeway=60,
            )
        except jwt.InvalidTokenError:
            return error(401, "A JSON web token could not be decoded")
        if str(claims["iss"]) != str(app.app_id):
            return error(401, "'Issuer' claim ('iss') must be an Integer")
        if claims["exp"] - claims["iat"] > 660:  # at most 10 minutes (and 60 s of drift)
            return error(401, "'Expiration time' claim ('exp') is too far in the future")
        issued = IssuedToken(
            token="ghs_" + hashlib.sha256(f"{token}{len(self.issued)}".encode()).hexdigest()[:36],
            installation_id=app.installation_id,
            expires_at=datetime.now(UTC).replace(microsecond=0) + self.token_lifetime,
        )
        self.issued.append(issued)
        body = payloads.fixture("installation_token.json")
        body.update(token=issued.token, expires_at=payloads.iso(issued.expires_at))
        return Response(201, body)

    def paginate(self, request: RecordedRequest, items: list[Any]) -> Response:
        """``per_page`` (default 30, at most 100) and ``page``, with GitHub's ``Link`` header."""
        try:
            per_page = max(1, min(100, int(request.query.get("per_page", "30"))))
            page = max(1, int(request.query.get("page", "1")))
        except ValueError:
            return error(422, "Validation Failed")
        last = max(1, math.ceil(len(items) / per_page))
        links = []

        def link(number: int, rel: str) -> str:
            query = urlencode({**request.query, "page": str(number)})
            return f'<{self.api_url}{request.path}?{query}>; rel="{rel}"'

        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first"), link(page - 1, "prev")]
        headers = {"link": ", ".join(links)} if links else {}
        return Response(200, items[(page - 1) * per_page : page * per_page], headers)

    def rate_limit_headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(RATE_LIMIT),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(self.reset_at),
            "x-ratelimit-used": str(RATE_LIMIT - self.remaining),
            "x-ratelimit-resource": "core",
        }


def _match(method: str, path: str) -> tuple[_Route, dict[str, str]] | None:
    for route in ROUTES:
        found = route.regex.match(path)
        if found and route.method == method:
            return route, found.groupdict()
    return None


def _handler_class(double: GitHubDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            request = read_json_request(self)
            if request is None:
                self._send(error(400, "Problems parsing JSON"))
                return
            if not request.path.startswith(API_PREFIX + "/"):
                self._send(error(404, "Not Found"))
                return
            recorded = RecordedRequest(
                method=request.method,
                path=request.path.removeprefix(API_PREFIX),
                query=request.query,
                headers=request.headers,
                json=request.body,
            )
            self._send(double.handle(recorded))

        def _send(self, response: Response) -> None:
            payload = b"" if response.body is None else json.dumps(response.body).encode()
            self.send_response(response.status)
            headers = {
                "content-type": "application/json; charset=utf-8",
                "x-github-media-type": "github.v3; format=json",
                **double.rate_limit_headers(),
                **response.headers,
            }
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve  # noqa: N815

    return Handler
