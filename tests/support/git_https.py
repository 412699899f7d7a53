"""git's smart HTTP over TLS (a self-signed certificate git is told to trust), admitting only the
requests whose ``Authorization`` carries a token the test accepts: a GitHub that checks tokens."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import ssl
from collections.abc import Callable, Iterable
from pathlib import Path
from wsgiref.simple_server import make_server
from wsgiref.types import StartResponse, WSGIEnvironment

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.servers import ServedInThread, _QuietHandler, git_http_backend_app


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """(certificate, key) PEM files for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class GitHttpsServer(ServedInThread):
    """``git http-backend`` for the repositories under ``project_root``, over HTTPS; a request
    whose basic credentials' password ``admits`` refuses is answered 401. ``presented`` lists
    every password sent, in order."""

    def __init__(
        self, project_root: Path, certificate: tuple[Path, Path], admits: Callable[[str], bool]
    ) -> None:
        self.presented: list[str] = []
        self._admits = admits
        self._backend = git_http_backend_app(project_root)
        self.server = make_server("127.0.0.1", 0, self._app, handler_class=_QuietHandler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*certificate)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        super().__init__(self.server)

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.server.server_port}"

    def _app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        scheme, _, encoded = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        password = ""
        if scheme.lower() == "basic":
            password = base64.b64decode(encoded).decode().partition(":")[2]
            self.presented.append(password)
        if not password or not self._admits(password):
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="git"')])
            return [b"bad credentials\n"]
        # An authenticated user may push (git http-backend's http.receivepack default).
        return self._backend({**environ, "REMOTE_USER": "x-access-token"}, start_response)
