"""The monitor server: an ASGI app (Starlette, served by Uvicorn) over one run store.

    GET  /                                   the dashboard (static HTML + JS + CSS shipped in the package)
    GET  /api/health                         {"ok": true} (no token needed)
    GET  /api/runs                           every run with its status and metric names
    GET  /api/runs/{id}                      one run with its hyper-parameters and status history
    GET  /api/runs/{id}/points?name=loss&max_points=1000[&start=&end=]
                                             one metric, downsampled to max_points; start/end zoom to a step range
    GET  /api/events                         server-sent events: "points" and "status" as they arrive
    POST /api/ingest                         one batch from a training process (idempotent by batch id)

Writes need ``Authorization: Bearer <token>``; reads accept the same header, the cookie set by
opening ``/?token=<token>`` once, or a ``token`` query parameter, and need none with ``public_read``.
A watchdog marks runs lost (no heartbeat for ``heartbeat_timeout`` s) and stalled (no new step for
``stall_timeout`` s); the notifier hears of every status change.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import time

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from glassbox.monitor.events import EventHub, watchdog
from glassbox.monitor.security import (
    RateLimiter,
    bearer_token,
    tokens_match,
    validate_metric_name,
    validate_param_key,
    validate_run_id,
    validate_run_name,
)
from glassbox.monitor.store import Store

STATIC_DIRECTORY = os.path.join(os.path.dirname(__file__), "static")
CLIENT_STATUSES = ("running", "finished", "failed", "killed", "nan")
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                 b"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),  # the page URL may hold ?token=
    (b"x-frame-options", b"DENY"),
]


class BatchError(ValueError):
    pass


def parse_batch(batch) -> dict:
    """Check a batch's layout, names and types; a BatchError says what is wrong."""
    try:
        if not isinstance(batch, dict):
            raise BatchError(f"a batch is a JSON object, got {type(batch).__name__}")
        validate_run_id(batch.get("run_id"))
        batch_id = batch.get("batch_id")
        if batch_id is not None and (not isinstance(batch_id, str) or not 1 <= len(batch_id) <= 128):
            raise BatchError(f"batch_id must be null or a string of 1 to 128 characters, got {batch_id!r}")
        header = batch.get("run")
        if header is not None:
            if not isinstance(header, dict):
                raise BatchError("run must be an object")
            validate_run_name(header.get("name"))
            for key in ("created", "heartbeat"):
                if header.get(key) is not None and not is_number(header[key]):
                    raise BatchError(f"run.{key} must be a number")
            if header.get("pid") is not None and not isinstance(header["pid"], int):
                raise BatchError("run.pid must be an integer")
            if header.get("host") is not None and (not isinstance(header["host"], str) or len(header["host"]) > 255):
                raise BatchError("run.host must be a string of at most 255 characters")
            config = header.get("config")
            if config is not None:
                if not isinstance(config, dict):
                    raise BatchError("run.config must be an object")
                for key in config:
                    validate_param_key(key)
        points = batch.get("points") or []
        if not isinstance(points, list):
            raise BatchError("points must be a list of [name, step, value, time]")
        names = set()
        for point in points:
            if not isinstance(point, list) or len(point) != 4:
                raise BatchError(f"a point is [name, step, value, time], got {point!r}"[:200])
            name, step, value, when = point
            if name not in names:  # a batch repeats a few names many times: check each name once
                names.add(validate_metric_name(name))
            if not isinstance(step, int) or isinstance(step, bool) or not 0 <= step < 2**62:
                raise BatchError(f"a step is an integer in [0, 2**62), got {step!r}")
            if value is not None and not is_number(value, finite=False):
                raise BatchError(f"a value is a number or null, got {value!r}")
            if not is_number(when):
                raise BatchError(f"a point's time is a number, got {when!r}")
        status = batch.get("status")
        if status is not None:
            if not isinstance(status, dict) or status.get("status") not in CLIENT_STATUSES:
                raise BatchError(f"status.status must be one of {', '.join(CLIENT_STATUSES)}")
            if status.get("message") is not None and not isinstance(status["message"], str):
                raise BatchError("status.message must be a string")
    except BatchError:
        raise
    except ValueError as error:
        raise BatchError(str(error).removeprefix("monitor: ")) from None
    return batch


def is_number(value, finite: bool = True) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) or not finite


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge()
    chunks, size = [], 0
    async for chunk in request.stream():  # a chunked body declares no length: count as it arrives
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


class Guard:
    """ASGI middleware: per-client rate limit on the API, and security headers on every response."""

    def __init__(self, app, limiter: RateLimiter):
        self.app, self.limiter = app, limiter

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        client = (scope.get("client") or ("unknown", 0))[0]
        if scope["path"].startswith("/api/") and not self.limiter.allow(client):
            retry = max(1, math.ceil(self.limiter.retry_after(client)))
            response = JSONResponse({"error": "too many requests"}, status_code=429,
                                    headers={"Retry-After": str(retry)})
            return await response(scope, receive, self.with_headers(send))
        return await self.app(scope, receive, self.with_headers(send))

    @staticmethod
    def with_headers(send):
        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *SECURITY_HEADERS]
            await send(message)
        return send_with_headers


