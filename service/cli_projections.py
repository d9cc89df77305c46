"""`polarity projections`: run or catch up the reporting views, see their lag and the events
they set aside, rebuild one."""

from __future__ import annotations

import signal
import textwrap
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

import click

from projections.catalog import all_projections
from service.application import Polarity
from service.database import open_database
from service.parallel import catch_up_in_parallel
from service.projector import Projector, Status
from service.settings import Settings
from service.startup import prepare


@contextmanager
def projector_for(settings: Settings) -> Iterator[Projector]:
    with open_database(settings) as database:
        prepare(database)
        app = Polarity(database, snapshot_interval=settings.snapshot_interval, create_tables=False)
        try:
            yield Projector(app, database, all_projections())
        finally:
            app.close()


@click.group()
def projections() -> None:
    """The reporting views kept from the event store."""


WORKERS = click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes to catch up with, each applying a share of the views (one per core helps).",
)


@projections.command()
@WORKERS
@click.pass_obj
def run(settings: Settings, workers: int) -> None:
    """Keep every view up to date until interrupted (the service does this itself unless
    POLARITY_PROJECTIONS=off). Runners never apply the same view at once."""
    stop = threading.Event()

    def interrupted(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    with projector_for(settings) as projector:
        if workers > 1:
            _catch_up(projector, workers)
        click.echo(f"Applying {len(projector.projections)} views; Ctrl-C stops.")
        projector.run(stop)


@projections.command("catch-up")
@WORKERS
@click.pass_obj
def catch_up(settings: Settings, workers: int) -> None:
    """Bring every view to the head of the event store, then stop."""
    with projector_for(settings) as projector:
        _catch_up(projector, workers)


def _catch_up(projector: Projector, workers: int) -> None:
    started = time.perf_counter()
    if workers > 1:
        read = catch_up_in_parallel(projector.database, list(projector.projections), workers)
    else:
        read = projector.catch_up()
    seconds = time.perf_counter() - started
    click.echo(f"Caught up: {read} events in {seconds:.1f} s with {workers} process(es).")


@projections.command()
@click.pass_obj
def status(settings: Settings) -> None:
    """Each view's position, how far it lags the event store (in events and seconds), how
    many events it set aside (from which position), and the version of the code that built
    it: when the code at hand has another, how far its rebuild has come."""
    with projector_for(settings) as projector:
        rows = projector.status()
    click.echo(
        f"{'view':<20} {'version':>7} {'position':>10} {'head':>10} {'lag events':>11} "
        f"{'lag s':>8} {'set aside':>10} {'first at':>10}"
    )
    for row in rows:
        first = "" if row.first_set_aside is None else row.first_set_aside
        version = f"{row.version}" if row.version == row.code_version else f"{row.version}*"
        click.echo(
            f"{row.projection:<20} {version:>7} {row.position:>10} {row.head:>10} "
            f"{row.lag_events:>11} {row.lag_seconds:>8.1f} {row.set_aside:>10} {first:>10}"
        )
    for row in rows:
        if row.stopped_at is not None:
            click.echo(f"{row.projection}: stopped at {row.stopped_at}: integrity violation")
        if row.version != row.code_version:
            click.echo(f"{row.projection}: {_versions(row)}")
    if any(row.set_aside for row in rows):
        click.echo("Events were set aside: `polarity projections set-aside` lists them.")


def _versions(row: Status) -> str:
    """* in the version column: what it means for the view, and what to do."""
    built = f"built by version {row.version}"
    if row.version > row.code_version:
        return (
            f"{built}, newer than this code's {row.code_version}: runners of this code leave it "
            f"alone; `polarity projections rebuild {row.projection}` builds it with this code"
        )
    rebuild = row.rebuilding
    if rebuild is None or rebuild.version != row.code_version:
        return (
            f"{built}; this code is version {row.code_version}: not rebuilding yet. A runner "
            "that may create tables starts it (the service at its next start, `polarity "
            "projections catch-up`); the log says why not"
        )
    if rebuild.stopped_at is not None:
        return (
            f"{built}; rebuilding with version {rebuild.version} stopped at "
            f"{rebuild.stopped_at}: integrity violation. The old rows serve"
        )
    return (
        f"{built}; rebuilding with version {rebuild.version} ({rebuild.position} of "
        f"{row.head} events); the old rows serve until it is swapped in"
    )


@projections.command("set-aside")
@click.argument("name", required=False)
@click.pass_obj
def set_aside(settings: Settings, name: str | None) -> None:
    """The events each view (or view NAME) could not apply and went on past, with the error.
    Once the cause is fixed, `polarity projections rebuild NAME` applies them again."""
    with projector_for(settings) as projector:
        if name:
            _check_known(projector, [name])
        events = projector.set_aside_events(name)
    if not events:
        click.echo("No events are set aside.")
        return
    click.echo(f"{'view':<20} {'position':>10} {'event':<28} aggregate (version)")
    for event in events:
        click.echo(
            f"{event.projection:<20} {event.position:>10} {event.event_type:<28} "
            f"{event.aggregate_id} ({event.version})"
        )
        click.echo(textwrap.indent(event.error, " " * 4))


@projections.command()
@click.argument("name", required=False)
@click.pass_obj
def rebuild(settings: Settings, name: str | None) -> None:
    """Refill one view (or all) into fresh tables and swap them in."""
    with projector_for(settings) as projector:
        names = [name] if name else list(projector.projections)
        _check_known(projector, names)
        for view in names:
            with click.progressbar(length=1, label=f"rebuilding {view}") as bar:

                def progress(position: int, head: int, bar: object = bar) -> None:
                    bar.length = max(head, 1)  # type: ignore[attr-defined]
                    bar.update(position - bar.pos)  # type: ignore[attr-defined]

                position = projector.rebuild(view, progress)
            click.echo(f"{view}: rebuilt to position {position}")


def _check_known(projector: Projector, names: Sequence[str]) -> None:
    unknown = set(names) - set(projector.projections)
    if unknown:
        known = ", ".join(projector.projections)
        raise click.BadParameter(f"no view {', '.join(unknown)}; the views are {known}")
