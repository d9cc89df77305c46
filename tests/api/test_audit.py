"""The audit trail's proofs over HTTP: checkpoints and integrity for auditors and admins, the
public key for anyone, and the integrity state in /ready's body."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from service.cli import main
from service.database import Database
from service.settings import Settings
from tests.api.conftest import Client, bearer, serving
from tests.api.graphql import Caller

pytestmark = pytest.mark.database

AUDITOR = bearer("audrey", "auditor")
CONTRIBUTOR = bearer("connie", "contributor")
CHECKPOINT = "position hash time keyId signature"
INTEGRITY = f"""auditIntegrity {{ state verifiedThrough head breaks {{ position kind }}
    lastCheckpoint {{ {CHECKPOINT} }} }}"""


@pytest.fixture
def client(settings: Settings, own_database: Database) -> Iterator[Client]:
    """The app on a store of its own, holding two proposals (positions 1 and 2)."""
    with serving(settings, own_database) as client:
        steward = Caller(client, bearer("stella", "steward"))
        for title in ("Enter the Nordic market", "Digitise the plant"):
            steward.ok("initiativePropose", title=title, problem="p", orgUnit="Sales")
        yield client


def sign_head(settings: Settings, database: Database) -> dict[str, Any]:
    """`polarity audit checkpoint`, as an operator runs it beside the service."""
    assert settings.audit_key
    runner = CliRunner(env={"POLARITY_AUDIT_KEY": settings.audit_key})
    printed = runner.invoke(main, ["--database-url", database.url, "audit", "checkpoint"])
    assert printed.exit_code == 0, printed.output
    signed: dict[str, Any] = json.loads(printed.stdout)
    return signed


def test_an_auditor_reads_the_signed_checkpoints_and_verifies_them_with_the_published_key(
    client: Client, settings: Settings, own_database: Database
) -> None:
    printed = sign_head(settings, own_database)

    served = client.get("/audit/checkpoints", headers=AUDITOR)
    published = client.get("/audit/public-key")  # no token: the key is published
    graphql = Caller(client, AUDITOR).query(f"{{ auditCheckpoints {{ {CHECKPOINT} }} }}")

    assert served.status_code == 200
    (kept,) = served.json()
    assert kept == printed
    assert kept["position"] == 2
    key = serialization.load_pem_public_key(published.content)
    assert isinstance(key, Ed25519PublicKey)
    text = f"polarity-checkpoint/1 {kept['position']} {kept['hash']} {kept['time']}"
    key.verify(base64.b64decode(kept["signature"]), text.encode())
    assert published.headers["X-Key-Id"] == kept["keyId"]
    assert graphql["auditCheckpoints"] == [{k: v for k, v in kept.items() if k != "format"}]


def test_an_auditor_reads_the_integrity_of_the_chain(
    client: Client, settings: Settings, own_database: Database
) -> None:
    sign_head(settings, own_database)

    integrity = Caller(client, AUDITOR).query(f"{{ {INTEGRITY} }}")["auditIntegrity"]

    assert integrity["state"] == "INTACT"
    assert (integrity["verifiedThrough"], integrity["head"]) == (2, 2)
    assert integrity["breaks"] == []
    assert integrity["lastCheckpoint"]["position"] == 2


def test_a_contributor_is_refused_the_checkpoints_and_the_integrity(client: Client) -> None:
    rest = client.get("/audit/checkpoints", headers=CONTRIBUTOR)
    body = Caller(client, CONTRIBUTOR).raw(f"{{ auditCheckpoints {{ position }} {INTEGRITY} }}")

    assert rest.status_code == 403
    assert "auditor" in rest.json()["detail"]
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
    assert body["data"] is None


def test_ready_reports_the_integrity_the_background_check_found(
    settings: Settings, own_database: Database
) -> None:
    watched = replace(settings, verify_seconds=1)
    with serving(watched, own_database) as client:
        Caller(client, bearer("stella", "steward")).ok(
            "initiativePropose", title="Cut changeovers", problem="p", orgUnit="Plant"
        )
        deadline = time.monotonic() + 10
        while (body := client.get("/ready").json())["integrity"]["verifiedThrough"] != 1:
            assert time.monotonic() < deadline, body
            time.sleep(0.1)

    assert body["status"] == "ready"
    assert body["integrity"]["state"] == "intact"
    assert body["integrity"]["head"] == 1
    assert body["integrity"]["lastCheckpoint"]["position"] == 1  # signed: none was there yet
