"""What a checked identity is, and the protocol that checks one (tests swap in their own keys)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

TokenKind = Literal["user", "limited-user"]


@dataclass(frozen=True, slots=True)
class VerifiedIdentity:
    """A user Backstage signed a token for.

    ``ownership`` holds the user's own ref and, when the token carries them (a full Backstage
    user token's ``ent`` claim), the groups it owns through. A limited user token (what
    Backstage gives a plugin to pass on) carries the user ref only."""

    user: str  # user:default/alice
    ownership: frozenset[str]
    kind: TokenKind


class IdentityVerifier(Protocol):
    def verify(self, token: str) -> VerifiedIdentity:
        """The identity ``token`` proves. Raises ``AuthenticationError`` for a token that is
        not a valid Backstage user token, ``IdentityUnavailableError`` when the keys cannot be
        had (the token is then refused, never accepted unchecked)."""
        ...
