"""Backstage's side of user identity, for tests: signing keys made here, published as a JWKS over
local HTTP (as ``/api/auth/.well-known/jwks.json``), and tokens signed the way Backstage's auth
backend signs them (a user token with ``ent`` and ``uip``; the limited user token
``auth.getLimitedUserToken`` makes of it: ``sub``, ``iat``, ``exp``, and ``uip`` as signature).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any
from wsgiref.simple_server import WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIEnvironment

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from tests.support.servers import ServedInThread, _QuietHandler

USER_TYP = "vnd.backstage.user"
LIMITED_USER_TYP = "vnd.backstage.limited-user"
JWKS_PATH = "/api/auth/.well-known/jwks.json"


class SigningKey:
    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = ec.generate_private_key(ec.SECP256R1())

    def jwk(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(self.private.public_key()))
        return {**data, "kid": self.kid, "alg": "ES256", "use": "sig"}

    def sign(self, header: dict[str, Any], payload: dict[str, Any]) -> str:
        return jwt.encode(payload, self.private, algorithm="ES256", headers=header)


class BackstageAuth(ServedInThread):
    """A Backstage auth backend's keys and tokens; ``status`` set to 500 makes the JWKS fail."""

    def __init__(self) -> None:
        self.keys = [SigningKey("key-1")]
        self.fetches = 0
        self.status = 200
        self.server: WSGIServer = make_server(
            "127.0.0.1", 0, self._app, handler_class=_QuietHandler
        )
        super().__init__(self.server)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/api/auth"

    @property
    def jwks_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{JWKS_PATH}"

    def settings(self, **extra: Any) -> dict[str, Any]:
        return {"jwksUrl": self.jwks_url, "issuer": self.issuer, **extra}

    def rotate(self) -> SigningKey:
        """A new key, published beside the old (as Backstage does)."""
        key = SigningKey(f"key-{len(self.keys) + 1}")
        self.keys.append(key)
        return key

    def user_token(
        self,
        sub: str,
        ent: list[str] | None = None,
        *,
        key: SigningKey | None = None,
        expires_in: float = 3600,
        **claims: Any,
    ) -> str:
        key = key or self.keys[0]
        now = int(time.time())
        exp = int(now + expires_in)
        uip = self._identity_proof(key, sub, now, exp)
        payload = {
            "iss": self.issuer,
            "sub": sub,
            "ent": ent if ent is not None else [sub],
            "aud": "backstage",
            "iat": now,
            "exp": exp,
            "uip": uip,
            **claims,
        }
        return key.sign({"typ": USER_TYP, "kid": key.kid}, payload)

    def limited_token(self, sub: str, **kwargs: Any) -> str:
        """What Backstage's ``auth.getLimitedUserToken`` makes of ``user_token(sub)``."""
        full = jwt.decode(self.user_token(sub, **kwargs), options={"verify_signature": False})
        header = {
            "typ": LIMITED_USER_TYP,
            "alg": "ES256",
            "kid": (kwargs.get("key") or self.keys[0]).kid,
        }
        parts = [
            _b64(header, sort_keys=True),
            _b64({"sub": full["sub"], "iat": full["iat"], "exp": full["exp"]}),
        ]
        return ".".join([*parts, full["uip"]])

    @staticmethod
    def _identity_proof(key: SigningKey, sub: str, iat: int, exp: int) -> str:
        # The signature of the limited token's header and payload (Backstage's TokenFactory).
        limited = key.sign(
            {"typ": LIMITED_USER_TYP, "kid": key.kid}, {"sub": sub, "iat": iat, "exp": exp}
        )
        return limited.rsplit(".", 1)[1]

    def _app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        self.fetches += 1
        if environ.get("PATH_INFO") != JWKS_PATH or self.status != 200:
            start_response(f"{self.status if self.status != 200 else 404} Error", [])
            return [b"no"]
        body = json.dumps({"keys": [key.jwk() for key in self.keys]}).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]


def _b64(value: dict[str, Any], *, sort_keys: bool = False) -> str:
    text = json.dumps(value, separators=(",", ":"), sort_keys=sort_keys)  # as PyJWT writes it
    return jwt.utils.base64url_encode(text.encode()).decode()
