"""The portal's pages, one module each: its GraphQL query, the view of the answer, and its
route handler (see overview.py); a page is registered by adding its handler here."""

from typing import Any

from portal.pages import overview

PAGES: list[Any] = [overview.overview]
