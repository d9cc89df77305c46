"""Signing in and out of the portal with the API's bearer tokens, and what the session cookie
may and may not do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from playwright.sync_api import Page, expect

from portal.session import local_path
from tests.portal.conftest import PAGES, Portal, sign_in

pytestmark = pytest.mark.database


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in_and_then_back(
    page: Page, portal: Portal
) -> None:
    page.goto(portal.url("/?period=2026-Q1"))
    expect(page).to_have_url(portal.url("/sign-in?next=%2F%3Fperiod%3D2026-Q1"))

    page.fill("#token", portal.token("priya.shah", "steward"))
    page.click("form.sign-in button[type=submit]")

    expect(page).to_have_url(portal.url("/?period=2026-Q1"))
    expect(page.locator(".who .person")).to_have_text("priya.shah")
    expect(page.locator(".who .roles")).to_have_text("(steward)")


@pytest.mark.parametrize("path", sorted(PAGES.values()))
def test_no_page_shows_anything_to_a_visitor_who_is_not_signed_in(
    portal: Portal, path: str
) -> None:
    response = httpx.get(portal.url(path), follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=")


def test_signing_out_ends_the_session(page: Page, portal: Portal) -> None:
    sign_in(page, portal, "noah.keller", "auditor")

    page.click("text=Sign out")

    expect(page).to_have_url(portal.url("/sign-in"))
    assert [c for c in page.context.cookies() if c["name"] == "polarity_session"] == []
    page.goto(portal.url("/"))
    expect(page).to_have_url(portal.url("/sign-in?next=%2F"))


@pytest.mark.parametrize(
    ("token", "said"),
    [
        ("not a token at all", "This is not a token"),
        ("polarity token --sub priya.shah --role steward", "run it in a terminal"),
        (".venv/bin/polarity token --sub priya.shah --role steward", "run it in a terminal"),
        ("expired", "This token has expired"),
        ("foreign", "not signed by this Polarity service"),
        ("unknown role", "unknown roles"),
    ],
)
def test_a_token_the_api_would_refuse_leaves_the_visitor_signed_out_and_told_why(
    page: Page, portal: Portal, token: str, said: str
) -> None:
    page.goto(portal.url("/sign-in"))
    page.fill("#token", a_bad_token(portal, token))
    page.click("form.sign-in button[type=submit]")

    expect(page).to_have_url(portal.url("/sign-in"))
    expect(page.get_by_role("alert")).to_contain_text(said)
    assert [c for c in page.context.cookies() if c["name"] == "polarity_session"] == []


def a_bad_token(portal: Portal, kind: str) -> str:
    claims = {"sub": "priya.shah", "iat": datetime.now(UTC), "extras": {"roles": ["steward"]}}
    if kind == "expired":
        signed = {**claims, "exp": datetime.now(UTC) - timedelta(minutes=1)}
        return jwt.encode(signed, portal.settings.jwt_secret, algorithm="HS256")
    if kind == "foreign":
        signed = {**claims, "exp": datetime.now(UTC) + timedelta(hours=1)}
        return jwt.encode(signed, "someone-elses-secret-0123456789abcdef", algorithm="HS256")
    if kind == "unknown role":
        return portal.token("priya.shah", "emperor")
    return kind


def test_the_session_is_an_http_only_strict_cookie_that_expires_with_its_token(
    page: Page, portal: Portal
) -> None:
    token = portal.token("priya.shah", "steward", lifetime=timedelta(minutes=30))
    page.goto(portal.url("/sign-in"))
    page.fill("#token", token)
    page.click("form.sign-in button[type=submit]")

    (session,) = [c for c in page.context.cookies() if c["name"] == "polarity_session"]
    assert session["value"] == token
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Strict"
    assert session["secure"] is False  # plain http here; over https it is Secure
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    assert abs(session["expires"] - expires) < 5


def test_a_form_sent_without_its_csrf_token_is_refused(page: Page, portal: Portal) -> None:
    sign_in(page, portal, "priya.shah", "steward")
    page.locator("form[action='/sign-out'] input[name=_csrf_token]").evaluate("e => e.remove()")

    page.click("text=Sign out")

    expect(page.locator("h1")).to_have_text("Form refused")
    page.goto(portal.url("/"))
    expect(page).to_have_url(portal.url("/"))  # still signed in: the sign-out was refused


def test_every_form_that_posts_carries_a_csrf_token(page: Page, portal: Portal) -> None:
    page.goto(portal.url("/sign-in"))
    sign_in(page, portal, "priya.shah", "steward")

    for path in ("/sign-in", "/"):
        page.goto(portal.url(path))
        forms = page.locator("form[method=post]")
        assert forms.count() > 0
        for form in forms.all():
            assert len(form.locator("input[name=_csrf_token]").get_attribute("value") or "") > 64


def test_a_post_from_another_site_is_refused_even_with_the_session(portal: Portal) -> None:
    cookies = {"polarity_session": portal.token("priya.shah", "steward")}
    response = httpx.post(portal.url("/sign-out"), cookies=cookies, follow_redirects=False)
    assert response.status_code == 403
    assert "Form refused" in response.text


def test_the_api_does_not_take_the_session_cookie_for_a_bearer_token(portal: Portal) -> None:
    cookies = {"polarity_session": portal.token("priya.shah", "steward")}
    response = httpx.post(
        portal.url("/graphql"), json={"query": "{ viewer { id } }"}, cookies=cookies
    )
    assert response.status_code == 401
    token = portal.token("priya.shah", "steward")
    assert portal.graphql("{ viewer { id } }", token) == {"viewer": {"id": "priya.shah"}}


def test_signing_in_never_leads_off_the_site(page: Page, portal: Portal) -> None:
    page.goto(portal.url("/sign-in?next=//example.org/phish"))
    page.fill("#token", portal.token("priya.shah", "steward"))
    page.click("form.sign-in button[type=submit]")

    expect(page).to_have_url(portal.url("/"))


@pytest.mark.parametrize(
    ("given", "goes_to"),
    [
        ("/portfolio?stage=DO", "/portfolio?stage=DO"),
        ("/initiatives/1b2c", "/initiatives/1b2c"),
        ("//example.org", "/"),
        ("/\\example.org", "/"),
        ("https://example.org/", "/"),
        ("javascript:alert(1)", "/"),
        ("/\r\nSet-Cookie: x=1", "/"),
        ("/sign-in?next=/", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_the_page_after_sign_in_is_a_path_on_this_site(given: str | None, goes_to: str) -> None:
    assert local_path(given) == goes_to
