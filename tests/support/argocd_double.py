"""A faithful double of the parts of Argo CD's REST API the service uses, on a loopback port.

The shapes are Argo CD's own (server/application/application.proto, the gateway's JSON; see
docs/argocd.md): ``GET /api/v1/applications/{name}`` (``status.sync.status``,
``status.health.status``), ``GET /api/v1/applications/{name}/resource-tree`` (``nodes`` with
group, version, kind, namespace, name, health and ``info: [{name, value}]``; a crash-looping
pod is ``Degraded`` with "Status Reason" and "Restart Count"), the resource action
``POST .../resource/actions/v2`` (a JSON body, Argo CD 3.1 and later) and the older
``POST .../resource/actions?namespace=..`` (the body is the action's name as a JSON string).
Errors are the gateway's ``{"error", "code", "message"}``. The double checks the Bearer token
(401), can refuse the action as RBAC does (403), answers 404 for an unknown application, plays
an older Argo CD without the v2 endpoint, fails a route on demand (5xx) and answers slowly.
Every request is recorded; a restart sets the Deployment's ``restartedAt`` as Argo CD's does.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from tests.support.json_requests import read_json_request
from tests.support.servers import ServedInThread

TOKEN = "argocd-token-0123456789abcdef"
# gRPC codes the gateway puts in "code": 5 NotFound, 7 PermissionDenied, 16 Unauthenticated.
GRPC = {400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 500: 13, 502: 14, 503: 14, 504: 4}
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


def node(
    kind: str,
    name: str,
    namespace: str,
    *,
    group: str = "",
    version: str = "v1",
    health: str | None = "Healthy",
    message: str | None = None,
    info: dict[str, str] | None = None,
    parents: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """One ``ResourceNode`` of a tree, as Argo CD serialises it."""
    found: dict[str, Any] = {
        "group": group,
        "version": version,
        "kind": kind,
        "namespace": namespace,
        "name": name,
        "uid": f"uid-{namespace}-{kind}-{name}",
        "resourceVersion": "1",
        "createdAt": "2026-12-01T09:00:00Z",
    }
    if health is not None:
        found["health"] = {"status": health} | ({"message": message} if message else {})
    if info:
        found["info"] = [{"name": key, "value": value} for key, value in info.items()]
    if parents:
        found["parentRefs"] = parents
    return found


def deployment(name: str, namespace: str, health: str = "Healthy") -> dict[str, Any]:
    return node("Deployment", name, namespace, group="apps", health=health)


def pod(
    name: str,
    namespace: str,
    *,
    health: str = "Healthy",
    reason: str = "Running",
    message: str | None = None,
    restarts: int = 0,
    owner: str | None = None,
) -> dict[str, Any]:
    """A pod node; ``crash_looping`` below gives the one Argo CD shows for a CrashLoopBackOff."""
    parents = [{"group": "apps", "kind": "ReplicaSet", "namespace": namespace, "name": owner or ""}]
    return node(
        "Pod",
        name,
        namespace,
        health=health,
        message=message,
        info={
            "Status Reason": reason,
            "Node": "worker-1",
            "Containers": "0/1" if health != "Healthy" else "1/1",
            "Restart Count": str(restarts),
        },
        parents=parents if owner else None,
    )


def crash_looping(name: str, namespace: str, restarts: int = 12) -> dict[str, Any]:
    return pod(
        name,
        namespace,
        health="Degraded",
        reason="CrashLoopBackOff",
        message=f"back-off 5m0s restarting failed container=app pod={name}",
        restarts=restarts,
    )


@dataclass
class App:
    name: str
    nodes: list[dict[str, Any]]
    sync: str = "Synced"
    health: str = "Healthy"
    project: str = "default"
    namespace: str = "argocd"  # where the Application lives (Argo CD's own by default)
    restarted: dict[tuple[str, str], str] = field(default_factory=dict)  # (ns, name) -> at


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Reply:
    status: int
    body: Any
    raw: bytes | None = None  # sent as is (text/html) instead of ``body`` as JSON


def gateway_error(status: int, message: str) -> Reply:
    return Reply(status, {"error": message, "code": GRPC.get(status, 2), "message": message})


_APP = r"/api/v1/applications/(?P<name>[^/]+)"
ROUTES: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(f"^{_APP}{suffix}$"), handler)
    for method, suffix, handler in (
        ("GET", "", "get_application"),
        ("GET", "/resource-tree", "get_tree"),
        ("POST", "/resource/actions/v2", "run_action_v2"),
        ("POST", "/resource/actions", "run_action_v1"),
    )
)


class ArgoCDDouble(ServedInThread):
    """``with ArgoCDDouble() as argocd:``; point ``argocd.url`` of the settings at ``.url``."""

    def __init__(self, token: str = TOKEN) -> None:
        self.lock = threading.RLock()
        self.tokens = {token}
        self.apps: dict[str, App] = {}
        self.requests: list[Recorded] = []
        self.restarted: list[tuple[str, str, str, str]] = []  # app, namespace, name, v2 or v1
        # handler -> the next replies (None: answered as usual)
        self.failures: dict[str, deque[Reply | None]] = defaultdict(deque)
        self.delay = 0.0  # seconds before every answer (a slow Argo CD)
        self.v2 = True  # False: an Argo CD before 3.1, which has no v2 action endpoint
        self.older_status = 404  # what that older Argo CD answers to the v2 endpoint
        self.forbidden_actions: set[str] = set()  # application names whose actions RBAC denies
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        super().__init__(self.server)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def add_app(self, name: str, *nodes: dict[str, Any], **fields: Any) -> App:
        with self.lock:
            app = self.apps[name] = App(name, list(nodes), **fields)
            return app

    def fail(
        self, handler: str, status: int, message: str, *, times: int = 1, after: int = 0
    ) -> None:
        """``times`` requests to ``handler`` (e.g. ``get_tree``) answer this error, once
        ``after`` more have been answered as usual."""
        with self.lock:
            queued = self.failures[handler]
            queued.extend([None] * after)
            queued.extend(gateway_error(status, message) for _ in range(times))

    def answer_raw(self, handler: str, status: int, raw: bytes) -> None:
        """The next request to ``handler`` answers ``raw`` bytes (a proxy's HTML page, say)."""
        with self.lock:
            self.failures[handler].append(Reply(status, None, raw))

    def restarts(self) -> list[tuple[str, str, str]]:
        """(application, namespace, name) of every Deployment restarted, in order."""
        return [(app, namespace, name) for app, namespace, name, _ in self.restarted]

    # -- serving -------------------------------------------------------------------------------

    def handle(self, request: Recorded) -> Reply:
        with self.lock:
            self.requests.append(request)
        if self.delay:
            time.sleep(self.delay)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            return gateway_error(401, "no session information")
        if token not in self.tokens:
            return gateway_error(401, "invalid session: token signature is invalid")
        for method, pattern, handler in ROUTES:
            found = pattern.match(request.path)
            if found and method == request.method:
                if handler == "run_action_v2" and not self.v2:
                    return gateway_error(self.older_status, "Not Found")
                with self.lock:
                    queued = self.failures[handler]
                    failure = queued.popleft() if queued else None
                    if failure is not None:
                        return failure
                    app = self.apps.get(unquote(found["name"]))
                    if app is not None and app.namespace != _app_namespace(request):
                        app = None  # Argo CD looks in its own namespace unless told otherwise
                    if app is None:
                        name = unquote(found["name"])
                        return gateway_error(404, f'applications.argoproj.io "{name}" not found')
                    reply: Reply = getattr(self, handler)(app, request)
                    return reply
        return gateway_error(404, "Not Found")

    def get_application(self, app: App, request: Recorded) -> Reply:
        return Reply(
            200,
            {
                "metadata": {"name": app.name, "namespace": app.namespace},
                "spec": {"project": app.project},
                "status": {
                    "sync": {"status": app.sync, "revision": "0" * 40},
                    "health": {"status": app.health},
                },
            },
        )

    def get_tree(self, app: App, request: Recorded) -> Reply:
        return Reply(200, {"nodes": app.nodes, "hosts": []})

    def run_action_v2(self, app: App, request: Recorded) -> Reply:
        body = request.body if isinstance(request.body, dict) else {}
        return self._run(app, body.get("action"), body, "v2")

    def run_action_v1(self, app: App, request: Recorded) -> Reply:
        return self._run(app, request.body, request.query, "v1")

    def _run(self, app: App, action: Any, where: dict[str, Any], endpoint: str) -> Reply:
        if not isinstance(action, str) or not action:
            return gateway_error(400, "action is required")
        kind, group = where.get("kind", ""), where.get("group", "")
        if app.name in self.forbidden_actions:
            return gateway_error(
                403,
                f"permission denied: applications, action/{group}/{kind}/{action},"
                f" {app.project}/{app.name}, sub: proj:{app.project}:idp, iat: 2026-12-01T09:00Z",
            )
        namespace, name = where.get("namespace", ""), where.get("resourceName", "")
        target = next(
            (
                n
                for n in app.nodes
                if (n["kind"], n["group"], n["namespace"], n["name"])
                == (kind, group, namespace, name)
                and n.get("version") == where.get("version")
                and not n.get("parentRefs")
            ),
            None,
        )
        if target is None:
            return gateway_error(
                404, f'{kind} "{name}" not found as part of application "{app.name}"'
            )
        if action != "restart" or kind not in ("Deployment", "StatefulSet", "DaemonSet"):
            return gateway_error(400, f"action '{action}' is not available for {kind}")
        at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        app.restarted[(namespace, name)] = at
        self.restarted.append((app.name, namespace, name, endpoint))
        target.setdefault("annotations", {})[RESTARTED_AT] = at  # what the action's Lua sets
        return Reply(200, {})


def _app_namespace(request: Recorded) -> str:
    body = request.body if isinstance(request.body, dict) else {}
    return str(body.get("appNamespace") or request.query.get("appNamespace") or "argocd")


def _handler(double: ArgoCDDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as Argo CD's server
        disable_nagle_algorithm = True  # headers and body leave at once (no 40 ms ACK wait)

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            request = read_json_request(self)
            if request is None:
                self._send(gateway_error(400, "invalid character in request body"))
                return
            recorded = Recorded(
                request.method, request.path, request.query, request.headers, request.body
            )
            self._send(double.handle(recorded))

        def _send(self, reply: Reply) -> None:
            payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
            kind = "application/json" if reply.raw is None else "text/html"
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
                pass

        do_GET = do_POST = _serve  # noqa: N815

    return Handler
