"""The api: FastAPI edge service (Twilio webhooks, web chat, printable plans, the staff
dashboard, health).
Run with `uvicorn --factory api.main:create_app --no-access-log` after `python -m api.prestart`
(database migrations): an access log would hold every plan link's token."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.trustedhost import TrustedHostMiddleware

from api.chat.errors import install_error_handlers
from api.chat.guard import ChatOrigins
from api.core.db import in_thread
from api.core.identity import RedactIdentifiers
from api.core.settings import Settings, get_settings
from api.routes import api_router
from api.services import build_services
from api.sms.delivery import Messenger
from api.staff.routes import install_staff_errors
from api.staff.web import StaffHeaders

logger = logging.getLogger(__name__)


def configure_logging() -> None:
    """Phone numbers and contact ids never reach a log line, whoever logs them (uvicorn,
    twilio, a database error quoting a key, us)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact = RedactIdentifiers()
    # uvicorn.access is left alone: its formatter needs the raw arguments, and `make run`
    # turns it off (a plan page's URL holds its token).
    for name in ("", "uvicorn", "uvicorn.error"):
        for handler in logging.getLogger(name).handlers:
            if redact not in handler.filters:
                handler.addFilter(redact)
    # The twilio client logs request bodies (numbers included) at INFO; httpx logs every
    # call to Rasa at INFO.
    logging.getLogger("twilio").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def create_app(settings: Settings | None = None, messenger: Messenger | None = None,
               run_scheduler: bool = True) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging()
        services = build_services(settings, messenger)
        app.state.services = services
        # Only turns whose lease ran out (other api processes may be answering the rest);
        # every scheduler round does the same, for turns and reminders.
        recovered = await in_thread(services.turns.recover_interrupted)
        if recovered:
            logger.warning("%d interrupted turns will be retried.", recovered)
        loop_task = asyncio.create_task(services.scheduler.run_forever()) if run_scheduler else None
        try:
            yield
        finally:
            if loop_task is not None:
                loop_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await loop_task
            await services.turns.drain()
            await services.rasa.aclose()
            services.close()

    # The schema and its docs page describe every route: for developers, not the public.
    # No route wants a trailing-slash redirect, and one would be built from the Host header.
    local = settings.ENVIRONMENT != "production"
    app = FastAPI(title="family-guide-assistant-api", lifespan=lifespan, redirect_slashes=False,
                  openapi_url="/openapi.json" if local else None, docs_url="/docs" if local else None,
                  redoc_url=None)
    # Only the allowed websites may call the chat api from a browser (CORS for them alone).
    app.add_middleware(ChatOrigins, allowed_origins=settings.chat_allowed_origins)
    # A request for any other Host is refused (400) before a route sees it.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts, www_redirect=False)
    # The staff dashboard's security headers (CSP, no framing, no caching, HSTS over https).
    app.add_middleware(StaffHeaders, hsts=settings.secure_cookies)
    install_error_handlers(app)
    install_staff_errors(app)
    app.include_router(api_router)
    return app

