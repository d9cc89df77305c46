"""Tokens from an OpenID Connect issuer: its discovery document, its keys (a JWKS, through
PyJWT's PyJWKClient), the checks each of its tokens must pass, and the roles and display name
a token carries in the claims the settings name.

Network calls (discovery, keys) are synchronous library calls: they run in a worker thread,
never on the event loop, and only when the keys fetched already do not answer."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests
from anyio import to_thread
from jwt import PyJWK, PyJWKClient
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError
from litestar.exceptions import (
    ImproperlyConfiguredException,
    NotAuthorizedException,
    ServiceUnavailableException,
)
from litestar.security.jwt import Token

from domain.commands import ROLES
from domain.errors import InvalidInput
from domain.limits import MAX_NAME, check_text
from service.settings import Settings

log = logging.getLogger("polarity.identity")

ALGORITHMS = ("RS256", "ES256")  # what an issuer's token may be signed with
DISCOVERY = "/.well-known/openid-configuration"
LEEWAY_SECONDS = 30  # the provider's clock against ours, for nbf and iat (never for exp)
HTTP_TIMEOUT_SECONDS = 10
KEYS_LIFESPAN_SECONDS = 300  # the keys are fetched again this often, rotation or not


ENDPOINTS = ("jwks_uri", "authorization_endpoint", "token_endpoint", "end_session_endpoint")


class ProviderUnavailable(ServiceUnavailableException):
    """The issuer's discovery document or keys cannot be fetched: an outage, not a bad token."""


def refused(reason: str) -> NotAuthorizedException:
    return NotAuthorizedException(f"Invalid token: {reason}")


@dataclass(frozen=True)
class ProviderMetadata:
    """What Polarity uses of the issuer's discovery document."""

    issuer: str
    jwks_uri: str
    authorization_endpoint: str | None = None  # the portal's sign-in needs these two
    token_endpoint: str | None = None
    end_session_endpoint: str | None = None

    @classmethod
    def read(cls, document: object, issuer: str) -> ProviderMetadata:
        """The document's endpoints; ValueError when it is not the issuer's or has no keys."""
        if not isinstance(document, dict):
            raise ValueError("the discovery document is not a JSON object")
        if document.get("issuer") != issuer:
            raise ValueError(f"the discovery document names issuer {document.get('issuer')!r}")
        urls = {
            name: value
            for name in ENDPOINTS
            if isinstance(value := document.get(name), str)
            and urlsplit(value).scheme in ("http", "https")
        }
        if "jwks_uri" not in urls:
            raise ValueError("the discovery document has no jwks_uri")
        return cls(issuer=issuer, **urls)


def claim(claims: dict[str, Any], path: str) -> Any:
    """The claim named `path`, else the one its dots lead to (`realm_access.roles`)."""
    if path in claims:
        return claims[path]
    found: Any = claims
    for step in path.split("."):
        if not isinstance(found, dict):
            return None
        found = found.get(step)
    return found


