"""Backstage's user tokens checked against a real JWKS served over local HTTP, with keys made
here: what is accepted, what is refused and how it says so, and that keys that cannot be had
never let a token through."""

from __future__ import annotations

from collections.abc import Iterator

import jwt
import pytest

from catalog_service.errors import AuthenticationError, ConfigurationError, IdentityUnavailableError
from catalog_service.identity.backstage import BackstageTokenVerifier
from catalog_service.identity.jwks import JwksKeys
from catalog_service.settings import BackstageIdentitySettings, load_settings
from tests.support.backstage_identity import BackstageAuth, SigningKey
from tests.support.servers import free_port

ALICE = "user:default/alice"
PLATFORM = "group:default/team-platform"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def backstage() -> Iterator[BackstageAuth]:
    with BackstageAuth() as auth:
        yield auth


def verifier(
    backstage: BackstageAuth, clock: Clock | None = None, **keys: float
) -> BackstageTokenVerifier:
    settings = BackstageIdentitySettings(**backstage.settings())
    jwks = JwksKeys(
        settings.jwksUrl,
        cache_seconds=keys.get("cache_seconds", 300),
        timeout=2,
        min_refetch_seconds=keys.get("min_refetch_seconds", 10),
        clock=clock or Clock(),
    )
    return BackstageTokenVerifier(settings, jwks)


def refused(check: BackstageTokenVerifier, token: str) -> str:
    with pytest.raises(AuthenticationError) as caught:
        check.verify(token)
    return caught.value.message


def test_a_limited_user_token_proves_the_user_only(backstage: BackstageAuth) -> None:
    identity = verifier(backstage).verify(backstage.limited_token(ALICE))
    assert identity.user == ALICE
    assert identity.ownership == frozenset({ALICE})
    assert identity.kind == "limited-user"


def test_a_user_token_proves_the_user_and_its_ownership_refs(backstage: BackstageAuth) -> None:
    identity = verifier(backstage).verify(backstage.user_token(ALICE, [ALICE, PLATFORM]))
    assert identity.ownership == frozenset({ALICE, PLATFORM}) and identity.kind == "user"


def test_the_keys_are_fetched_once_and_a_rotated_key_is_found(backstage: BackstageAuth) -> None:
    clock = Clock()
    check = verifier(backstage, clock)
    for _ in range(5):
        check.verify(backstage.limited_token(ALICE))
    assert backstage.fetches == 1
    new = backstage.rotate()
    clock.now += 11  # past min_refetch_seconds: an unknown key id makes one fetch
    assert check.verify(backstage.limited_token(ALICE, key=new)).user == ALICE
    assert backstage.fetches == 2


def test_made_up_key_ids_do_not_make_a_fetch_each(backstage: BackstageAuth) -> None:
    clock = Clock()
    check = verifier(backstage, clock)
    check.verify(backstage.limited_token(ALICE))
    stranger = SigningKey("key-nobody-published")
    for step in range(20):
        clock.now += 1  # twenty tokens in twenty seconds: two fetches, one per 10 s
        message = refused(check, backstage.limited_token(ALICE, key=stranger))
        assert message.endswith("does not publish: not a token this Backstage signed"), step
    assert backstage.fetches == 3


def test_forged_expired_and_foreign_tokens_are_refused_saying_why(backstage: BackstageAuth) -> None:
    check = verifier(backstage)
    assert "has expired (at " in refused(check, backstage.limited_token(ALICE, expires_in=-60))
    header, _payload, signature = backstage.limited_token(ALICE).split(".")
    forged = jwt.utils.base64url_encode(b'{"sub":"user:default/root","iat":1,"exp":9999999999}')
    assert "Signature verification failed" in refused(
        check, f"{header}.{forged.decode()}.{signature}"
    )
    other = BackstageAuth()  # another Backstage's key, with the same key id
    other.server.server_close()
    assert "Signature verification failed" in refused(check, other.limited_token(ALICE))
    wrong_issuer = backstage.user_token(ALICE, iss="https://evil.example/api/auth")
    assert "not by auth.backstage.issuer" in refused(check, wrong_issuer)
    no_audience = backstage.user_token(ALICE, aud="catalog")
    assert "Audience" in refused(check, no_audience) or "aud" in refused(check, no_audience)


