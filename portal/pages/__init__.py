"""The portal's pages, one module each, registered in PAGES.

A page is a module here (its GraphQL QUERY, and a handler that reads it as the reader and
returns `page(template, reader, ...)`: see overview.py), a template that extends base.html
(portal/templates), its handler added below, and its path added to PAGES in
tests/portal/conftest.py. README, "Adding a portal page", says more.

`make bench` (benchmarks/portal.py) times each page here beside the read of the same figures
over the API, by what its module declares: QUERY, the read, sent to POST /graphql with
VARIABLES (optional: the variables the page reads with when opened at its path without
parameters), against GET of the page's path. A page whose path takes parameters (a work item's
id) also declares `example(read)`: given `read(query, **variables)`, which returns a query's
data as an admin reads it over the API, the path of one such page on the demo and the
variables its QUERY takes there. A page with no QUERY is listed as not measured."""

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