class IdentityProvider:
    """One OpenID Connect issuer: discovered when first needed, its keys cached and fetched
    again when a token names a key id they lack, at most once per `jwks_refresh_seconds`, so a
    flood of made-up key ids cannot hammer the provider. Safe to share between threads."""

    def __init__(self, settings: Settings) -> None:
        if not (settings.jwt_issuer and settings.jwt_audience):
            raise ValueError("an identity provider needs an issuer and an audience")
        self.issuer = settings.jwt_issuer
        # One audience, or several separated by commas (the API's and the portal's client id)
        self.audiences = [name.strip() for name in settings.jwt_audience.split(",") if name.strip()]
        self.roles_claim = settings.jwt_roles_claim
        self.name_claim = settings.jwt_name_claim
        self._jwks_url = settings.jwt_jwks_url
        self._cooldown = settings.jwks_refresh_seconds
        self._lock = threading.RLock()
        self._metadata: ProviderMetadata | None = None
        self._keys: PyJWKClient | None = None
        self._failed_at = -float("inf")  # when the provider last could not be reached

    def __deepcopy__(self, memo: dict[int, Any]) -> IdentityProvider:
        """Itself: one cache of keys per issuer, however often Litestar copies its routers."""
        return self

    @property
    def name(self) -> str:
        """The issuer as a person recognises it: its host."""
        return urlsplit(self.issuer).netloc or self.issuer

    @property
    def known_metadata(self) -> ProviderMetadata | None:
        """The discovery document if it was fetched already (no I/O)."""
        return self._metadata

    # Discovery and keys (blocking: call in a worker thread) ------------------------------

    def metadata(self) -> ProviderMetadata:
        """The discovery document, fetched once; ProviderUnavailable while it cannot be."""
        with self._lock:
            if self._metadata is None:
                url = self.issuer.rstrip("/") + DISCOVERY
                try:
                    self._recently_failed()
                    response = requests.get(url, timeout=HTTP_TIMEOUT_SECONDS)
                    response.raise_for_status()
                    self._metadata = ProviderMetadata.read(response.json(), self.issuer)
                except (requests.RequestException, ValueError) as error:
                    raise self._unreachable(f"discovery at {url}", error) from error
            return self._metadata

    def signing_key(self, kid: str) -> PyJWK:
        """The issuer's key `kid`, fetching its keys again if they lack it (at most once per
        cooldown). When the provider cannot be reached, the last keys fetched still answer."""
        with self._lock:
            if self._keys is None:
                url = self._jwks_url or self.metadata().jwks_uri
                self._keys = PyJWKClient(
                    url,
                    lifespan=KEYS_LIFESPAN_SECONDS,
                    timeout=HTTP_TIMEOUT_SECONDS,
                    cooldown_duration=self._cooldown,
                )
            keys = self._keys
        try:
            self._recently_failed()
            return keys.get_signing_key(kid)
        except (PyJWKClientConnectionError, ProviderUnavailable) as error:
            stale = self._cached(kid, stale=True)
            if stale is None:
                raise self._unreachable(f"keys at {keys.uri}", error) from error
            return stale

    def _recently_failed(self) -> None:
        if time.monotonic() - self._failed_at < self._cooldown:
            raise ProviderUnavailable(self._unavailable_message)

    def _unreachable(self, what: str, error: Exception) -> ProviderUnavailable:
        self._failed_at = time.monotonic()
        log.warning("identity provider %s: %s failed: %s", self.issuer, what, error)
        return ProviderUnavailable(self._unavailable_message)

    @property
    def _unavailable_message(self) -> str:
        return f"The identity provider {self.issuer} cannot be reached to check the token"

    def _cached(self, kid: str, *, stale: bool = False) -> PyJWK | None:
        """The key `kid` among the keys fetched already (expired ones too if `stale`); no I/O."""
        cache = self._keys.jwk_set_cache if self._keys else None
        if cache is None or cache.jwk_set_with_timestamp is None:
            return None
        keys = cache.jwk_set_with_timestamp.get_jwk_set() if stale else cache.get()
        if keys is None:
            return None
        return next(
            (key for key in keys.keys if key.key_id == kid and key.public_key_use in ("sig", None)),
            None,
        )

    # Tokens --------------------------------------------------------------------------------

    async def claims(
        self, encoded: str, audience: str | None = None, header: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The token's claims once its signature, issuer, audience (`audience`, else the API's)
        and times hold; else a 401 that says why. ProviderUnavailable (503) in an outage.
        `header`: the token's unverified header, when the caller has read it already."""
        if header is None:
            try:
                header = jwt.get_unverified_header(encoded)
            except jwt.PyJWTError as error:
                raise NotAuthorizedException("Invalid token") from error
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise refused(f"it names no key id (kid) of {self.issuer}")
        try:
            key = self._cached(kid)
            if key is None:
                key = await to_thread.run_sync(self.signing_key, kid)
        except PyJWKClientError as error:
            raise refused(
                f"{self.issuer} has no key {kid!r}, even after its keys were fetched again"
            ) from error
        if key.algorithm_name not in ALGORITHMS or header.get("alg") != key.algorithm_name:
            raise refused(
                f"key {kid!r} is for {key.algorithm_name}, and the token says {header.get('alg')}"
            )
        expected_audience = [audience] if audience else self.audiences
        try:
            claims: dict[str, Any] = jwt.decode(
                encoded,
                key,
                algorithms=[key.algorithm_name],
                issuer=self.issuer,
                audience=expected_audience,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise refused(_why(error, self.issuer, expected_audience)) from error
        if claims["exp"] <= time.time():  # the leeway is for clock skew on nbf and iat only
            raise refused("it has expired") from jwt.ExpiredSignatureError("Signature has expired")
        return claims

    async def token(self, encoded: str, header: dict[str, Any] | None = None) -> Token:
        """The verified token, its roles and display name read from the configured claims."""
        claims = await self.claims(encoded, header=header)
        subject = claims["sub"]
        extras: dict[str, Any] = {"roles": self.roles(claims)}
        if name := self.display_name(claims):
            extras["name"] = name
        issued = claims.get("iat")
        now = datetime.now(UTC)
        try:
            return Token(
                exp=datetime.fromtimestamp(claims["exp"], UTC),
                sub=subject if isinstance(subject, str) else "",
                iat=min(datetime.fromtimestamp(issued, UTC), now)
                if isinstance(issued, int | float)
                else now,
                iss=self.issuer,
                aud=claims["aud"],
                jti=claims["jti"] if isinstance(claims.get("jti"), str) else None,
                extras=extras,
            )
        except ImproperlyConfiguredException as error:
            raise refused("its subject (sub) is not a name") from error

    def roles(self, claims: dict[str, Any]) -> list[str]:
        """Polarity's roles among those the token carries; others are ignored, not refused."""
        found = claim(claims, self.roles_claim)
        if isinstance(found, str):
            found = found.split()
        if not isinstance(found, list):
            if found is not None:
                log.debug("%s of %s is not a list of roles: ignored", self.roles_claim, claims)
            return []
        named = [role for role in dict.fromkeys(found) if isinstance(role, str)]
        if ignored := [role for role in named if role not in ROLES]:
            log.debug("roles of %s Polarity does not know, ignored: %s", claims["sub"], ignored)
        return [role for role in named if role in ROLES]

    def display_name(self, claims: dict[str, Any]) -> str | None:
        found = claim(claims, self.name_claim)
        if not isinstance(found, str) or not found.strip():
            return None
        try:
            check_text(found, "name", MAX_NAME)
        except InvalidInput as error:
            log.debug("display name of %s ignored: %s", claims["sub"], error.message)
            return None
        return found.strip()


def _why(error: jwt.PyJWTError, issuer: str, audiences: list[str]) -> str:
    """What a person reading the 401 should know about a token the checks refused."""
    if isinstance(error, jwt.ExpiredSignatureError):
        return "it has expired"
    if isinstance(error, jwt.InvalidIssuerError):
        return f"it was not issued by {issuer}"
    if isinstance(error, jwt.InvalidAudienceError):
        named = " or ".join(repr(audience) for audience in audiences)
        return f"it is not meant for this service (audience {named})"
    if isinstance(error, jwt.ImmatureSignatureError):
        return "it is not valid yet"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"it has no {error.claim!r} claim"
    if isinstance(error, jwt.InvalidSignatureError):
        return f"its signature does not match the key of {issuer}"
    return str(error)
