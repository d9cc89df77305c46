"""The portal's pages, one module each, registered in PAGES.

A page is a module here (its GraphQL QUERY, and a handler that reads it as the reader and
returns `page(template, reader, ...)`: see overview.py), a template that extends base.html
(portal/templates), its handler added below, and its path added to PAGES in
tests/portal/conftest.py. README, "Adding a portal page", says more."""

from typing import Any

from portal.pages import (
    alignment,
    audit,
    capacity,
    decisions,
    downloads,
    kaizen,
    overview,
    pipeline,
    portfolio,
    work_item,
)

PAGES: list[Any] = [
    overview.overview,
    portfolio.portfolio,
    downloads.downloads,
    downloads.download,
    decisions.decisions,
    downloads.decisions_csv,
    pipeline.pipeline,
    capacity.capacity,
    kaizen.kaizen,
    alignment.alignment,
    work_item.initiative,
    work_item.improvement,
    audit.audit,
]
