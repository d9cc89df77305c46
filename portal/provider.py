"""Signing in at the OpenID Connect issuer the service trusts: the authorization code flow with
PKCE, state and nonce, through authlib's OAuth2Session.

GET /sign-in/provider sends the browser to the provider's authorization endpoint; the state,
nonce and PKCE verifier wait in a short-lived signed cookie of their own. GET /sign-in/callback
checks the state, exchanges the code (with the verifier) at the token endpoint, checks the ID
token's signature, audience (our client id) and nonce, and then keeps, as the same session a
pasted token makes (portal/session.py), the first of the access token and the ID token that the
API itself accepts: the session is then exactly what the API would let this person do."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from secrets import compare_digest
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from anyio import to_thread
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from litestar import Request, Response, get
from litestar.exceptions import NotAuthorizedException, ServiceUnavailableException
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from portal.layout import Link, page
from portal.session import (
    PROVIDER_SIGN_IN,
    SIGN_IN,
    Choices,
    Verify,
    local_path,
    sign_in_form,
    signed_in,
)
from service.identity import IdentityProvider, ProviderMetadata
from service.settings import Settings

CALLBACK = "/sign-in/callback"
FLOW_COOKIE = "polarity_sign_in"
FLOW_LIFETIME = timedelta(minutes=10)
SCOPE = "openid profile email"
HTTP_TIMEOUT_SECONDS = 10
MOST_REASON_CHARACTERS = 200  # of the provider's error_description, shown to the person


class SignInFailed(Exception):
    """The flow cannot end in a session: the sentence says why, to the person signing in."""


def choices(
    settings: Settings, provider: IdentityProvider | None, request: Request[Any, Any, Any]
) -> Choices:
    """What the sign-in page offers: the provider when the portal is its client; the token
    form too, except in production (where people sign in at the provider); and after signing
    out, the provider's own sign-out, once its discovery document is known."""
    if provider is None or not settings.portal_signs_in_at_issuer:
        return Choices()
    metadata = provider.known_metadata
    back_to = str(request.base_url).rstrip("/") + SIGN_IN
    return Choices(
        provider=provider.name,
        token_form=not settings.is_production,
        signed_out_at=end_session_url(metadata, settings, back_to) if metadata else None,
    )


