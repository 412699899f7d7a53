"""Checks the user tokens Backstage signs, against the keys at ``auth.backstage.jwksUrl``.

Two kinds are taken (header ``typ``): a Backstage user token (``vnd.backstage.user``: ``iss``
must be ``auth.backstage.issuer``, ``aud`` ``backstage``, and its ``ent`` claim lists the refs the
user owns through), and the limited user token Backstage's ``auth.getLimitedUserToken`` makes
for a plugin to pass on (``vnd.backstage.limited-user``: ``sub``, ``iat`` and ``exp`` only,
signed with the same key; Backstage refuses it as a credential for its own APIs). A plugin or
service token (``vnd.backstage.plugin``) names no user and is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import jwt

from catalog_service.errors import AuthenticationError
from catalog_service.identity.jwks import JwksKeys
from catalog_service.identity.verifier import TokenKind, VerifiedIdentity
from catalog_service.settings import BackstageIdentitySettings

HEADER = "X-Backstage-Token"
USER_TYP = "vnd.backstage.user"
LIMITED_USER_TYP = "vnd.backstage.limited-user"
AUDIENCE = "backstage"
# Public-key algorithms only: an HMAC or "none" token would be checked against public data.
ALGORITHMS = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
ENTITY_REF = re.compile(r"^[a-z0-9_.-]+:[A-Za-z0-9_.-]+/[A-Za-z0-9_.@-]+$", re.IGNORECASE)
LEEWAY_SECONDS = 10  # clocks of two hosts disagree a little
MAX_TOKEN_CHARS = 16 * 1024


class BackstageTokenVerifier:
    """An :class:`~catalog_service.identity.verifier.IdentityVerifier` for Backstage's tokens."""

    def __init__(self, settings: BackstageIdentitySettings, keys: JwksKeys | None = None) -> None:
        self._issuer = settings.issuer
        self._keys = keys or JwksKeys(
            settings.jwksUrl, cache_seconds=settings.cacheSeconds, timeout=settings.timeoutSeconds
        )

    def verify(self, token: str) -> VerifiedIdentity:
        if len(token) > MAX_TOKEN_CHARS:
            raise AuthenticationError(f"{HEADER} is longer than {MAX_TOKEN_CHARS:,} characters")
        kind, algorithm, kid = _header(token)
        key = self._keys.key(kid)
        if key.algorithm_name != algorithm:
            raise AuthenticationError(
                f"{HEADER} says alg {algorithm}, but key {kid!r} is a {key.algorithm_name} key"
            )
        claims = self._claims(token, key, algorithm, kind)
        user = claims.get("sub")
        if not isinstance(user, str) or not user.startswith("user:") or not ENTITY_REF.match(user):
            raise AuthenticationError(f"{HEADER} names no user (sub {str(user)[:80]!r})")
        owned = claims.get("ent", [])
        if not isinstance(owned, list) or not all(
            isinstance(ref, str) and ENTITY_REF.match(ref) for ref in owned
        ):
            raise AuthenticationError(f"{HEADER} has an ent claim that is not a list of refs")
        return VerifiedIdentity(user=user, ownership=frozenset({user, *owned}), kind=kind)

    def _claims(self, token: str, key: jwt.PyJWK, algorithm: str, kind: TokenKind) -> Any:
        full = kind == "user"
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                issuer=self._issuer if full else None,
                audience=AUDIENCE if full else None,
                leeway=LEEWAY_SECONDS,
                options={
                    "require": ["exp", "iat", "sub", *(["iss", "aud"] if full else [])],
                    "verify_aud": full,
                },
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError(f"{HEADER} has expired{_expiry(token)}") from None
        except jwt.InvalidIssuerError:
            raise AuthenticationError(
                f"{HEADER} was issued by {_unverified(token).get('iss')!r}, not by"
                f" auth.backstage.issuer {self._issuer!r}"
            ) from None
        except jwt.InvalidTokenError as error:
            raise AuthenticationError(f"{HEADER} is refused: {error}") from None
        if not full and "iss" in claims and claims["iss"] != self._issuer:
            raise AuthenticationError(
                f"{HEADER} was issued by {claims['iss']!r}, not by auth.backstage.issuer"
                f" {self._issuer!r}"
            )
        return claims


def _header(token: str) -> tuple[TokenKind, str, str]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise AuthenticationError(f"{HEADER} is not a JSON Web Token") from None
    typ = header.get("typ")
    if typ not in (USER_TYP, LIMITED_USER_TYP):
        raise AuthenticationError(
            f"{HEADER} is not a Backstage user token (typ {str(typ)[:60]!r}): a service or plugin"
            " token names no user; the action must run for a signed-in user"
        )
    algorithm, kid = header.get("alg"), header.get("kid")
    if algorithm not in ALGORITHMS:
        raise AuthenticationError(
            f"{HEADER} is signed with {str(algorithm)[:20]!r}; Backstage signs with a public-key"
            f" algorithm ({', '.join(ALGORITHMS)})"
        )
    if not isinstance(kid, str) or not kid:
        raise AuthenticationError(f"{HEADER} names no signing key (kid)")
    return ("user" if typ == USER_TYP else "limited-user"), algorithm, kid


def _unverified(token: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return {}
    return claims


def _expiry(token: str) -> str:
    exp = _unverified(token).get("exp")
    if not isinstance(exp, int | float):
        return ""
    try:
        when = dt.datetime.fromtimestamp(exp, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return ""
    return f" (at {when:%Y-%m-%dT%H:%M:%SZ}); start the task again to get a new one"
