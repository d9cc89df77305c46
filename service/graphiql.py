"""GraphiQL without a CDN: its page, and the vendored browser builds that the page loads."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

HERE = Path(__file__).parent
ASSETS = HERE / "static" / "graphiql"
ASSETS_PATH = "/static/graphiql"
# Each file's path names its package's version, so a browser may keep it until the version changes.
A_YEAR = 365 * 24 * 60 * 60


@cache
def page() -> str:
    """The GraphiQL page, whose scripts and styles all come from `ASSETS_PATH`."""
    return (HERE / "graphiql.html").read_text(encoding="utf-8")


def assets() -> Router:
    """Serves the vendored builds to anyone: like the page, they hold no data."""
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[ASSETS],
        name="graphiql-assets",
        cache_control=CacheControlHeader(max_age=A_YEAR, public=True, immutable=True),
        opt={"exclude_from_auth": True},
    )
