"""A page whose read the API refuses says why, in the layout, with the API's status: a reader
without the role a page needs is told which roles it needs, and nothing breaks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
from litestar import Litestar, Request, get
from litestar.di import NamedDependency
from litestar.response import Template
from litestar.testing import TestClient

from portal import Portal
from portal.layout import Link, page
from portal.reading import Reader
from schema.context import RequestContext
from service.web import create_token, jwt_auth
from tests.portal.conftest import PORTAL_SETTINGS

CHECKPOINTS = "{ auditCheckpoints { position } }"


@get("/checkpoints-probe")
async def checkpoints(reader: NamedDependency[Reader]) -> Template:
    """A page that reads what only auditors and admins may read."""
    data = await reader.read(CHECKPOINTS)
    return page("refused.html", reader, title="Probe", crumbs=[Link("Probe")], **data)


async def no_storage(request: Request[Any, Any, Any]) -> RequestContext:
    """The API's context for the request, without the storage a refused read never reaches."""
    return RequestContext(
        app=cast(Any, None), pool=cast(Any, None), actor=request.user, request_id="probe",
        settings=PORTAL_SETTINGS,
    )  # fmt: skip


@pytest.fixture
def client() -> Iterator[TestClient[Litestar]]:
    portal = Portal(PORTAL_SETTINGS, jwt_auth(PORTAL_SETTINGS), no_storage, pages=[checkpoints])
    with TestClient(Litestar(plugins=[portal])) as test_client:
        yield test_client


def signed_in_as(client: TestClient[Litestar], sub: str, *roles: str) -> None:
    client.cookies.set("polarity_session", create_token(PORTAL_SETTINGS, sub, roles))


def test_a_reader_without_the_role_a_page_needs_is_told_which_roles_it_needs(
    client: TestClient[Litestar],
) -> None:
    signed_in_as(client, "lena.fischer", "contributor")

    response = client.get("/checkpoints-probe")

    assert response.status_code == 403
    assert "<title>Not for your roles · Polarity</title>" in response.text
    assert "Only these roles may read the audit checkpoints: admin, auditor." in response.text
    assert "You are signed in as lena.fischer with the roles contributor." in response.text
    assert 'aria-label="Breadcrumb"' in response.text
    assert 'action="/sign-out"' in response.text  # the layout, with a way out


def test_a_refused_read_still_needs_a_session_first(client: TestClient[Litestar]) -> None:
    response = client.get("/checkpoints-probe", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fcheckpoints-probe"