def provider_routes(settings: Settings, provider: IdentityProvider, verify: Verify) -> list[Any]:
    """GET /sign-in/provider and GET /sign-in/callback."""
    key = hmac.new(settings.jwt_secret.encode(), b"polarity sign-in flow", hashlib.sha256).digest()

    def failed(
        request: Request[Any, Any, Any], reason: str, next_path: str, status: int = 400
    ) -> Template:
        return sign_in_form(reason, next_path, status, choices(settings, provider, request))

    @get(PROVIDER_SIGN_IN, name="sign_in_provider")
    async def start(request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Any:
        next_path = local_path(next)
        try:
            metadata = await provider_metadata(provider)
        except SignInFailed as error:
            return failed(request, str(error), next_path, 503)
        flow = {
            "state": generate_token(32),
            "nonce": generate_token(32),
            "verifier": generate_token(64),  # PKCE: 64 characters of [A-Za-z0-9]
            "next": next_path,
            "exp": datetime.now(UTC) + FLOW_LIFETIME,
        }
        with client(settings, redirect_uri(request)) as oauth:
            url, _ = oauth.create_authorization_url(
                metadata.authorization_endpoint,
                state=flow["state"],
                code_verifier=flow["verifier"],
                nonce=flow["nonce"],
            )
        response = Redirect(url, status_code=HTTP_303_SEE_OTHER)
        response.set_cookie(
            FLOW_COOKIE,
            jwt.encode(flow, key, algorithm="HS256"),
            max_age=int(FLOW_LIFETIME.total_seconds()),
            path=CALLBACK,
            httponly=True,
            samesite="lax",  # the provider sends the browser back here: a cross-site navigation
            secure=request.url.scheme == "https",
        )
        return response

    @get(CALLBACK, name="sign_in_callback")
    async def callback(request: Request[Any, Any, Any]) -> Any:
        # Read by hand: Litestar reserves the parameter name `state` for the app's state.
        code, state, error, error_description = (
            request.query_params.get(name)
            for name in ("code", "state", "error", "error_description")
        )
        try:
            flow = jwt.decode(request.cookies.get(FLOW_COOKIE, ""), key, algorithms=["HS256"])
        except jwt.PyJWTError:
            flow = None
        next_path = local_path(flow.get("next") if flow else None)
        try:
            if error:
                said = (error_description or error)[:MOST_REASON_CHARACTERS]
                raise SignInFailed(f"{provider.name} did not sign you in: {said}.")
            if flow is None or not state or not compare_digest(state, str(flow["state"])):
                raise SignInFailed(
                    "This sign-in was not started here, or took longer than ten minutes. "
                    "Start again."
                )
            if not code:
                raise SignInFailed(f"{provider.name} sent no authorization code. Start again.")
            encoded, token = await finish(settings, provider, verify, request, code, flow)
        except SignInFailed as failure:
            response: Response[Any] = failed(request, str(failure), next_path)
        else:
            # The cookie is SameSite=Strict, and this request came from the provider's site:
            # a redirect from here would not carry it. A page of ours that moves on does.
            moving_on = page(
                "signed_in.html",
                None,
                title="Signed in",
                crumbs=[Link("Sign in", SIGN_IN), Link("Signed in")],
                next=next_path,
            )
            moving_on.headers["Refresh"] = f"0; url={next_path}"
            response = signed_in(request, token, encoded, next_path, moving_on)
        response.delete_cookie(FLOW_COOKIE, path=CALLBACK)
        return response

    return [start, callback]


async def provider_metadata(provider: IdentityProvider) -> ProviderMetadata:
    """The provider's endpoints for signing in; SignInFailed when they cannot be had."""
    try:
        metadata = await to_thread.run_sync(provider.metadata)
    except ServiceUnavailableException:
        raise SignInFailed(f"{provider.name} cannot be reached just now. Try again soon.") from None
    if not (metadata.authorization_endpoint and metadata.token_endpoint):
        raise SignInFailed(f"{provider.name} does not say where to sign in (its discovery).")
    return metadata


def client(settings: Settings, redirect: str) -> OAuth2Session:
    return OAuth2Session(
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        token_endpoint_auth_method="client_secret_basic" if settings.oidc_client_secret else "none",
        scope=SCOPE,
        redirect_uri=redirect,
        code_challenge_method="S256",
    )


def redirect_uri(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/") + CALLBACK


async def finish(
    settings: Settings,
    provider: IdentityProvider,
    verify: Verify,
    request: Request[Any, Any, Any],
    code: str,
    flow: dict[str, Any],
) -> tuple[str, Any]:
    """Exchange the code, check the ID token, and return the token the session keeps."""
    metadata = await provider_metadata(provider)

    def exchange() -> dict[str, Any]:
        with client(settings, redirect_uri(request)) as oauth:
            tokens: dict[str, Any] = oauth.fetch_token(
                metadata.token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=flow["verifier"],
                timeout=HTTP_TIMEOUT_SECONDS,
            )
            return tokens

    try:
        tokens = await to_thread.run_sync(exchange)
    except OAuthError as error:
        said = error.description or error.error
        raise SignInFailed(f"{provider.name} refused the sign-in: {said}. Start again.") from None
    except requests.RequestException:
        raise SignInFailed(f"{provider.name} cannot be reached just now. Try again soon.") from None
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        raise SignInFailed(f"{provider.name} sent no ID token: is the scope openid allowed?")
    try:
        identity = await provider.claims(id_token, audience=settings.oidc_client_id)
    except NotAuthorizedException as refusal:
        said = refusal.detail
        raise SignInFailed(f"{provider.name} sent an ID token we cannot accept: {said}") from None
    if not compare_digest(str(identity.get("nonce", "")), str(flow["nonce"])):
        raise SignInFailed("The ID token was not issued for this sign-in (nonce). Start again.")
    reasons = []
    for candidate in (tokens.get("access_token"), id_token):
        if not isinstance(candidate, str):
            continue
        try:
            _, token = await verify(candidate, request)
        except NotAuthorizedException as refusal:
            reasons.append(refusal.detail)
            continue
        return candidate, token
    raise SignInFailed(
        f"{provider.name} signed you in, but Polarity's API accepts none of the tokens it sent "
        f"({'; '.join(reasons)}). Its access token or ID token must name an audience of "
        f"POLARITY_JWT_AUDIENCE ({settings.jwt_audience})."
    )


def end_session_url(metadata: ProviderMetadata, settings: Settings, back_to: str) -> str | None:
    """The provider's sign-out page, coming back to `back_to` afterwards."""
    if not metadata.end_session_endpoint:
        return None
    query = {"client_id": settings.oidc_client_id or "", "post_logout_redirect_uri": back_to}
    return f"{metadata.end_session_endpoint}?{urlencode(query)}"
