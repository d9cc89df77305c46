"""`python -m benchmarks.worker`: the CPU one initiativeReview costs the web worker, in-process.

The app (`service.web.create_app`, as a worker builds it, without the projector thread or the
verifier) is called as an ASGI application straight from an event loop, one request after
another, as uvicorn would call it; the process's CPU time over the requests, divided by their
number, is what one request costs the worker beside the database's own work (PostgreSQL runs
in its own processes). No sockets, HTTP parsing or client: only what the service's code does."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from benchmarks.api import REVIEW, REVIEW_INPUT, REVIEWER_ROLES, SECRET, global_id
from benchmarks.server import chosen_server, fresh_database
from domain.commands import ProposeInitiative
from domain.values import Actor
from service.application import Polarity
from service.database import Database
from service.settings import Settings
from service.unit_of_work import Context
from service.web import create_app, create_token

Message = dict[str, Any]


async def lifespan(app: Any, event: str, received: asyncio.Queue[Message]) -> None:
    await received.put({"type": f"lifespan.{event}"})


def request(body: bytes, token: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def call(app: Any, scope: dict[str, Any], body: bytes) -> bytes:
    sent = False
    answer: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            answer.append(message.get("body", b""))

    await app(scope, receive, send)
    return b"".join(answer)


async def serve(app: Any, run: Callable[[], Awaitable[None]]) -> None:
    """Run `run` between the app's lifespan startup and shutdown."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    task = asyncio.create_task(app({"type": "lifespan"}, inbox.get, outbox.put))
    started = await outbox.get()
    assert started["type"] == "lifespan.startup.complete", started
    try:
        await run()
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task


def measure(database: Database, n: int, clients: int) -> dict[str, float]:
    app = Polarity(database)
    ctx = Context(Actor("bench", REVIEWER_ROLES))
    pool: list[UUID] = [
        app.handle(ctx, ProposeInitiative(title=f"B {i}", problem="b", org_unit="Ops")).id
        for i in range(512)
    ]
    app.close()
    settings = Settings(
        database_url=database.url,
        jwt_secret=SECRET,
        log_level="WARNING",
        projections_inline=False,
        rate_limit=None,
        rate_limit_address=None,
        graphiql=False,
    )
    web = create_app(settings, database)
    token = create_token(settings, "bench", REVIEWER_ROLES)
    bodies = [
        json.dumps(
            {
                "query": REVIEW,
                "variables": {"i": {**REVIEW_INPUT, "id": global_id("Initiative", i)}},
            }
        ).encode()
        for i in pool
    ]
    found: dict[str, float] = {}

    async def run() -> None:
        async def client(c: int, count: int) -> None:
            for k in range(count):
                body = bodies[(c + k * clients) % len(bodies)]
                answer = await call(web, request(body, token), body)
                assert b'"userErrors":[]' in answer, answer

        await asyncio.gather(*(client(c, 50) for c in range(clients)))  # warm-up
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(client(c, n // clients) for c in range(clients)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        found.update(
            requests=n,
            per_s=round(n / wall, 1),
            cpu_ms=round(cpu * 1000 / n, 3),
            wall_ms=round(wall * 1000 / n, 3),
        )

    asyncio.run(serve(web, run))
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker", description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=1)
    args = parser.parse_args(argv)
    with chosen_server() as server, fresh_database(server.database) as database:
        print(measure(database, args.n, args.clients))


if __name__ == "__main__":
    main()
