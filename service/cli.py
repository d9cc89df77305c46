"""The `polarity` command: serve the API, mint development tokens, load demo data, read history."""

from __future__ import annotations

import json
import os
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

import click

from service import damage, logs, projecting
from service.application import Polarity, RecordedEvent
from service.changes import Change, replayed_changes
from service.checkpoints import load_signer
from service.cli_audit import audit
from service.cli_db import db
from service.cli_projections import projections
from service.database import Database, open_database
from service.demo import DemoPortfolio, StoreNotEmpty, load_demo
from service.embedded_server import EmbeddedServerError
from service.ids import InvalidId, ObjectId, a, decode_id
from service.launch import CannotListen, program, refuse_taken_address
from service.persistence import event_data, plain
from service.roles import take_up
from service.settings import Settings, SettingsError
from service.startup import prepare
from service.unit_of_work import NotFound


@contextmanager
def opened(settings: Settings) -> Iterator[Polarity]:
    with open_database(settings) as database, application(database, settings) as app:
        yield app


@contextmanager
def application(database: Database, settings: Settings) -> Iterator[Polarity]:
    prepare(database)
    app = Polarity(
        database,
        snapshot_interval=settings.snapshot_interval,
        create_tables=False,
        approval_hours=settings.approval_hours,
    )
    try:
        yield app
    finally:
        app.close()


class Commands(click.Group):
    """Polarity's commands: an embedded server that cannot run as asked is a one-line error."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except EmbeddedServerError as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=Commands)
@click.option("--database-url", envvar="POLARITY_DATABASE_URL", help="PostgreSQL URL.")
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """Polarity: keep operational improvement and strategic initiatives in balance."""
    try:
        settings = replace(Settings.from_env(), database_url=database_url or None)
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    logs.configure(settings)
    ctx.obj = settings


@main.command()
@click.option("--if-empty", is_flag=True, help="Leave a store that holds events alone.")
@click.pass_obj
def demo(settings: Settings, if_empty: bool) -> None:
    """Record eighteen months of a manufacturer's improvement work into an empty event store."""
    with opened(settings) as app:
        _load_demo(app, if_empty)


def _load_demo(app: Polarity, if_empty: bool) -> None:
    if if_empty and app.holds_events():
        click.echo("The event store already holds events; the demo was not loaded again.")
        return
    try:
        portfolio = load_demo(app)
    except StoreNotEmpty as error:
        raise click.ClickException(str(error)) from None
    _describe(portfolio, events=app.recorder.max_notification_id() or 0)


def _describe(portfolio: DemoPortfolio, events: int) -> None:
    span = f"{portfolio.began:%Y-%m-%d} to {portfolio.ended:%Y-%m-%d}"
    click.echo(
        f"Loaded the demo: Nordwerk's improvement work from {span}, {len(portfolio.teams)} "
        f"teams, {len(portfolio.objectives)} objectives, {len(portfolio.initiatives)} "
        f"initiatives and {len(portfolio.items)} improvement items; {events} events recorded "
        f"by {len(portfolio.commands)} people."
    )
    click.echo(
        "Its history was recorded with a simulated clock, which only the demo sets and only on "
        "an empty database; from now on every event is recorded at the real time."
    )
    click.echo("\nThe people, their roles, and a token to act as each:")
    for person in portfolio.people:
        done = portfolio.commands[person]
        record = f"{done} commands" if done else "reads, records nothing"
        click.echo(f"  {person.role:<12} {person.name}, {person.title} ({record})")
        click.echo(f"  {'':<12} {program()} {person.token_arguments}")


class ObjectIdType(click.ParamType[ObjectId, object]):
    """An object's id in either form: the API's global id or the UUID views and exports show."""

    name = "id"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> ObjectId:
        if isinstance(value, ObjectId):
            return value
        try:
            return decode_id(str(value))
        except InvalidId as error:
            self.fail(error.message, param, ctx)


@main.command()
@click.argument("aggregate_id", metavar="ID", type=ObjectIdType())
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def history(settings: Settings, aggregate_id: ObjectId, as_json: bool) -> None:
    """Every event of one object, with its envelope and the fields it changed. ID is its
    global id, as the API gives it, or its UUID."""
    with opened(settings) as app:
        try:
            recorded = app.history(aggregate_id.uuid)
        except (NotFound, damage.IntegrityViolation) as refused:
            raise click.ClickException(refused.message) from None
        kind = recorded[0].envelope.event_type.split(".")[0]
        if aggregate_id.kind not in (None, kind):
            raise click.ClickException(
                f"{aggregate_id} is the id of {a(aggregate_id.kind)}, but {aggregate_id.uuid} "
                f"is {a(kind)}'s."
            )
        changes = replayed_changes(None, (one.event for one in recorded))
        for one, changed in zip(recorded, changes, strict=True):
            click.echo(_history_json(one, changed) if as_json else _history_lines(one, changed))


def _history_json(recorded: RecordedEvent, changes: tuple[Change, ...]) -> str:
    event = {"actor": plain(recorded.actor), "reason": recorded.reason}
    event |= event_data(recorded.event)
    changed = [{"field": c.field, "from": c.before, "to": c.after} for c in changes]
    return json.dumps({"envelope": plain(recorded.envelope), "event": event, "changes": changed})


