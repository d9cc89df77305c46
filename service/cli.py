"""The `polarity` command: demo data, history, and (later) serving the API."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass, replace
from enum import Enum
from typing import Any
from uuid import UUID

import click

from service.application import Polarity
from service.database import open_database
from service.demo import load_demo
from service.settings import Settings


@contextmanager
def opened(settings: Settings) -> Iterator[Polarity]:
    with open_database(settings) as database:
        app = Polarity(database, snapshot_interval=settings.snapshot_interval)
        try:
            yield app
        finally:
            app.close()


@click.group()
@click.option("--database-url", envvar="POLARITY_DATABASE_URL", help="PostgreSQL URL.")
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """Polarity: keep operational improvement and strategic initiatives in balance."""
    settings = replace(Settings.from_env(), database_url=database_url or None)
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = settings


@main.command()
@click.option("--if-empty", is_flag=True, help="Load only into an empty event store.")
@click.pass_obj
def demo(settings: Settings, if_empty: bool) -> None:
    """Load a realistic demo portfolio through the use cases."""
    with opened(settings) as app:
        if if_empty and app.recorder.max_notification_id():
            click.echo("The event store already holds events; the demo was not loaded again.")
            return
        portfolio = load_demo(app)
        events = app.recorder.max_notification_id()
        click.echo(
            f"Loaded the demo portfolio: {len(portfolio.teams)} teams, "
            f"{len(portfolio.objectives)} objectives, {len(portfolio.initiatives)} initiatives "
            f"and {len(portfolio.items)} improvement items ({events} events in all)."
        )


@main.command()
@click.argument("aggregate_id", type=click.UUID)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def history(settings: Settings, aggregate_id: UUID, as_json: bool) -> None:
    """Every event of one aggregate, with its envelope."""
    with opened(settings) as app:
        for recorded in app.history(aggregate_id):
            envelope = recorded.envelope
            if as_json:
                body = {k: v for k, v in vars(recorded.event).items() if k != "originator_id"}
                line = {"envelope": asdict(envelope), "event": body}
                click.echo(json.dumps(line, default=_plain))
                continue
            actor = recorded.actor
            behalf = f" for {actor.on_behalf_of}" if actor.on_behalf_of else ""
            reason = f" because {recorded.reason!r}" if recorded.reason else ""
            click.echo(
                f"{envelope.version:>4} #{envelope.position:<7} "
                f"{envelope.recorded_at:%Y-%m-%d %H:%M:%S} "
                f"{envelope.event_type:<34} by {actor.id}{behalf}{reason}"
            )


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return str(value)
