"""Screenshots of every page at 1280 and 375 px, written by the test run (screenshot_dir())."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.portal.conftest import PAGES, SEES_EVERY_PAGE, WIDTHS, Portal, photograph, sign_in

pytestmark = pytest.mark.database


def test_every_page_is_photographed_at_both_widths(
    page: Page, portal: Portal, page_paths: dict[str, str]
) -> None:
    page.goto(portal.url("/sign-in"))
    taken = photograph(page, "sign-in")
    sign_in(page, portal, *SEES_EVERY_PAGE)
    for name, path in page_paths.items():
        page.goto(portal.url(path))
        taken += photograph(page, name)

    assert len(taken) == (len(PAGES) + 1) * len(WIDTHS)
    assert all(shot.stat().st_size > 10_000 for shot in taken)
