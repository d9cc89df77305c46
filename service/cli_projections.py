"""`polarity projections`: run the reporting views, see how far behind they are, rebuild one."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click

from projections.catalog import all_projections
from service.application import Polarity
from service.database import open_database
from service.projector import Projector
from service.settings import Settings


@contextmanager
def projector_for(settings: Settings) -> Iterator[Projector]:
    with open_database(settings) as database:
        app = Polarity(database, snapshot_interval=settings.snapshot_interval)
        try:
            projector = Projector(app, database, all_projections())
            projector.setup()
            yield projector
        finally:
            app.close()


@click.group()
def projections() -> None:
    """The reporting views kept from the event store."""


@projections.command()
@click.pass_obj
def run(settings: Settings) -> None:
    """Keep every view up to date until interrupted (the service does this itself unless
    POLARITY_PROJECTIONS=off). Runners never apply the same view at once."""
    stop = threading.Event()

    def interrupted(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    with projector_for(settings) as projector:
        click.echo(f"Applying {len(projector.projections)} views; Ctrl-C stops.")
        projector.run(stop)


@projections.command()
@click.pass_obj
def status(settings: Settings) -> None:
    """Each view's position and how far it lags the event store, in events and seconds."""
    with projector_for(settings) as projector:
        rows = projector.status()
    click.echo(f"{'view':<20} {'position':>10} {'head':>10} {'lag events':>11} {'lag s':>8}")
    for row in rows:
        click.echo(
            f"{row.projection:<20} {row.position:>10} {row.head:>10} {row.lag_events:>11} "
            f"{row.lag_seconds:>8.1f}"
        )


@projections.command()
@click.argument("name", required=False)
@click.pass_obj
def rebuild(settings: Settings, name: str | None) -> None:
    """Refill one view (or all) into fresh tables and swap them in."""
    with projector_for(settings) as projector:
        names = [name] if name else list(projector.projections)
        unknown = set(names) - set(projector.projections)
        if unknown:
            known = ", ".join(projector.projections)
            raise click.BadParameter(f"no view {', '.join(unknown)}; the views are {known}")
        for view in names:
            with click.progressbar(length=1, label=f"rebuilding {view}") as bar:

                def progress(position: int, head: int, bar: object = bar) -> None:
                    bar.length = max(head, 1)  # type: ignore[attr-defined]
                    bar.update(position - bar.pos)  # type: ignore[attr-defined]

                position = projector.rebuild(view, progress)
            click.echo(f"{view}: rebuilt to position {position}")
