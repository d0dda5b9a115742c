"""The web chat's JSON api (the contract: docs/web-chat.md, summarized here).

POST /api/chat          {session_id?, message, language?, school?, message_id?}
                        -> {session_id, messages, pending}; no session_id starts a session
POST /api/chat/history  {session_id} -> {session_id, language, messages}
POST /api/chat/poll     {session_id, after} -> {messages} (waits up to CHAT_POLL_SECONDS)
GET  /api/chat/strings?lang=es -> {language, strings}: the widget's own texts

Bodies are read explicitly (no pydantic models): every refusal gets the chat's error shape
(api/chat/errors.py), in the parent's language. A body over CHAT_MAX_BODY_BYTES is 413
too_large before it is read whole; a message over CHAT_MAX_MESSAGE_CHARS is 413 too_long
and nothing is stored. Origins and CORS: api/chat/guard.py (middleware).
"""
from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.chat import store
from api.chat.errors import ChatError, request_language
from api.core.db import in_thread
from api.core.http import BodyTooLarge, read_limited_body
from api.core.i18n import text, texts
from api.deps import ServicesDep
from api.services import Services
from bot.i18n import supported_language
from bot.text import without_control_characters

router = APIRouter(prefix="/api/chat", tags=["chat"])
STRINGS_GROUP = "widget"
STRINGS_CACHE_CONTROL = "public, max-age=3600"
NO_STORE = {"Cache-Control": "no-store"}


# --- reading a request ---------------------------------------------------------------


async def json_body(request: Request, max_bytes: int) -> dict[str, Any]:
    """The body as a JSON object; ChatError 413 past max_bytes (read no further), 400 for
    anything that is not a UTF-8 JSON object."""
    try:
        raw = await read_limited_body(request, max_bytes)
    except BodyTooLarge:
        raise ChatError(413, "too_large") from None
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ChatError(400, "bad_request") from None
    if not isinstance(body, dict):
        raise ChatError(400, "bad_request")
    return body


def optional_string(body: dict[str, Any], name: str, language: str | None = None) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ChatError(400, "bad_request", language)
    return value


def required_string(body: dict[str, Any], name: str, language: str | None = None) -> str:
    value = optional_string(body, name, language)
    if value is None:
        raise ChatError(400, "bad_request", language)
    return value


def stated_language(body: dict[str, Any]) -> str | None:
    """The `language` field when it names a supported language (another one is ignored:
    a school's page may say any language; the widget falls back to English)."""
    return supported_language(optional_string(body, "language"))


def client_message_id(body: dict[str, Any], language: str | None) -> str | None:
    value = optional_string(body, "message_id", language)
    if value is not None and not store.CLIENT_MESSAGE_ID_PATTERN.fullmatch(value):
        raise ChatError(400, "bad_request", language)
    return value


def client_address(request: Request) -> str:
    """As uvicorn sees it (X-Forwarded-For only from FORWARDED_ALLOW_IPS' proxies)."""
    return request.client.host if request.client else "unknown"


async def read_request(request: Request, services: Services) -> tuple[dict[str, Any], str | None]:
    """Every POST: counted against its address's rate limit, then its body and the language
    it states."""
    services.chat_limits.check_ip(client_address(request))
    body = await json_body(request, services.settings.CHAT_MAX_BODY_BYTES)
    return body, stated_language(body)


async def open_session(services: Services, token: str, language: str | None) -> store.SessionView:
    """The session of a token; 404 unknown_session, 410 expired_session."""
    chat = await in_thread(services.chat.open, token)
    if chat is None:
        raise ChatError(404, "unknown_session", language)
    if chat.expired:
        raise ChatError(410, "expired_session", language or chat.language)
    return chat


# --- the routes ----------------------------------------------------------------------


@router.post("")
async def say(request: Request, services: ServicesDep) -> JSONResponse:
    settings = services.settings
    body, language = await read_request(request, services)
    words = without_control_characters(required_string(body, "message", language))
    token = optional_string(body, "session_id", language)
    school = optional_string(body, "school", language)
    message_id = client_message_id(body, language)
    known = await open_session(services, token, language) if token is not None else None
    if len(words) > settings.CHAT_MAX_MESSAGE_CHARS:  # refused before anything is stored
        raise ChatError(413, "too_long", language or (known.language if known else None),
                        max_chars=settings.CHAT_MAX_MESSAGE_CHARS)
    if known is None:
        token, chat = await in_thread(services.chat.start, language, school)
    else:
        services.chat_limits.check_session(known.contact_id, language or known.language)
        chat = known
    said = await services.chat.say(chat, words, language, message_id, started=known is None)
    return JSONResponse({"session_id": token, "messages": said.messages, "pending": said.pending}, headers=NO_STORE)


@router.post("/history")
async def history(request: Request, services: ServicesDep) -> JSONResponse:
    body, language = await read_request(request, services)
    token = required_string(body, "session_id", language)
    chat = await open_session(services, token, language)
    messages = await in_thread(services.chat.history, chat)
    return JSONResponse({"session_id": token, "language": chat.language, "messages": messages}, headers=NO_STORE)


@router.post("/poll")
async def poll(request: Request, services: ServicesDep) -> JSONResponse:
    body, language = await read_request(request, services)
    token = required_string(body, "session_id", language)
    after = body.get("after")
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise ChatError(400, "bad_request", language)
    chat = await open_session(services, token, language)
    return JSONResponse({"messages": await services.chat.poll(chat, after)}, headers=NO_STORE)


@router.get("/strings")
async def strings(request: Request) -> JSONResponse:
    """The widget's own interface texts (api/texts.yml group `widget`), translated."""
    language = request_language(request, request.query_params.get("lang"))
    prefix = STRINGS_GROUP + "."
    found = {key[len(prefix):]: text(key, language) for key in texts() if key.startswith(prefix)}
    return JSONResponse({"language": language, "strings": found},
                        headers={"Cache-Control": STRINGS_CACHE_CONTROL, "Vary": "Accept-Language"})