def test_tokens_that_name_no_user_or_use_no_public_key_are_refused(
    backstage: BackstageAuth,
) -> None:
    check = verifier(backstage)
    key = backstage.keys[0]
    plugin = key.sign({"typ": "vnd.backstage.plugin", "kid": key.kid}, {"sub": "plugin:catalog"})
    assert "names no user; the action must run for a signed-in user" in refused(check, plugin)
    hmac = jwt.encode(
        {"sub": ALICE, "iat": 1, "exp": 9999999999},
        "a-secret-that-is-long-enough-for-hs256",
        algorithm="HS256",
        headers={"typ": "vnd.backstage.limited-user", "kid": key.kid},
    )
    assert "public-key algorithm" in refused(check, hmac)
    unsigned = jwt.encode(
        {"sub": ALICE}, "", algorithm="none", headers={"typ": "vnd.backstage.limited-user"}
    )
    assert "public-key algorithm" in refused(check, unsigned)
    service = key.sign(
        {"typ": "vnd.backstage.limited-user", "kid": key.kid},
        {"sub": "plugin:catalog", "iat": 1, "exp": 9999999999},
    )
    assert "names no user" in refused(check, service)
    assert refused(check, "not.a.jwt") == "X-Backstage-Token is not a JSON Web Token"
    assert "longer than" in refused(check, "x" * 20_000)
    assert backstage.fetches == 1  # the checks that need no key fetch none


def test_keys_that_cannot_be_fetched_refuse_every_token(backstage: BackstageAuth) -> None:
    clock = Clock()
    check = verifier(backstage, clock, cache_seconds=60)
    token = backstage.limited_token(ALICE)
    backstage.status = 500
    with pytest.raises(IdentityUnavailableError) as caught:
        check.verify(token)
    assert caught.value.message.startswith(
        f"cannot fetch Backstage's signing keys from {backstage.jwks_url} (auth.backstage.jwksUrl)"
    )
    with pytest.raises(IdentityUnavailableError):  # retried no sooner than 10 s later
        check.verify(token)
    assert backstage.fetches == 1
    backstage.status = 200
    clock.now += 11
    assert check.verify(token).user == ALICE
    backstage.status = 500
    clock.now += 61  # the keys are past cache_seconds, and Backstage is down: no token passes
    with pytest.raises(IdentityUnavailableError):
        check.verify(token)
    nobody = BackstageTokenVerifier(
        BackstageIdentitySettings(jwksUrl=f"http://127.0.0.1:{free_port()}/jwks", issuer="x")
    )
    with pytest.raises(IdentityUnavailableError) as down:
        nobody.verify(token)
    assert "Connection refused" in down.value.message


def test_a_jwks_that_is_not_one_is_unavailable_not_accepted(backstage: BackstageAuth) -> None:
    token = backstage.limited_token(ALICE)
    backstage.keys = []
    with pytest.raises(IdentityUnavailableError) as caught:
        verifier(backstage).verify(token)
    assert "not a usable key set" in caught.value.message


def test_the_settings_refuse_what_cannot_work() -> None:
    source = {"url": "/tmp/x"}
    with pytest.raises(ConfigurationError) as caught:
        load_settings(None, source=source, auth={"backstage": {"jwksUrl": "file:///etc/keys"}})
    assert "auth.backstage.jwksUrl: String should match pattern" in caught.value.message
    assert "auth.backstage.issuer: Field required" in caught.value.message
    with pytest.raises(ConfigurationError) as short:
        load_settings(None, source=source, auth={"trustedTokens": ["short"]})
    assert "auth.trustedTokens.0: Value error, a token must be at least 16" in short.value.message
