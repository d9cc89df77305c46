"""Where the reporting views are kept while the service serves.

With one worker, a thread of that worker applies the views (`web.serving`). With several,
`polarity serve` starts one process of their own beside the workers and tells the workers not to
keep them: a thread in each worker would apply every event in every worker's process, competing
with its requests for the interpreter, while only one of them (the one holding the views' rows)
makes progress at a time. Read-your-writes is unchanged: a query given a position waits until the
views have applied it (`schema.consistency`), whichever process applied it.

The process runs `Projector.run` until it is told to stop (SIGTERM or SIGINT), or until the
server that started it is gone (its stdin, a pipe from the server, closes); the server starts it
again if it ends on its own."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from projections.catalog import all_projections
from service import logs
from service.application import Polarity
from service.database import open_database
from service.projector import Projector
from service.roles import take_up
from service.settings import Settings

log = logging.getLogger("polarity.projections")

RESTART_SECONDS = 5.0  # before a projector process that ended on its own is started again
STOP_SECONDS = 15.0  # a stopping projector finishes its batch; then it is killed


@contextmanager
def beside_workers(settings: Settings) -> Iterator[None]:
    """While the block runs: with several workers and the views kept by the service, one
    projector process beside them, the workers told (POLARITY_PROJECTIONS=off in the
    environment they inherit) to leave the views to it; else nothing."""
    if settings.workers == 1 or not settings.projections_inline:
        yield
        return
    stop = threading.Event()
    supervisor = threading.Thread(target=_supervise, args=(stop,), name="projector", daemon=True)
    given = os.environ.get("POLARITY_PROJECTIONS")
    os.environ["POLARITY_PROJECTIONS"] = "off"
    supervisor.start()
    try:
        yield
    finally:
        stop.set()
        supervisor.join(STOP_SECONDS + 5)
        if given is None:
            del os.environ["POLARITY_PROJECTIONS"]
        else:
            os.environ["POLARITY_PROJECTIONS"] = given


def _supervise(stop: threading.Event) -> None:
    """Run the projector process until `stop`; start it again if it ends before."""
    env = {**os.environ, "POLARITY_PROJECTIONS": "inline"}
    command = [sys.executable, "-m", "service.projecting"]
    while not stop.is_set():
        # A session of its own: Ctrl-C at a terminal reaches the server, which stops it here.
        process = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, start_new_session=True)
        while process.poll() is None and not stop.wait(0.5):
            pass
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            return
        log.error(
            "the projector process ended (exit status %s); starting it again in %.0f s",
            process.returncode,
            RESTART_SECONDS,
        )
        stop.wait(RESTART_SECONDS)


def main() -> None:
    """The projector process: the views kept until SIGTERM, SIGINT, or its server is gone."""
    settings = Settings.from_env()
    logs.configure(settings)
    stop = threading.Event()

    def stopped(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, stopped)
    signal.signal(signal.SIGINT, stopped)
    threading.Thread(target=_until_stdin_closes, args=(stop,), daemon=True).start()
    with open_database(settings) as database:
        database = take_up(database, settings)  # as each worker connects
        app = Polarity(database, snapshot_interval=settings.snapshot_interval, create_tables=False)
        try:
            Projector(app, database, all_projections()).run(stop)
        finally:
            app.close()


def _until_stdin_closes(stop: threading.Event) -> None:
    """Set `stop` once stdin, a pipe from the server that started this process, closes: the
    server is gone, however it ended. It reads the descriptor itself: a daemon thread blocked in
    a buffered read holds the buffer's lock, and the interpreter's shutdown dies on it."""
    while os.read(sys.stdin.fileno(), 4096):
        pass
    stop.set()


if __name__ == "__main__":
    main()
