"""Downloads (/downloads): every CSV export the service offers, and the decision log as its
page filters it (/decisions.csv), downloadable from the browser while signed in. Each is what
the API's export code sends (service/exports.py streams both) and follows the same roles; only
the session cookie stands in for the bearer header. (No QUERY here: these read no GraphQL.)"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.response import Template

from portal.layout import Link, page
from portal.pages import decisions
from portal.reading import Reader, ReadRefused
from service import access_log, exports

ACCESS_LOG = "access_log"


@get("/downloads", name="downloads")
async def downloads(reader: NamedDependency[Reader]) -> Template:
    return page(
        "downloads.html",
        reader,
        title="Downloads",
        crumbs=[Link("Downloads")],
        views=list(exports.exportable().values()),
        refused=exports.refusal(reader.actor, exports.EXPORTERS, "CSV exports"),
        access_log=reader.holds(*access_log.AUDITED_ROLES),
        exporters=sorted(exports.EXPORTERS),
    )


@get("/downloads/{filename:str}", name="download")
async def download(reader: NamedDependency[Reader], state: State, filename: str) -> Response[Any]:
    """One export as CSV, for a reader whose roles the API's export would serve."""
    name = filename.removesuffix(".csv")
    if name == ACCESS_LOG and filename != name:
        allowed(reader, access_log.AUDITED_ROLES, "the access log")
        return await exports.access_log_download(state)
    allowed(reader, exports.EXPORTERS, "CSV exports")
    view = exports.exportable().get(name) if filename != name else None
    if view is None:
        raise ReadRefused("INVALID_ID", f"There is no download called {filename}.")
    return await exports.view_csv(state, view)


@get("/decisions.csv", name="decisions_csv")
async def decisions_csv(
    reader: NamedDependency[Reader], request: Request[Any, Any, Any], state: State
) -> Response[Any]:
    """The decisions the decision log's filters select, oldest first, as the API's export of
    the decision log writes them: the v1 view's columns and its formula-safe cells."""
    allowed(reader, exports.EXPORTERS, "CSV exports")
    filters = decisions.checked(request.query_params)
    if filters.problems:
        raise ReadRefused("BAD_USER_INPUT", " ".join(filters.problems))
    return await exports.decision_log_csv(state, **filters.keywords())


def allowed(reader: Reader, roles: frozenset[str], what: str) -> None:
    """Nothing if the reader holds one of `roles`; else the page that says which they need."""
    if said := exports.refusal(reader.actor, roles, what):
        raise ReadRefused("FORBIDDEN", said)
