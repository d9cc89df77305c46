"""The embedded server listens on 127.0.0.1 as well when POLARITY_EMBEDDED_TCP_PORT is set, where a
BI tool connects with the URL `polarity db grant-bi` prints, and every role gives its password."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from service.cli import main
from service.database import Database, embedded
from service.settings import Settings, SettingsError
from tests.service.test_startup import free_port

pytestmark = pytest.mark.database


@pytest.fixture
def listening(tmp_path: Path) -> Iterator[tuple[Settings, Database]]:
    """An embedded server of the test's own, listening on a free TCP port, as `serve` keeps it."""
    settings = Settings(data_dir=tmp_path / "pgdata", embedded_tcp_port=free_port())
    with embedded(settings.data_dir, settings.embedded_tcp_port) as database:
        yield settings, database


def embedded_env(data_dir: Path, tcp_port: int | None = None) -> dict[str, str | None]:
    """The environment of a `polarity` command on the embedded server in `data_dir`."""
    port = None if tcp_port is None else str(tcp_port)
    return {
        "POLARITY_DATABASE_URL": None,
        "POLARITY_DATA_DIR": str(data_dir),
        "POLARITY_EMBEDDED_TCP_PORT": port,
    }


def granted_url(settings: Settings, *arguments: str) -> str:
    """The URL `polarity db grant-bi` prints for BI tools."""
    env = embedded_env(settings.data_dir, settings.embedded_tcp_port)
    printed = CliRunner().invoke(main, ["db", "grant-bi", *arguments], env=env)
    assert printed.exit_code == 0, printed.output
    lines = printed.output.splitlines()
    (said,) = [i for i, line in enumerate(lines) if line.startswith("BI tools connect with")]
    return lines[said + 1].strip()


def test_a_bi_tool_connects_over_tcp_with_the_printed_url_and_reads_a_view(
    listening: tuple[Settings, Database],
) -> None:
    settings, _ = listening

    url = granted_url(settings, "bi_reader")

    assert url.startswith("postgresql://bi_reader:")
    assert url.endswith(f"@127.0.0.1:{settings.embedded_tcp_port}/postgres")
    with psycopg.connect(url, connect_timeout=5) as conn:
        assert conn.execute("SELECT count(*) FROM reporting.v1_portfolio").fetchone() == (0,)


def test_over_tcp_every_role_gives_its_password(listening: tuple[Settings, Database]) -> None:
    settings, _ = listening
    url = granted_url(settings, "bi_reader")
    port = settings.embedded_tcp_port

    for wrong in (
        url.replace("bi_reader:", "bi_reader:x"),
        f"postgresql://bi_reader@127.0.0.1:{port}/postgres",
        f"postgresql://postgres@127.0.0.1:{port}/postgres",  # the superuser: no password at all
    ):
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(wrong, connect_timeout=5).close()


def test_a_command_with_a_port_refuses_to_join_a_server_started_without_it(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "pgdata"
    with embedded(data_dir):  # started without a TCP port, by another command
        refused = CliRunner().invoke(
            main,
            ["db", "grant-bi", "bi_reader"],
            env=embedded_env(data_dir, 5999),
        )

    assert refused.exit_code == 1
    assert "already runs, listening on no TCP port" in refused.output
    assert "POLARITY_EMBEDDED_TCP_PORT=5999" in refused.output


def test_without_a_port_grant_bi_says_the_server_listens_on_a_unix_socket_only(
    tmp_path: Path,
) -> None:
    printed = CliRunner().invoke(
        main, ["db", "grant-bi", "bi_reader"], env=embedded_env(tmp_path / "pgdata")
    )

    assert printed.exit_code == 0, printed.output
    assert f"@/postgres?host={tmp_path / 'pgdata'}&port=5432" in printed.output
    assert "set POLARITY_EMBEDDED_TCP_PORT" in printed.output


@pytest.mark.parametrize("given", ["0", "65536", "x", "-1", "5432.0"])
def test_a_tcp_port_that_is_not_a_port_number_is_refused(given: str) -> None:
    with pytest.raises(SettingsError, match="POLARITY_EMBEDDED_TCP_PORT must be a port number"):
        Settings.from_env({"POLARITY_EMBEDDED_TCP_PORT": given})
