"""`polarity audit`: prove the audit trail intact, for auditors and operators."""

from __future__ import annotations

import sys

import click

from service.application import Polarity
from service.audit import Verification, head, verify
from service.database import open_database
from service.settings import Settings
from service.startup import prepare


@click.group()
def audit() -> None:
    """The audit trail: verify its hash chain."""


@audit.command("verify")
@click.option(
    "--from",
    "start",
    type=click.IntRange(1),
    default=1,
    help="Verify from this position on, trusting the link before it.",
)
@click.pass_obj
def verify_command(settings: Settings, start: int) -> None:
    """Recompute the hash chain over the stored events and report each break (altered,
    missing, inserted, reordered) with its position; exit 1 if there is any."""
    with open_database(settings) as database:
        prepare(database)
        app = Polarity(database, create_tables=False)
        try:
            verification = _verify_with_progress(app, start)
        finally:
            app.close()
    for found in verification.breaks:
        click.echo(f"position {found.position}: {found.kind}")
    click.echo(summary(verification))
    if not verification.intact:
        sys.exit(1)


def _verify_with_progress(app: Polarity, start: int) -> Verification:
    length = max(head(app.store) - start + 1, 0)
    with click.progressbar(length=length, label="Verifying", file=sys.stderr) as bar:
        reached = start - 1

        def advance(position: int) -> None:
            nonlocal reached
            bar.update(position - reached)
            reached = position

        verification = verify(app.store, start, progress=advance)
        bar.update(length - (reached - start + 1))
    return verification


def summary(verification: Verification) -> str:
    through = verification.through or 0
    outcome = "intact" if verification.intact else f"{len(verification.breaks)} break(s)"
    return (
        f"{verification.verified} events verified through position {through}: {outcome} "
        f"({verification.events_per_second:,.0f} events/s)"
    )
