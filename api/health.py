"""Liveness and readiness (DESIGN.md): /healthz says the process is up, /readyz that the
database answers and takes writes, and Rasa is reachable.

Both are public (the api is the only public service), so /readyz is cheap and says
little. Its checks run at most once every READINESS_CACHE_SECONDS whatever the traffic
(requests that arrive meanwhile get the cached answer, or wait for the one check under
way), so a flood of /readyz is not a flood of requests to Rasa and the database. The
answer is only {"status": "ready"} (200) or {"status": "not ready"} (503); which part
failed goes to the log, for the operator. Details for loopback callers only would have
been the other way, but the client address comes from X-Forwarded-For when uvicorn
trusts proxy headers, so such a check is only as sound as the proxy configuration."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text

from api.core.db import in_thread
from api.deps import ServicesDep

logger = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@dataclass
class CachedCheck:
    """The result of an async check, reused for ttl seconds; one check at a time."""

    ttl: float
    _result: bool | None = None
    _checked_at: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def result(self, check: Callable[[], Awaitable[bool]]) -> bool:
        async with self._lock:
            if self._result is None or time.monotonic() - self._checked_at >= self.ttl:
                self._result = await check()
                self._checked_at = time.monotonic()
            return self._result


def readiness_cache(request: Request, ttl: float) -> CachedCheck:
    """One cache per app (tests run several apps in one process)."""
    state = request.app.state
    if not hasattr(state, "readiness"):
        state.readiness = CachedCheck(ttl)
    return state.readiness


def database_state(engine: Engine) -> str:
    """"ok", "unreachable", or "read-only": a PostgreSQL that answers but takes no writes
    (a hot standby, default_transaction_read_only) can store no message."""
    try:
        with engine.connect() as connection:
            if connection.dialect.name != "postgresql":
                connection.execute(text("SELECT 1"))
                return "ok"
            read_only = connection.execute(text("SELECT current_setting('transaction_read_only')")).scalar_one()
            return "read-only" if read_only == "on" else "ok"
    except Exception:  # noqa: BLE001 - any failure means not ready
        return "unreachable"


@router.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request, services: ServicesDep) -> JSONResponse:
    async def check() -> bool:
        database, rasa = await in_thread(database_state, services.engine), await services.rasa.reachable()
        if database != "ok" or not rasa:
            logger.warning("Not ready: database %s, Rasa %s.", database, "ok" if rasa else "unreachable")
        return database == "ok" and rasa

    ready = await readiness_cache(request, services.settings.READINESS_CACHE_SECONDS).result(check)
    return JSONResponse({"status": "ready" if ready else "not ready"}, status_code=200 if ready else 503)
