"""`polarity db`: database chores for operators: the roles that keep the audit trail append-only,
breaking that glass on the record, and a read-only role for BI tools."""

from __future__ import annotations

import click
import psycopg

from projections.catalog import all_projections
from service import embedded_server, roles
from service.bi import BiGrant, RoleRefused, connection_url, grant_bi
from service.database import Database, open_database
from service.settings import Settings
from service.startup import prepare


@click.group()
def db() -> None:
    """Database chores: the service's roles, break-glass, roles for BI tools."""


@db.command("init")
@click.pass_obj
def init_command(settings: Settings) -> None:
    """Create the owner role (it holds the schema) and the application role (the service's: it
    may only add to the audit trail), prepare the database, and protect the trail with a
    trigger that refuses UPDATE, DELETE and TRUNCATE to every role. Idempotent; the service
    runs it at start where its user may. The application role's password is
    POLARITY_APP_PASSWORD, if set."""
    with open_database(settings) as database:
        try:
            done = roles.init(database, password=settings.app_password)
        except roles.RolesRefused as error:
            raise click.ClickException(str(error)) from None
    if done is None:
        raise click.ClickException(
            "The configured database user may not create roles: run `polarity db init` with "
            "a superuser's (or a CREATEROLE user's) POLARITY_DATABASE_URL."
        )
    click.echo(f"{done.owner} owns the schema; the service connects as {done.app}.")
    click.echo("Append-only (UPDATE, DELETE and TRUNCATE refused to every role):")
    for table in done.protected:
        click.echo(f"    {table}")


@db.command("break-glass")
@click.option("--reason", required=True, help="Why: recorded with the statement.")
@click.argument("statement")
@click.pass_obj
def break_glass_command(settings: Settings, reason: str, statement: str) -> None:
    """Run STATEMENT on the append-only tables as the owner, past their trigger, in one
    transaction that first records who, when, why and what in polarity_break_glass. Needs a
    superuser's or an owner member's POLARITY_DATABASE_URL. Verify the chain afterwards."""
    with open_database(settings) as database:
        try:
            touched = roles.break_glass(database, reason, statement)
        except roles.RolesRefused as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"Done, on the record: {touched} rows touched. Run `polarity audit verify` next.")


@db.command("grant-bi")
@click.argument("role")
@click.option(
    "--password",
    envvar="POLARITY_BI_PASSWORD",
    help="Set the role's password (or POLARITY_BI_PASSWORD, which stays out of `ps`).",
)
@click.option(
    "--new-password", is_flag=True, help="Give an existing role a new generated password."
)
@click.pass_obj
def grant_bi_command(
    settings: Settings, role: str, password: str | None, new_password: bool
) -> None:
    """Create ROLE (LOGIN) if missing, or grant an existing one: it may read the stable
    reporting.v<n>_* views and nothing else in reporting. A new role gets the password given, or
    a generated one, printed once with a connection string. Run it again after an upgrade that
    adds views."""
    projections = all_projections()
    with open_database(settings) as database:
        prepare(database)  # the tables the views read
        with psycopg.connect(database.conninfo) as connection:
            try:
                grant = grant_bi(
                    connection,
                    role,
                    password=password,
                    new_password=new_password,
                    projections=projections,
                )
            except RoleRefused as error:
                raise click.ClickException(str(error)) from None
    _describe_grant(settings, database, grant, password_given=password is not None)


def _describe_grant(
    settings: Settings, database: Database, grant: BiGrant, *, password_given: bool
) -> None:
    role = grant.role
    done = f"Created role {role}: it" if grant.created else f"Role {role}"
    click.echo(f"{done} may read these views, and nothing else in reporting:")
    for view in grant.views:
        click.echo(f"    {view}")
    if grant.generated_password is not None:
        click.echo("Its password was generated and is shown only this once, in the URL below.")
    elif password_given:
        click.echo("Its password is the one given, which the URL below leaves out.")
    else:
        click.echo(
            "Its password is unchanged (--new-password gives it a generated one); the URL below "
            "leaves it out."
        )
    running = "" if settings.database_url else " (while the embedded server runs: polarity serve)"
    click.echo(f"BI tools connect with this URL{running}:")
    click.echo(f"    {_url_for_bi_tools(database, grant)}")
    if not settings.database_url and database.tcp is None:
        click.echo(
            "That is the embedded server's Unix socket, which only programs on this machine "
            "reach: to let BI tools connect over TCP, set POLARITY_EMBEDDED_TCP_PORT and restart "
            f"it; it then listens on {embedded_server.HOST} there too."
        )


def _url_for_bi_tools(database: Database, grant: BiGrant) -> str:
    """Where BI tools reach the server as the role: the embedded server's TCP address, if it
    has one, else the URL's host and port (a Unix socket's directory, if it names no host)."""
    parameters = database.parameters
    host, port = parameters.get("host", ""), parameters.get("port", "5432")
    if database.tcp is not None:
        host, port = database.tcp[0], str(database.tcp[1])
    dbname = parameters.get("dbname", "postgres")
    return connection_url(grant.role, grant.generated_password, host=host, port=port, dbname=dbname)
