"""Who asks for an action, and how far that is known; and the rule ``promotion.protected`` applies
with it (docs/self-service.md, "Who asks").

Three ways to know who asks, strongest first:
- a Backstage user token the service checked (``auth.backstage``): the user is the token's, the
  refs that count are the token's (its user, and its groups when it carries them); the body's
  ``requestedBy`` must name that user and its ``requestedByGroups`` are ignored;
- a token of ``auth.trustedTokens`` (automation the platform team vouches for): the body's
  ``requestedBy`` and ``requestedByGroups`` are believed;
- any other token of ``auth.tokens``: the body is recorded as sent but proves nothing, so a
  protected environment refuses it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from catalog_service.actions.schemas import (
    CopyDatabaseInput,
    CreateApplicationInput,
    PromoteImageInput,
    RestartApplicationInput,
)
from catalog_service.errors import ForbiddenError
from catalog_service.identity.verifier import VerifiedIdentity
from catalog_service.vocabulary import JANITOR_ACTOR

Verification = Literal["backstage-token", "trusted-token", "unverified"]


@dataclass(frozen=True, slots=True)
class Requester:
    ref: str  # as audited: user:default/alice
    refs: frozenset[str]  # what a protected environment's list is matched against
    verification: Verification
    limited: bool = False  # a limited Backstage token: the user's groups are not known

    @classmethod
    def of(
        cls,
        request: CreateApplicationInput
        | PromoteImageInput
        | CopyDatabaseInput
        | RestartApplicationInput,
        identity: VerifiedIdentity | None,
        *,
        trusted_token: bool,
    ) -> Requester:
        if request.requestedBy == JANITOR_ACTOR:
            raise ForbiddenError(
                f"requestedBy {JANITOR_ACTOR!r} is the service's own (its removals of expired"
                " database copies): a call names the user who asks"
            )
        claimed = frozenset({request.requestedBy, *request.requestedByGroups})
        if identity is None:
            verification: Verification = "trusted-token" if trusted_token else "unverified"
            return cls(request.requestedBy, claimed, verification)
        if request.requestedBy != identity.user:
            raise ForbiddenError(
                f"requestedBy is {request.requestedBy!r}, but the Backstage token"
                f" (X-Backstage-Token) is {identity.user!r}'s: a call speaks for its own user only"
            )
        limited = identity.kind == "limited-user"
        return cls(identity.user, identity.ownership, "backstage-token", limited)


def check_protected(
    requester: Requester,
    targets: Sequence[str],
    protected: Mapping[str, Sequence[str]],
    *,
    what: str = "promote into it",
    setting: str = "promotion.protected",
) -> None:
    """403 unless ``requester`` may write into every protected environment of ``targets``
    (``protected``: the ``setting`` named in the message, promotion's or restart's)."""
    for target in targets:
        allowed = protected.get(target)
        if allowed is None:
            continue
        if requester.verification == "unverified":
            raise ForbiddenError(
                f"{target!r} is protected, and who asks is not verified: only a Backstage user"
                " token (X-Backstage-Token, checked with auth.backstage) or a token listed in"
                f" auth.trustedTokens may {what}"
            )
        if not requester.refs & set(allowed):
            groups = (
                " (the Backstage token names its user only, not the user's groups: list the"
                f" user in {setting})"
                if requester.limited and any(not ref.startswith("user:") for ref in allowed)
                else ""
            )
            raise ForbiddenError(
                f"{target!r} is protected: only {', '.join(allowed)} may {what}, and"
                f" {requester.ref!r} is none of them{groups}"
            )
