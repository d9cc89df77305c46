"""Signing in at the OpenID Connect provider, in Chromium: the portal, as the provider's client,
runs the authorization code flow with PKCE, state and nonce against a provider the test serves
on localhost (another site than the portal's 127.0.0.1), and the person lands on the Overview
signed in with the name and roles the provider gave them."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from service.database import Database
from service.demo import DemoPortfolio
from service.settings import Settings
from service.web import create_app
from tests.identity_provider import API_AUDIENCE, CLIENT_ID, Provider, serve
from tests.portal.conftest import (
    PORTAL_SETTINGS,
    Portal,
    photograph,
    serious_violations,
    served,
)


def at_issuer(provider: Provider, **changes: Any) -> Settings:
    """The portal's settings, as the provider's public client; roles as Keycloak puts them."""
    return replace(
        PORTAL_SETTINGS,
        jwt_issuer=provider.issuer,
        jwt_audience=API_AUDIENCE,
        jwt_roles_claim="realm_access.roles",
        oidc_client_id=CLIENT_ID,
        projections_inline=False,  # the demo's views are caught up; nothing is written here
        **changes,
    )


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with serve() as running:
        yield running


@pytest.fixture(scope="module")
def portal(provider: Provider, demo_database: tuple[Database, DemoPortfolio]) -> Iterator[Portal]:
    """The service served as the provider's client (this module's own `portal`)."""
    database, made = demo_database
    settings = at_issuer(provider)
    with served(create_app(settings, database=database)) as base:
        yield Portal(base, settings, made)


def test_signing_in_at_the_provider_lands_on_the_overview_as_its_person(
    page: Page, portal: Portal, provider: Provider
) -> None:
    page.goto(portal.url("/"))
    expect(page).to_have_url(portal.url("/sign-in?next=%2F"))

    page.click(f"text=Sign in with {provider.host}")

    expect(page).to_have_url(portal.url("/"))
    expect(page.locator(".who .person")).to_have_text("Priya Shah")
    expect(page.locator(".who .roles")).to_have_text("(steward, auditor)")
    expect(page.locator("h1")).to_have_text("Overview")
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert cookies["polarity_session"]["httpOnly"]
    assert cookies["polarity_session"]["sameSite"] == "Strict"
    assert "polarity_sign_in" not in cookies  # the flow's state is gone once used
    exchange = {name: values[0] for name, values in provider.token_requests[-1].items()}
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["client_id"] == CLIENT_ID  # a public client: PKCE, no secret
    assert len(exchange["code_verifier"]) >= 43


def test_the_sign_in_page_offers_the_provider_beside_the_token_form(
    page: Page, portal: Portal, provider: Provider
) -> None:
    page.goto(portal.url("/sign-in"))

    expect(page.get_by_role("link", name=f"Sign in with {provider.host}")).to_be_visible()
    expect(page.locator("#token")).to_be_visible()
    assert serious_violations(page) == []
    photograph(page, "sign-in-with-provider")


def test_signing_out_offers_to_sign_out_at_the_provider_too(
    page: Page, portal: Portal, provider: Provider
) -> None:
    page.goto(portal.url("/sign-in"))
    page.click(f"text=Sign in with {provider.host}")
    expect(page).to_have_url(portal.url("/"))

    page.click("text=Sign out")

    expect(page).to_have_url(portal.url("/sign-in?signed_out=true"))
    there = page.get_by_role("link", name="sign out there too").get_attribute("href") or ""
    assert there.startswith(f"{provider.issuer}/logout?")
    assert parse_qs(urlsplit(there).query) == {
        "client_id": [CLIENT_ID],
        "post_logout_redirect_uri": [portal.url("/sign-in")],
    }
    page.goto(portal.url("/"))
    expect(page).to_have_url(portal.url("/sign-in?next=%2F"))


def started(portal: Portal, client: httpx.Client) -> str:
    """Start a sign-in and follow it to the provider: the callback URL it sends back."""
    to_provider = client.get(portal.url("/sign-in/provider"))
    assert to_provider.status_code == 303
    approved = httpx.get(to_provider.headers["location"])
    assert approved.status_code == 200, approved.text
    found = re.search(r'id="back" href="([^"]+)"', approved.text)
    assert found is not None
    return html.unescape(found.group(1))


def test_a_callback_whose_state_was_not_issued_here_is_refused(portal: Portal) -> None:
    with httpx.Client() as client:
        callback = started(portal, client)
        forged = callback.replace("state=", "state=forged")

        response = client.get(forged)

    assert response.status_code == 400
    assert "This sign-in was not started here" in response.text
    assert "polarity_session" not in response.cookies


def test_a_callback_in_a_browser_that_did_not_start_the_sign_in_is_refused(
    portal: Portal,
) -> None:
    with httpx.Client() as client:
        callback = started(portal, client)
    with httpx.Client() as other:  # no flow cookie: a link sent to someone else, say
        response = other.get(callback)

    assert response.status_code == 400
    assert "This sign-in was not started here" in response.text


def test_a_refusal_by_the_provider_is_shown_on_the_sign_in_page(portal: Portal) -> None:
    with httpx.Client() as client:
        callback = started(portal, client)
        state = parse_qs(urlsplit(callback).query)["state"][0]
        response = client.get(
            portal.url("/sign-in/callback"),
            params={"error": "access_denied", "error_description": "you said no", "state": state},
        )

    assert response.status_code == 400
    assert "did not sign you in: you said no." in response.text


def test_in_production_the_sign_in_page_offers_only_the_provider(
    provider: Provider, demo_database: tuple[Database, DemoPortfolio]
) -> None:
    database, _ = demo_database
    with served(create_app(at_issuer(provider, environment="production"), database)) as base:
        page = httpx.get(f"{base}/sign-in")

    assert f"Sign in with {provider.host}" in page.text
    assert 'id="token"' not in page.text


def test_a_session_that_cannot_be_checked_while_the_provider_is_away_is_a_page_saying_so(
    demo_database: tuple[Database, DemoPortfolio],
) -> None:
    database, _ = demo_database
    with serve() as away:
        token = away.token()
        settings = at_issuer(away)
    # The provider is gone before the service first needs its keys.
    with served(create_app(settings, database)) as base:
        response = httpx.get(f"{base}/", cookies={"polarity_session": token})

    assert response.status_code == 503
    assert "Your session cannot be checked just now" in response.text
    assert f"The identity provider {away.issuer} cannot be reached" in response.text
