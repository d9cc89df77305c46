"""Which bearer tokens the API takes: HS256 ones signed with Polarity's own secret (development,
`polarity token`), and RS256/ES256 ones from the configured OpenID Connect issuer.

The token's header says how it is signed; each kind goes to its own check, and anything else
(`none`, another algorithm, HS256 claiming to come from the issuer) is refused with a sentence
that says so. Both kinds end in the same Token and the same `retrieve_user_handler`, so an
actor is built from a token in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import DefineMiddleware
from litestar.middleware.authentication import AuthenticationResult
from litestar.openapi.spec import Components, SecurityScheme
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token

from domain.values import Actor
from service.identity import ALGORITHMS, IdentityProvider, refused

SECRET_ALGORITHM = "HS256"
MOST_REMEMBERED = 4096  # verified tokens a worker keeps; past that it forgets them all


class BearerMiddleware(JWTAuthenticationMiddleware):
    """Litestar's JWT middleware, routing each token to the check for how it is signed."""

    def __init__(
        self,
        *args: Any,
        provider: IdentityProvider | None = None,
        accept_secret: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.provider = provider
        self.accept_secret = accept_secret
        # Secret-signed tokens already verified, by their text: a client sends the same token
        # with every request, and checking its signature and claims again is most of the
        # cost of authenticating it. A token is taken from here only until it expires.
        self._verified: dict[str, Token] = {}

    async def authenticate_token(
        self, encoded_token: str, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        known = self._verified.get(encoded_token)
        if known is not None and known.exp > datetime.now(UTC):
            return await self._authenticated(known, connection)
        try:
            header = jwt.get_unverified_header(encoded_token)
        except jwt.PyJWTError as error:
            raise NotAuthorizedException("Invalid token") from error
        algorithm = header.get("alg")
        if algorithm == SECRET_ALGORITHM:
            self._check_secret_token(encoded_token)
            return await self._authenticated(self._verify(encoded_token), connection)
        if self.provider is None or algorithm not in ALGORITHMS:
            raise refused(f"it is signed with {algorithm!r}; {self._accepted}")
        token = await self.provider.token(encoded_token, header)
        user = await self.retrieve_user_handler(token, connection)
        return AuthenticationResult(user=user, auth=token)

    def _verify(self, encoded: str) -> Token:
        """The secret-signed token checked as Litestar checks it (signature, expiry, claims),
        remembered until it expires."""
        token = self.token_cls.decode(
            encoded_token=encoded,
            secret=self.token_secret,
            algorithm=self.algorithm,
            audience=self.token_audience,
            issuer=self.token_issuer,
            require_claims=self.require_claims,
            verify_exp=self.verify_expiry,
            verify_nbf=self.verify_not_before,
            strict_audience=self.strict_audience,
        )
        if len(self._verified) >= MOST_REMEMBERED:
            self._verified.clear()
        self._verified[encoded] = token
        return token

    async def _authenticated(
        self, token: Token, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        """The token's actor, as Litestar's middleware finds it."""
        user = await self.retrieve_user_handler(token, connection)
        if not user or (
            self.revoked_token_handler and await self.revoked_token_handler(token, connection)
        ):
            raise NotAuthorizedException()
        return AuthenticationResult(user=user, auth=token)

    def _check_secret_token(self, encoded: str) -> None:
        if self.provider is None:
            return
        if not self.accept_secret:
            raise refused(f"it is signed with HS256; {self._accepted}")
        try:
            issuer = jwt.decode(encoded, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError:
            return  # unreadable: the secret's own check says why
        if issuer == self.provider.issuer:  # a public key used as an HMAC secret, say
            raise refused(f"a token from {issuer} must be signed with RS256 or ES256, not HS256")

    @property
    def _accepted(self) -> str:
        kinds = [f"RS256 or ES256 from {self.provider.issuer}"] if self.provider else []
        if self.accept_secret:
            kinds.append("HS256 signed with this service's secret")
        return f"this service accepts {' and '.join(kinds)}"


@dataclass
class BearerAuth(JWTAuth[Actor, Token]):
    """JWTAuth whose middleware also takes the issuer's tokens (`provider`), and in production
    may refuse the secret's (`accept_secret`)."""

    provider: IdentityProvider | None = None
    accept_secret: bool = True
    authentication_middleware_class: type[JWTAuthenticationMiddleware] = field(
        default=BearerMiddleware
    )

    @property
    def openapi_components(self) -> Components:
        """The bearer scheme as OpenAPI 3.1 has it (Litestar's own adds a `name`, which only an
        apiKey scheme may have), saying which tokens are taken."""
        scheme = SecurityScheme(
            type="http",
            scheme="bearer",
            bearer_format="JWT",
            description="A JWT signed with the service's secret (`polarity token`), or an RS256 "
            "or ES256 token from the configured OpenID Connect issuer; its roles say what it "
            "may read.",
        )
        return Components(security_schemes={self.openapi_security_scheme_name: scheme})

    @property
    def middleware(self) -> DefineMiddleware:
        define = super().middleware
        define.kwargs.update(provider=self.provider, accept_secret=self.accept_secret)
        return define
