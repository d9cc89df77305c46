"""Signing in with a bearer token the API takes: pasted, or (portal/provider.py) obtained from
the OpenID Connect issuer the service trusts.

The session is an HttpOnly, SameSite=Strict cookie (Secure over https) that holds the token
itself: every request checks it exactly as the API checks a bearer token (the same JWT
middleware's code and settings), so the session ends when the token does and carries the same
roles. Only the portal's routes read the cookie; the API still takes nothing but the
Authorization header."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from litestar import Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST
from litestar.types import Receive, Scope, Send

from domain.values import Actor
from portal.layout import Link, page

SESSION_COOKIE = "polarity_session"
SIGN_IN = "/sign-in"
PROVIDER_SIGN_IN = "/sign-in/provider"  # portal/provider.py
HOME = "/"
MOST_TOKEN_CHARACTERS = 8_000  # far above any token we sign; a longer paste is not a token

Connection = ASGIConnection[Any, Any, Any, Any]


class SignInRequired(Exception):
    """No session, or one whose token no longer holds: the visitor is asked to sign in."""


class Verifier:
    """The API's token check, applied to a token that came from the session cookie."""

    def __init__(self, auth: JWTAuth[Actor, Token]) -> None:
        define = auth.middleware
        built = define.middleware(*define.args, app=_never, **define.kwargs)
        assert isinstance(built, JWTAuthenticationMiddleware)  # JWTAuth's, the API's own
        self._middleware = built

    async def __call__(self, encoded: str, connection: Connection) -> tuple[Actor, Token]:
        """The actor and token, or NotAuthorizedException saying why the token fails."""
        result = await self._middleware.authenticate_token(encoded, connection)
        return result.user, result.auth


async def _never(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("the verifier's middleware never passes a request on")


def local_path(given: str | None) -> str:
    """Where to go after signing in: a path on this site, else the Overview (no open redirect)."""
    if not given or not given.startswith("/") or given.startswith("//") or "\\" in given:
        return HOME
    if any(ord(character) < 0x20 or ord(character) == 0x7F for character in given):
        return HOME
    parts = urlsplit(given)
    if parts.scheme or parts.netloc or given.startswith(SIGN_IN):
        return HOME
    return given


def to_sign_in(request: Request[Any, Any, Any], _: SignInRequired) -> Response[Any]:
    """Send the visitor to the sign-in page, to come back here afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = Redirect(f"{SIGN_IN}?{urlencode({'next': here})}", status_code=HTTP_303_SEE_OTHER)
    if SESSION_COOKIE in request.cookies:  # a token that expired or no longer verifies
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def why_refused(error: NotAuthorizedException) -> str:
    """What the person signing in should know about a token the API would not take."""
    cause = error.__cause__
    if isinstance(cause, jwt.ExpiredSignatureError):
        return "This token has expired. Mint a new one (polarity token) and paste it here."
    if isinstance(cause, jwt.InvalidSignatureError):
        return "This token was not signed by this Polarity service (wrong secret)."
    if isinstance(cause, jwt.DecodeError):
        return "This is not a token: paste the whole line that polarity token printed."
    return f"The token was refused: {error.detail}."


def signed_in(
    request: Request[Any, Any, Any],
    token: Token,
    encoded: str,
    next_path: str,
    response: Response[Any] | None = None,
) -> Response[Any]:
    """Signed in: the cookie holds the token until it expires, then the browser drops it. The
    response is a redirect to `next_path` unless another is given."""
    if response is None:
        response = Redirect(next_path, status_code=HTTP_303_SEE_OTHER)
    lifetime = int((token.exp - datetime.now(UTC)).total_seconds())
    response.set_cookie(
        SESSION_COOKIE,
        encoded,
        max_age=max(lifetime, 1),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@dataclass(frozen=True)
class Choices:
    """How the sign-in page offers to sign in: at the issuer, by pasting a token, or both."""

    provider: str | None = None  # "Sign in with <provider>"
    token_form: bool = True
    signed_out_at: str | None = None  # the provider's end-session URL, offered after sign-out


def sign_in_form(
    error: str | None = None,
    next_path: str = HOME,
    status: int = 200,
    choices: Choices = Choices(),
    signed_out: bool = False,
) -> Template:
    return page(
        "sign_in.html",
        None,
        title="Sign in",
        crumbs=[Link("Sign in")],
        status=status,
        error=error,
        next=next_path,
        provider=choices.provider,
        provider_href=f"{PROVIDER_SIGN_IN}?{urlencode({'next': next_path})}",
        token_form=choices.token_form,
        end_session=choices.signed_out_at if signed_out else None,
    )


Verify = Callable[[str, Connection], Awaitable[tuple[Actor, Token]]]
ChoicesFor = Callable[[Request[Any, Any, Any]], Choices]


def session_routes(verify: Verify, choices: ChoicesFor = lambda _: Choices()) -> list[Any]:
    """GET and POST /sign-in, POST /sign-out; `choices` says what the sign-in page offers."""

    @get(SIGN_IN, name="sign_in")
    async def show_sign_in(
        request: Request[Any, Any, Any],
        next: FromQuery[str | None] = None,
        signed_out: FromQuery[bool] = False,
    ) -> Template:
        return sign_in_form(
            next_path=local_path(next), choices=choices(request), signed_out=signed_out
        )

    @post(SIGN_IN, name="sign_in_post", status_code=HTTP_303_SEE_OTHER)
    async def sign_in(
        request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, str]]
    ) -> Response[Any]:
        next_path = local_path(data.get("next"))
        offer = choices(request)
        encoded = data.get("token", "").strip().removeprefix("Bearer ").strip()
        if not encoded or len(encoded) > MOST_TOKEN_CHARACTERS:
            said = "Paste a bearer token to sign in."
            return sign_in_form(said, next_path, HTTP_400_BAD_REQUEST, offer)
        if "polarity token" in encoded:  # the command, perhaps with its path, not what it printed
            said = "That is the command: run it in a terminal, then paste the token it prints."
            return sign_in_form(said, next_path, HTTP_400_BAD_REQUEST, offer)
        try:
            _, token = await verify(encoded, request)
        except NotAuthorizedException as error:
            return sign_in_form(why_refused(error), next_path, HTTP_400_BAD_REQUEST, offer)
        return signed_in(request, token, encoded, next_path)

    @post("/sign-out", name="sign_out", status_code=HTTP_303_SEE_OTHER)
    async def sign_out(request: Request[Any, Any, Any]) -> Response[Any]:
        """End the portal's session; the sign-in page then offers to sign out at the provider
        too, when it has an end-session endpoint."""
        there = choices(request).signed_out_at
        to = f"{SIGN_IN}?signed_out=true" if there else SIGN_IN
        response = Redirect(to, status_code=HTTP_303_SEE_OTHER)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return [show_sign_in, sign_in, sign_out]