def _history_lines(recorded: RecordedEvent, changes: tuple[Change, ...]) -> str:
    envelope, actor = recorded.envelope, recorded.actor
    behalf = f" for {actor.on_behalf_of}" if actor.on_behalf_of else ""
    reason = f" because {recorded.reason!r}" if recorded.reason else ""
    lines = [
        f"{envelope.version:>4} #{envelope.position:<7} "
        f"{envelope.recorded_at:%Y-%m-%d %H:%M:%S} "
        f"{envelope.event_type:<34} by {actor.id}{behalf}{reason}",
        f"{'':13}correlation {envelope.correlation_id} caused by {envelope.causation_id or '-'}",
    ]
    lines += [f"{'':13}{c.field}: {c.before or '(none)'} -> {c.after or '(none)'}" for c in changes]
    return "\n".join(lines)


@main.command()
@click.option("--host", help="Address to listen on (POLARITY_HOST, default 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (POLARITY_PORT, default 8000).")
@click.option("--workers", type=click.IntRange(1), help="Worker processes (POLARITY_WORKERS).")
@click.option("--database-url", help="PostgreSQL URL; unset starts the embedded server.")
@click.pass_obj
def serve(
    settings: Settings,
    host: str | None,
    port: int | None,
    workers: int | None,
    database_url: str | None,
) -> None:
    """Serve the GraphQL API with uvicorn."""
    import uvicorn

    settings = replace(
        settings,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        database_url=database_url or settings.database_url,
    )
    _refuse_unsafe(settings)
    try:
        refuse_taken_address(settings.host, settings.port)  # before the database starts
    except CannotListen as error:
        raise click.ClickException(str(error)) from None
    # SIGTERM ends the server like Ctrl-C does, so the embedded PostgreSQL below stops too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    # The database is opened and prepared here, once, before any worker starts: workers that
    # each created the tables raced and stopped the server. Each worker's `prepare` then
    # finds it done.
    with open_database(settings) as database, metrics_shared_by(settings.workers):
        database = take_up(database, settings)  # workers connect as the application role
        if settings.demo:
            with application(database, settings) as app:
                _load_demo(app, if_empty=True)
        os.environ.update(
            POLARITY_DATABASE_URL=database.url,
            POLARITY_HOST=settings.host,
            POLARITY_PORT=str(settings.port),
            POLARITY_WORKERS=str(settings.workers),
        )
        _say_where(settings)
        with projecting.beside_workers(settings):  # several workers: the views kept apart
            uvicorn.run(
                "service.web:app_from_env",
                factory=True,
                host=settings.host,
                port=settings.port,
                workers=settings.workers,
                log_level=settings.log_level.lower(),
                log_config=logs.logging_config(settings),  # uvicorn's lines in the service's form
                access_log=False,  # service.observe logs each request with its request id
                timeout_graceful_shutdown=10,
            )


@main.command()
@click.pass_obj
def check(settings: Settings) -> None:
    """Check the settings as `serve` would before it starts: say what is wrong and exit 1, or
    say they will do. (docker-compose.yml runs it before the service.)"""
    _refuse_unsafe(settings)
    if settings.audit_key or settings.audit_key_file:
        try:
            load_signer(settings)
        except SettingsError as error:
            raise click.ClickException(str(error)) from None
    where = "production" if settings.is_production else "development"
    click.echo(f"The settings will do for serving in {where}.")


@main.command()
@click.option("--sub", required=True, help="Who the token speaks for, e.g. alice.")
@click.option("--role", "roles", required=True, multiple=True, help="A role; repeat for several.")
@click.option("--on-behalf-of", help="Whom the subject acts for, if not themselves.")
@click.option("--hours", type=click.FloatRange(min=0, min_open=True), default=8.0, help="Lifetime.")
@click.pass_obj
def token(
    settings: Settings, sub: str, roles: tuple[str, ...], on_behalf_of: str | None, hours: float
) -> None:
    """Print a bearer token signed with POLARITY_JWT_SECRET, valid for 8 hours by default."""
    from domain.commands import ROLES
    from service.web import create_token  # the server's own signing

    if unknown := sorted(set(roles) - ROLES):
        known = ", ".join(sorted(ROLES))
        message = f"unknown {', '.join(unknown)}; known roles are {known}"
        raise click.BadParameter(message, param_hint="--role")
    _refuse_unsafe(settings)
    signed = create_token(
        settings, sub, roles, on_behalf_of=on_behalf_of, lifetime=timedelta(hours=hours)
    )
    click.echo(signed)
    click.echo('Send it as the header "Authorization: Bearer <token>".', err=True)


@contextmanager
def metrics_shared_by(workers: int) -> Iterator[None]:
    """With several workers, a fresh directory where each writes its metrics for any of them
    to add up when scraped (service.metrics); removed when the server stops."""
    if workers == 1:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="polarity-metrics-") as directory:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        try:
            yield
        finally:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]


def _refuse_unsafe(settings: Settings) -> None:
    try:
        settings.validate_for_serving()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


def _say_where(settings: Settings) -> None:
    url = f"http://{settings.host}:{settings.port}"
    ide = " (GraphiQL in a browser)" if settings.graphiql else ""
    click.echo(f"Polarity serves GraphQL at {url}/graphql{ide}; health at /health and /ready.")
    click.echo("Every operation needs a bearer token. Get one with:")
    click.echo(f"    {program()} token --sub alice --role steward")
    click.echo('and send it as the header "Authorization: Bearer <token>".')
    click.echo(f"The portal is at {url}/: sign in there with such a token.")
    if not settings.database_url:
        click.echo(f"The events are kept by the embedded PostgreSQL in {settings.data_dir}.")


main.add_command(projections)
main.add_command(db)
main.add_command(audit)
