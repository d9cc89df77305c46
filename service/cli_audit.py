"""`polarity audit`: prove the audit trail intact, for auditors and operators."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from service import access_log
from service.application import Polarity
from service.audit import Verification, head, verify
from service.checkpoints import Checkpoint, configured_public_key, load_signer, public_key
from service.database import Database, open_database
from service.integrity import Integrity
from service.settings import Settings, SettingsError
from service.startup import prepare


@click.group()
def audit() -> None:
    """The audit trail: verify its hash chain, sign its head."""


@contextmanager
def _opened(settings: Settings) -> Iterator[Polarity]:
    with _database(settings) as database:
        app = Polarity(database, create_tables=False)
        try:
            yield app
        finally:
            app.close()


@contextmanager
def _database(settings: Settings) -> Iterator[Database]:
    with open_database(settings) as database:
        prepare(database)
        yield database


@audit.command("verify")
@click.option(
    "--from",
    "start",
    type=click.IntRange(1),
    default=1,
    help="Verify from this position on, trusting the link before it.",
)
@click.option(
    "--checkpoint",
    "kept",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    help="A checkpoint kept earlier (JSON): check it too. May be given more than once.",
)
@click.option(
    "--public-key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The service's public key (PEM, from GET /audit/public-key); default: the configured key.",
)
@click.pass_obj
def verify_command(
    settings: Settings, start: int, kept: tuple[Path, ...], key_file: Path | None
) -> None:
    """Recompute the hash chain over the stored events, check every checkpoint (stored, and
    kept ones given), and report each break (altered, missing, inserted, reordered, truncated,
    rewritten, signature) with its position; then the access log's chain. Exit 1 if there is
    any break."""
    key = _public_key(settings, key_file)
    checkpoints = [_read_checkpoint(path) for path in kept]
    if key is None:
        if checkpoints:
            raise click.ClickException("No public key to check checkpoints: give --public-key.")
        click.echo("No public key configured: checkpoints were not checked.", err=True)
    with _database(settings) as database:
        app = Polarity(database, create_tables=False)
        try:
            verification = _verify_with_progress(app, start, key, checkpoints)
        finally:
            app.close()
        reads = access_log.verify(database.conninfo)
    for found in verification.breaks:
        click.echo(f"position {found.position}: {found.kind}")
    click.echo(summary(verification))
    for found in reads.breaks:
        click.echo(f"access log position {found.position}: {found.kind}")
    click.echo(f"Access log: {reads.verified} entries verified, {len(reads.breaks)} breaks.")
    if not (verification.intact and reads.intact):
        sys.exit(1)


def _public_key(settings: Settings, key_file: Path | None) -> Ed25519PublicKey | None:
    try:
        if key_file is not None:
            return public_key(key_file.read_bytes(), str(key_file))
        return configured_public_key(settings)
    except (ValueError, SettingsError) as error:
        raise click.ClickException(str(error)) from None


def _read_checkpoint(path: Path) -> Checkpoint:
    try:
        return Checkpoint.from_json(json.loads(path.read_text()))
    except ValueError as error:  # JSON errors are ValueErrors too
        raise click.ClickException(f"{path}: {error}") from None


@audit.command("checkpoint")
@click.pass_obj
def checkpoint_command(settings: Settings) -> None:
    """Verify the chain, then sign its head now and print the checkpoint as one line of JSON
    for an auditor to keep. Exit 1, signing nothing, if the chain is broken or empty."""
    try:
        signer = load_signer(settings)
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    with _opened(settings) as app:
        integrity = Integrity(app.store, lambda: signer)
        signed = integrity.checkpoint()
        state = integrity.state()
    if signed is None:
        for found in state.breaks:
            click.echo(f"position {found.position}: {found.kind}", err=True)
        reason = "the chain is broken" if state.breaks else "the event store is empty"
        click.echo(f"Nothing signed: {reason}.", err=True)
        sys.exit(1)
    click.echo(json.dumps(signed.to_json()))


@audit.command("public-key")
@click.pass_obj
def public_key_command(settings: Settings) -> None:
    """Print the public key that verifies the checkpoints (PEM)."""
    try:
        click.echo(load_signer(settings).public_pem(), nl=False)
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


def _verify_with_progress(
    app: Polarity,
    start: int,
    key: Ed25519PublicKey | None = None,
    kept: list[Checkpoint] | None = None,
) -> Verification:
    length = max(head(app.store) - start + 1, 0)
    with click.progressbar(length=length, label="Verifying", file=sys.stderr) as bar:
        reached = start - 1

        def advance(position: int) -> None:
            nonlocal reached
            bar.update(position - reached)
            reached = position

        verification = verify(app.store, start, progress=advance, key=key, kept=kept or ())
        bar.update(length - (reached - start + 1))
    return verification


def summary(verification: Verification) -> str:
    through = verification.through or 0
    outcome = "intact" if verification.intact else f"{len(verification.breaks)} break(s)"
    checked = (
        f", {verification.checkpoints} checkpoint(s) checked" if verification.checkpoints else ""
    )
    return (
        f"{verification.verified} events verified through position {through}{checked}: "
        f"{outcome} ({verification.events_per_second:,.0f} events/s)"
    )
