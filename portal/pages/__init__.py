"""The portal's pages, one module each, registered in PAGES.

A page is a module here (its GraphQL QUERY, and a handler that reads it as the reader and
returns `page(template, reader, ...)`: see overview.py), a template that extends base.html
(portal/templates), its handler added below, and its path added to PAGES in
tests/portal/conftest.py. README, "Adding a portal page", says more."""

from typing import Any

from portal.pages import audit, overview, work_item

PAGES: list[Any] = [overview.overview]
PAGES += [work_item.initiative, work_item.improvement]
PAGES += [audit.audit]