def create_app(store: Store | str, token: str, public_read: bool = False, heartbeat_timeout: float = 60.0,
               stall_timeout: float | None = None, max_body: int = 2 * 2**20, rate_limit: float = 100.0,
               rate_burst: float | None = None, notifier=None, poll_interval: float = 0.25,
               secure_cookie: bool = False) -> Starlette:
    """The ASGI app for ``store`` (a Store or the path of its SQLite file)."""
    store = store if isinstance(store, Store) else Store(store)
    state: dict = {}

    def cookie_name(request: Request) -> str:
        return f"glassbox_monitor_{request.url.port or 0}"

    def refusal(request: Request, write: bool) -> Response | None:
        """None when the request may go on, else the 401 / 403 answer."""
        if public_read and not write:
            return None
        given = bearer_token(request.headers.get("authorization"))
        if given is None and not write:
            given = request.cookies.get(cookie_name(request)) or request.query_params.get("token")
        if given is None:
            return JSONResponse({"error": "a token is needed (Authorization: Bearer <token>)"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        if not tokens_match(given, token):
            return JSONResponse({"error": "wrong token"}, status_code=403)
        return None

    async def index(request: Request) -> Response:
        given = request.query_params.get("token")
        if given is not None and tokens_match(given, token):
            response = RedirectResponse("/", status_code=303)  # the token leaves the address bar and history
            response.set_cookie(cookie_name(request), token, httponly=True, samesite="strict", secure=secure_cookie)
            return response
        return FileResponse(os.path.join(STATIC_DIRECTORY, "index.html"), headers={"Cache-Control": "no-store"})

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "public_read": public_read})

    async def runs(request: Request) -> Response:
        if (refused := refusal(request, write=False)) is not None:
            return refused
        return JSONResponse({"runs": await run_in_threadpool(store.runs)})

    async def run_detail(request: Request) -> Response:
        if (refused := refusal(request, write=False)) is not None:
            return refused
        run = await run_in_threadpool(store.run, request.path_params["run_id"])
        if run is None:
            return JSONResponse({"error": "no such run"}, status_code=404)
        return JSONResponse(run)

    async def points(request: Request) -> Response:
        if (refused := refusal(request, write=False)) is not None:
            return refused
        query = request.query_params
        try:
            name = validate_metric_name(query.get("name"))
            numbers = {key: int(query[key]) if query.get(key) not in (None, "") else None
                       for key in ("max_points", "start", "end")}
        except ValueError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        if numbers["max_points"] is not None and numbers["max_points"] < 2:
            return JSONResponse({"error": "max_points must be at least 2"}, status_code=400)
        result = await run_in_threadpool(store.points, request.path_params["run_id"], name, numbers["max_points"],
                                         numbers["start"], numbers["end"])
        return JSONResponse(result)

    async def events(request: Request) -> Response:
        if (refused := refusal(request, write=False)) is not None:
            return refused
        hub: EventHub = state["hub"]
        subscriber = hub.subscribe()

        async def stream():
            try:
                yield "retry: 2000\n\n"
                while not subscriber.dropped:
                    try:
                        event = await asyncio.wait_for(subscriber.queue.get(), 15.0)
                    except TimeoutError:
                        yield ": keep-alive\n\n"
                        continue
                    if event is None:
                        break
                    yield event
            finally:
                hub.unsubscribe(subscriber)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def ingest(request: Request) -> Response:
        if (refused := refusal(request, write=True)) is not None:
            return refused
        try:
            body = await read_body(request, max_body)
        except BodyTooLarge:
            return JSONResponse({"error": f"body larger than {max_body} bytes"}, status_code=413)
        try:
            batch = parse_batch(json.loads(body))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            return JSONResponse({"error": f"not JSON: {error}"}, status_code=400)
        except BatchError as error:
            return JSONResponse({"error": str(error)}, status_code=422)
        result = await run_in_threadpool(store.ingest, batch)
        if result["points"] or batch.get("status") or batch.get("run"):
            state["hub"].wake.set()
        return JSONResponse(result)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        hub = EventHub(store, notifier, poll_interval)
        state["hub"] = hub
        started = time.time()
        tasks = [asyncio.create_task(hub.run()),
                 asyncio.create_task(watchdog(store, hub, heartbeat_timeout, stall_timeout, started))]
        try:
            yield
        finally:
            hub.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if notifier is not None:
                await run_in_threadpool(notifier.close, 5.0)

    routes = [
        Route("/", index),
        Route("/api/health", health),
        Route("/api/runs", runs),
        Route("/api/runs/{run_id}", run_detail),
        Route("/api/runs/{run_id}/points", points),
        Route("/api/events", events),
        Route("/api/ingest", ingest, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC_DIRECTORY), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.store = store
    limiter = RateLimiter(rate_limit, rate_burst)
    return Guard(app, limiter)
