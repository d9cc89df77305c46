"""What the command line says and checks before it serves: how to run this program again from
where it was started, and whether the address it is to listen on is free."""

from __future__ import annotations

import errno
import shlex
import shutil
import socket
import sys
from pathlib import Path

PROGRAM = "polarity"


class CannotListen(Exception):
    """The API's address cannot be listened on; the message names the setting to change."""


def program() -> str:
    """The command that runs `polarity` from the current directory, as this process was started:
    `polarity` when that name on the PATH is this script, else the script's path (relative
    below the current directory, as `make run` gives `.venv/bin/polarity`)."""
    script = Path(sys.argv[0])
    if script.name != PROGRAM or not script.is_file():
        return PROGRAM  # not started as the script (a test runner, an embedding program)
    on_path = shutil.which(PROGRAM)
    if on_path and Path(on_path).resolve() == script.resolve():
        return PROGRAM
    where = script.absolute()
    if where.is_relative_to(Path.cwd()):
        relative = where.relative_to(Path.cwd())
        return shlex.quote(str(relative) if relative.parent.parts else f"./{relative}")
    return shlex.quote(str(where))


def refuse_taken_address(host: str, port: int) -> None:
    """Raise CannotListen if nothing could listen on `host`:`port` now, as uvicorn would bind it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as error:
        raise CannotListen(_why(host, port, error)) from None


def _why(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return (
            f"Port {port} on {host} is already in use: stop what listens there, or choose "
            "another port with --port or POLARITY_PORT."
        )
    if error.errno == errno.EACCES:
        return (
            f"Port {port} on {host} may not be used by this user: choose a port above 1023 "
            "with --port or POLARITY_PORT."
        )
    reason = error.strerror or str(error)
    return (
        f"Cannot listen on {host}:{port} ({reason}): check --host or POLARITY_HOST, and --port "
        "or POLARITY_PORT."
    )
