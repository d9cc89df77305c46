"""`polarity db`: database chores for operators, such as a read-only role for BI tools."""

from __future__ import annotations

import click
import psycopg

from projections.catalog import all_projections
from service.bi import RoleRefused, grant_bi
from service.database import open_database
from service.settings import Settings
from service.startup import prepare


@click.group()
def db() -> None:
    """Database chores: roles for BI tools."""


@db.command("grant-bi")
@click.argument("role")
@click.option(
    "--password",
    envvar="POLARITY_BI_PASSWORD",
    help="Set the role's password (or POLARITY_BI_PASSWORD, which stays out of `ps`).",
)
@click.pass_obj
def grant_bi_command(settings: Settings, role: str, password: str | None) -> None:
    """Create ROLE (LOGIN) if missing, or grant an existing one: it may read the stable
    reporting.v1_* views and nothing else in reporting. Run it again after an upgrade that
    adds views."""
    projections = all_projections()
    with open_database(settings) as database:
        prepare(database)  # the tables the views read
        with psycopg.connect(database.conninfo) as connection:
            try:
                grant = grant_bi(connection, role, password=password, projections=projections)
            except RoleRefused as error:
                raise click.ClickException(str(error)) from None
    done = "Created role" if grant.created else "Role"
    click.echo(f"{done} {role} may read these views, and nothing else in reporting:")
    for view in grant.views:
        click.echo(f"    {view}")
