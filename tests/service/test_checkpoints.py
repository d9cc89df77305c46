"""Signed checkpoints: the chain's head signed with the service's key, kept by an auditor, and
checked later: a rewritten or truncated tail is found against it, a forged signature is refused."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from service.audit import Break, Kind, verify
from service.chain import link
from service.checkpoints import Checkpoint, Signer, load_signer
from service.cli import main
from service.integrity import Integrity
from service.settings import Settings, SettingsError
from tests.service.conftest import Store
from tests.service.scenarios import strategic_with_sponsor
from tests.service.test_hash_chain import CHAIN, EVENTS, sql

pytestmark = pytest.mark.database

SIGNER = Signer(Ed25519PrivateKey.generate())
RAW_KEY = base64.b64encode(
    SIGNER.private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
).decode()


def signed_head(store: Store) -> Checkpoint:
    signed = Integrity(store.app.store, lambda: SIGNER).checkpoint()
    assert signed is not None
    return signed


def test_a_checkpoint_of_an_intact_chain_verifies_and_an_auditor_can_check_it_in_a_few_lines(
    store: Store,
) -> None:
    kept = json.loads(json.dumps(signed_head(store).to_json()))  # as an auditor keeps it

    # What README tells an auditor to run, with the PEM from GET /audit/public-key:
    pem = SIGNER.public_pem().encode()
    public = serialization.load_pem_public_key(pem)
    assert isinstance(public, Ed25519PublicKey)
    text = f"polarity-checkpoint/1 {kept['position']} {kept['hash']} {kept['time']}"
    public.verify(base64.b64decode(kept["signature"]), text.encode())  # raises if forged

    verification = verify(store.app.store, key=SIGNER.public, kept=[Checkpoint.from_json(kept)])
    assert verification.intact
    assert verification.checkpoints == 2  # the stored one and the kept one
    assert kept["position"] == 9


def test_a_checkpoint_signed_with_another_key_fails(store: Store) -> None:
    other = Signer(Ed25519PrivateKey.generate())
    forged = Integrity(store.app.store, lambda: other).checkpoint()
    assert forged is not None

    assert not forged.signed_by(SIGNER.public)
    assert verify(store.app.store, key=SIGNER.public).breaks == [Break(9, Kind.SIGNATURE)]


def test_a_tail_truncated_after_a_checkpoint_is_found_only_against_it(store: Store) -> None:
    kept = signed_head(store)
    sql(store.database, f"DELETE FROM {EVENTS} WHERE notification_id > 6")
    sql(store.database, f"DELETE FROM {CHAIN} WHERE position > 6")

    assert verify(store.app.store).intact  # the chain alone cannot tell
    assert verify(store.app.store, key=SIGNER.public, kept=[kept]).breaks == [
        Break(9, Kind.TRUNCATED)
    ]


def test_a_tail_rewritten_with_its_links_recomputed_is_found_against_a_checkpoint(
    store: Store,
) -> None:
    kept = signed_head(store)
    sql(
        store.database, f"UPDATE {EVENTS} SET state = state || ' '::bytea WHERE notification_id = 8"
    )
    rows = sql(
        store.database,
        f"SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, "
        f"c.hash FROM {EVENTS} e JOIN {CHAIN} c ON c.position = e.notification_id "
        "ORDER BY e.notification_id",
    )
    previous = bytes(rows[6][5])  # the link at 7, untouched
    for position, aggregate_id, version, topic, state, _ in rows[7:]:
        previous = link(previous, position, aggregate_id, version, topic, bytes(state))
        sql(
            store.database,
            f"UPDATE {CHAIN} SET hash = %s WHERE position = %s",
            (previous, position),
        )

    assert verify(store.app.store).intact  # a consistent forgery of the chain
    assert verify(store.app.store, key=SIGNER.public, kept=[kept]).breaks == [
        Break(9, Kind.REWRITTEN)
    ]


def test_the_background_check_signs_only_when_the_head_moved_and_the_interval_passed(
    store: Store,
) -> None:
    integrity = Integrity(store.app.store, lambda: SIGNER)

    first = integrity.checkpoint(every=3600)
    again = integrity.checkpoint(every=3600)
    strategic_with_sponsor(store.app)
    soon = integrity.checkpoint(every=3600)
    later = integrity.checkpoint(every=0)

    assert (first and first.position, again, soon) == (9, None, None)
    assert (later and later.position) == 12
    state = integrity.state()
    assert (state.state, state.verified_through, state.head) == ("intact", 12, 12)


def test_the_background_check_finds_a_break_among_new_events_and_signs_nothing(
    store: Store,
) -> None:
    integrity = Integrity(store.app.store, lambda: SIGNER)
    integrity.advance()
    strategic_with_sponsor(store.app)
    sql(store.database, f"DELETE FROM {EVENTS} WHERE notification_id = 11")

    assert integrity.checkpoint() is None
    state = integrity.state()
    assert state.state == "broken"
    assert state.breaks == (Break(11, Kind.MISSING),)


def test_polarity_audit_checkpoint_prints_one_and_stores_it_and_verify_checks_a_kept_one(
    store: Store, tmp_path: Path
) -> None:
    runner = CliRunner(env={"POLARITY_AUDIT_KEY": RAW_KEY})
    url = ["--database-url", store.database.url]

    printed = runner.invoke(main, [*url, "audit", "checkpoint"])
    assert printed.exit_code == 0, printed.output
    kept = tmp_path / "checkpoint.json"
    kept.write_text(printed.stdout)
    stored = sql(store.database, f"SELECT position, key_id FROM {EVENTS}_checkpoints")
    sql(store.database, f"DELETE FROM {EVENTS} WHERE notification_id > 6")
    sql(store.database, f"DELETE FROM {CHAIN} WHERE position > 6")
    checked = runner.invoke(main, [*url, "audit", "verify", "--checkpoint", str(kept)])

    assert json.loads(printed.stdout)["position"] == 9
    assert stored == [(9, SIGNER.key_id)]
    assert checked.exit_code == 1
    assert "position 9: truncated" in checked.stdout
    assert "2 checkpoint(s) checked" in checked.stdout


def test_the_key_comes_from_the_environment_or_a_file_and_production_needs_one(
    tmp_path: Path,
) -> None:
    pem = SIGNER.private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "key.pem").write_bytes(pem)
    production = {"POLARITY_ENV": "production"}

    from_env = load_signer(Settings.from_env({"POLARITY_AUDIT_KEY": RAW_KEY}))
    from_file = load_signer(
        Settings.from_env({"POLARITY_AUDIT_KEY_FILE": str(tmp_path / "key.pem"), **production})
    )
    made = load_signer(Settings(data_dir=tmp_path / "pgdata"))
    kept = load_signer(Settings(data_dir=tmp_path / "pgdata"))

    assert from_env.key_id == from_file.key_id == SIGNER.key_id
    assert made.key_id == kept.key_id
    with pytest.raises(SettingsError, match="POLARITY_AUDIT_KEY"):
        load_signer(Settings.from_env(production))
    with pytest.raises(SettingsError, match="not an Ed25519 private key"):
        load_signer(Settings.from_env({"POLARITY_AUDIT_KEY": "bm90IGEga2V5"}))
