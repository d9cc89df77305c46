"""Every page passes axe-core with no serious or critical violation, at both widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.portal.conftest import (
    PAGES,
    SEES_EVERY_PAGE,
    WIDTHS,
    Portal,
    serious_violations,
    sign_in,
)

pytestmark = pytest.mark.database


@pytest.mark.parametrize("width", WIDTHS)
def test_the_sign_in_page_and_its_error_pass_axe(page: Page, portal: Portal, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(portal.url("/sign-in"))
    assert serious_violations(page) == []

    page.fill("#token", "not a token")
    page.click("form.sign-in button[type=submit]")
    page.get_by_role("alert").wait_for()
    assert serious_violations(page) == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_page_passes_axe(
    page: Page, portal: Portal, page_paths: dict[str, str], name: str, width: int
) -> None:
    sign_in(page, portal, *SEES_EVERY_PAGE)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(portal.url(page_paths[name]))
    assert serious_violations(page) == []
