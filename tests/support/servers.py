"""Network peers for tests: git's smart HTTP (``git http-backend``), a remote that hangs."""

from __future__ import annotations

import hashlib
import socket
import socketserver
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIEnvironment

import uvicorn


def free_port() -> int:
    """A port nothing listens on (just now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def git_http_backend_app(
    project_root: Path,
) -> Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]:
    """A WSGI application that runs ``git http-backend`` as a CGI program for each request."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        env = {key: value for key, value in environ.items() if isinstance(value, str)}
        env |= {
            "GIT_PROJECT_ROOT": str(project_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "CONTENT_LENGTH": str(len(body)),
        }
        if "HTTP_GIT_PROTOCOL" in environ:
            env["GIT_PROTOCOL"] = environ["HTTP_GIT_PROTOCOL"]
        result = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
        )
        head, _, payload = result.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = result.stdout.partition(b"\n\n")
        status = "200 OK"
        headers = []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = value.strip()
            elif name:
                headers.append((name.strip(), value.strip()))
        start_response(status, headers)
        return [payload]

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class ServedInThread:
    """A server (``self.server``) that serves from a daemon thread while its ``with`` lasts."""

    def __init__(self, server: socketserver.BaseServer) -> None:
        self.thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._server = server

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.thread.join(timeout=5)


class GitHttpServer(ServedInThread):
    """``git http-backend`` serving every repository under ``project_root`` on 127.0.0.1."""

    def __init__(self, project_root: Path) -> None:
        self.server: WSGIServer = make_server(
            "127.0.0.1", 0, git_http_backend_app(project_root), handler_class=_QuietHandler
        )
        super().__init__(self.server)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"


class HangingServer:
    """A TCP server on 127.0.0.1 that accepts connections and never answers: a stuck remote.

    ``closed`` counts the connections whose client went away (e.g. a killed git)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.accepted = 0
        self.closed = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/gitops.git"

    def _serve(self) -> None:
        self.sock.settimeout(0.05)
        connections: list[socket.socket] = []
        while not self._stop.is_set():
            try:
                connection, _ = self.sock.accept()
                connection.setblocking(False)
                connections.append(connection)
                self.accepted += 1
            except TimeoutError:
                pass
            for connection in list(connections):
                try:
                    if connection.recv(65536) == b"":  # the client closed it
                        connections.remove(connection)
                        connection.close()
                        self.closed += 1
                except BlockingIOError:
                    pass
                except OSError:
                    connections.remove(connection)
                    self.closed += 1
        for connection in connections:
            connection.close()

    def __enter__(self) -> HangingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


def file_hashes(root: Path) -> dict[str, str]:
    """Every file and link under ``root`` (relative path -> content hash, mode), folders too."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        stat = path.lstat()
        if path.is_symlink():
            found[relative] = f"link {path.readlink()}"
        elif path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found[relative] = f"{digest} {stat.st_mode:o} {stat.st_mtime_ns}"
        else:
            found[relative] = f"dir {stat.st_mode:o}"
    return found


@contextmanager
def uvicorn_server(app: Any) -> Iterator[str]:
    """A real uvicorn server of ``app`` on a loopback port, in a thread, lifespan included (the
    service's database is migrated at start); answers its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        assert not thread.is_alive(), "uvicorn did not stop"
