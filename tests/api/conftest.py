"""Fixtures for tests over HTTP: the real app on the test database, and bearer tokens for it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from service.database import Database
from service.settings import Settings
from service.web import create_app, create_token

TEST_SETTINGS = Settings(
    environment="development",
    jwt_secret="polarity-api-tests-secret-0123456789abcdef",
    graphiql=True,
    introspection=True,
    snapshot_interval=5,
    rate_limit=None,  # tests that need limits turn them on
    rate_limit_address=None,
    audit_key="cG9sYXJpdHktYXBpLXRlc3RzLWF1ZGl0LWtleS0wMTI=",  # 32 bytes: never a dev key file
)

Client = TestClient[Litestar]


def bearer(sub: str, *roles: str) -> dict[str, str]:
    """The Authorization header of a token for `sub` with `roles`, signed for TEST_SETTINGS."""
    return {"Authorization": f"Bearer {create_token(TEST_SETTINGS, sub, roles)}"}


@contextmanager
def serving(settings: Settings, database: Database) -> Iterator[Client]:
    """A client of a fresh app, its lifespan entered: the application and read pool are open."""
    with TestClient(app=create_app(settings, database=database)) as client:
        yield client


@pytest.fixture(scope="session")
def settings() -> Settings:
    return TEST_SETTINGS


@pytest.fixture(scope="session")
def api(settings: Settings, database: Database) -> Iterator[Client]:
    """One app for the whole session: building it opens the application and a pool."""
    with serving(settings, database) as client:
        yield client
