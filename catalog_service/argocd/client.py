"""The Argo CD client (docs/argocd.md): one application's state and resource tree, and the
resource action ``restart`` on a Deployment, behind the :class:`ArgoCD` protocol (tests give
the service a client pointed at ``tests/support/argocd_double.py``).

The action goes to the v2 endpoint (``POST .../resource/actions/v2``, a JSON body; Argo CD 3.1
and later); an Argo CD that answers it 404 or 405 is older, and gets the endpoint it has
(``POST .../resource/actions?namespace=..`` with the body ``"restart"``). Errors are the
service's own: unreachable or too slow is :class:`ArgoCDUnavailableError` (503), any refusal
:class:`ArgoCDError` (502) quoting Argo CD's message, an application Argo CD does not have
:class:`ArgoCDApplicationMissingError` (409). The token travels in the Authorization header only.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from catalog_service.argocd.settings import ArgoCDApiSettings
from catalog_service.argocd.tree import (
    ApplicationState,
    ResourceRef,
    ResourceTree,
    read_application,
    read_tree,
)
from catalog_service.errors import (
    ArgoCDApplicationMissingError,
    ArgoCDError,
    ArgoCDUnavailableError,
)

MAX_BODY_BYTES = 16 * 1024 * 1024  # a resource tree of thousands of nodes is a few MB
MAX_MESSAGE_CHARS = 500
RESTART = "restart"
OLDER_ARGOCD = (404, 405)  # what an Argo CD before 3.1 answers to the v2 endpoint


class ArgoCD(Protocol):
    """What the service asks of Argo CD."""

    def application(self, name: str) -> ApplicationState: ...

    def resource_tree(self, name: str) -> ResourceTree: ...

    def restart(self, name: str, resource: ResourceRef) -> None: ...


class HttpArgoCD:
    """Argo CD's REST API over httpx; safe to share between threads (one connection pool)."""

    def __init__(
        self,
        settings: ArgoCDApiSettings,
        *,
        app_namespace: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """``app_namespace``: where the Applications live when not in Argo CD's own namespace
        (``render.argocd.namespace``), sent as Argo CD's ``appNamespace``; None: Argo CD's."""
        self.url = settings.url
        self._where = {"appNamespace": app_namespace} if app_namespace else {}
        self.timeout = settings.timeoutSeconds
        self._client = httpx.Client(
            base_url=settings.url,
            timeout=httpx.Timeout(settings.timeoutSeconds),
            headers={
                "Authorization": f"Bearer {settings.token.get_secret_value()}",
                "Accept": "application/json",
            },
            follow_redirects=False,
            transport=transport,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )
        self._v2 = True  # until Argo CD says it has no v2 endpoint
        self._lock = threading.Lock()

    def application(self, name: str) -> ApplicationState:
        return read_application(self._get(name, "", "read the application"))

    def resource_tree(self, name: str) -> ResourceTree:
        return read_tree(self._get(name, "/resource-tree", "read the resource tree"))

    def restart(self, name: str, resource: ResourceRef) -> None:
        what = f"restart Deployment {resource.namespace}/{resource.name}"
        path = f"/api/v1/applications/{quote(name, safe='')}/resource/actions"
        if self._v2:
            body = {
                "name": name,
                "namespace": resource.namespace,
                "resourceName": resource.name,
                "version": resource.version,
                "group": resource.group,
                "kind": resource.kind,
                "action": RESTART,
                **self._where,
            }
            response = self._send("POST", f"{path}/v2", what, json_body=body)
            if response.status_code not in OLDER_ARGOCD:
                self._check(response, name, what, found=True)
                return
        params = {
            "namespace": resource.namespace,
            "resourceName": resource.name,
            "version": resource.version,
            "group": resource.group,
            "kind": resource.kind,
            **self._where,
        }
        response = self._send("POST", path, what, json_body=RESTART, params=params)
        self._check(response, name, what, found=True)
        with self._lock:
            self._v2 = False  # an older Argo CD: its endpoint straight away from now on

    def close(self) -> None:
        self._client.close()

    # -- one request ---------------------------------------------------------------------------

    def _get(self, name: str, suffix: str, what: str) -> Any:
        path = f"/api/v1/applications/{quote(name, safe='')}{suffix}"
        response = self._send("GET", path, what, params=self._where or None)
        self._check(response, name, what)
        try:
            return json.loads(response.content)
        except ValueError:
            raise ArgoCDError(
                f"Argo CD's answer to {what} of {name!r} is not JSON: is argocd.url Argo CD's"
                " own address, not a login page or a proxy in front of it?"
            ) from None

    def _send(
        self,
        method: str,
        path: str,
        what: str,
        *,
        json_body: Any = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        deadline = time.monotonic() + self.timeout  # in all: a trickling answer ends too
        try:
            with self._client.stream(method, path, json=json_body, params=params) as response:
                content = bytearray()
                for chunk in response.iter_bytes():
                    content += chunk
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout("the answer took too long")
                    if len(content) > MAX_BODY_BYTES:
                        raise ArgoCDError(
                            f"Argo CD's answer to {what} is larger than {MAX_BODY_BYTES:,} bytes"
                        )
                return httpx.Response(
                    response.status_code, headers=response.headers, content=bytes(content)
                )
        except httpx.TimeoutException:
            raise ArgoCDUnavailableError(
                f"Argo CD at {self.url} did not answer within {self.timeout:g} s"
                f" (argocd.timeoutSeconds) to {what}"
            ) from None
        except httpx.HTTPError as error:
            raise ArgoCDUnavailableError(
                f"Argo CD at {self.url} cannot be reached to {what}: {type(error).__name__}"
            ) from None

    def _check(self, response: httpx.Response, name: str, what: str, found: bool = False) -> None:
        """``found``: the application was just read, so a 404 is about something else (the
        resource gone from the tree meanwhile): a refusal, not a missing application."""
        status = response.status_code
        if 200 <= status < 300:
            return
        message = argocd_message(response)
        if status == 404 and not found:
            raise ArgoCDApplicationMissingError(
                f"Argo CD has no application {name!r} (answered 404 to {what}: {message}); has"
                " render written it and Argo CD synced it, and does argocd.applicationName"
                " name it?"
            )
        hint = {
            401: "; is argocd.token valid and not expired?",
            403: "; does the token's role allow it (docs/argocd.md)?",
        }.get(status, "")
        raise ArgoCDError(f"Argo CD answered {status} to {what} of {name!r}: {message}{hint}")


def argocd_message(response: httpx.Response) -> str:
    """Argo CD's own words for an error (its JSON ``message``, or ``error``; else the text),
    bounded and on one line."""
    text = response.content[:MAX_BODY_BYTES].decode("utf-8", "replace")
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        found = body.get("message") or body.get("error")
        text = found if isinstance(found, str) else text
    text = " ".join(text.split())
    if not text:
        return response.reason_phrase or "no message"
    return text[:MAX_MESSAGE_CHARS] + ("…" if len(text) > MAX_MESSAGE_CHARS else "")
