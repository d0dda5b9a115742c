"""One error shape for everything under /api/chat, FastAPI's own answers included (an
unknown path, a wrong method, a database that is down):
{"error": {"code": str, "message": str}} (+ "retry_after" for 429), the message a
sentence for the parent in the request's language (api/texts.yml group chat_errors)."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException

from api.core.i18n import accepted_language, text
from bot.i18n import SOURCE_LANGUAGE, supported_language

logger = logging.getLogger(__name__)
CHAT_PREFIX = "/api/chat"
# FastAPI's own answers under CHAT_PREFIX, by status.
STATUS_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large",
                422: "bad_request"}


class ChatError(Exception):
    """Answered as the chat's error shape; `values` fill the message's placeholders."""

    def __init__(self, status: int, code: str, language: str | None = None, retry_after: int | None = None,
                 **values: Any) -> None:
        super().__init__(code)
        self.status, self.code, self.language, self.retry_after, self.values = (
            status, code, language, retry_after, values)


def is_chat_path(path: str) -> bool:
    return path == CHAT_PREFIX or path.startswith(CHAT_PREFIX + "/")


def request_language(request: Request | None, *stated: str | None) -> str:
    """The first supported of the `stated` languages (the request's field, the session's),
    else the browser's Accept-Language, else English."""
    for language in map(supported_language, stated):
        if language:
            return language
    header = request.headers.get("accept-language") if request is not None else None
    return accepted_language(header) or SOURCE_LANGUAGE


def error_response(status: int, code: str, language: str, retry_after: int | None = None,
                   **values: Any) -> JSONResponse:
    body: dict[str, Any] = {"error": {"code": code, "message": text(f"chat_errors.{code}", language, **values)}}
    headers = {"Cache-Control": "no-store"}
    if retry_after is not None:
        body["retry_after"] = retry_after
        headers["Retry-After"] = str(retry_after)
    return JSONResponse(body, status_code=status, headers=headers)


async def _chat_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ChatError)
    return error_response(error.status, error.code, request_language(request, error.language), error.retry_after,
                          **error.values)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if not is_chat_path(request.url.path):
        return await http_exception_handler(request, error)
    response = error_response(error.status_code, STATUS_CODES.get(error.status_code, "bad_request"),
                              request_language(request))
    if error.headers and "Allow" in error.headers:
        response.headers["Allow"] = error.headers["Allow"]
    return response


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    if not is_chat_path(request.url.path):
        return await request_validation_exception_handler(request, error)
    return error_response(400, "bad_request", request_language(request))


async def _database_error(request: Request, error: Exception) -> Response:
    if not is_chat_path(request.url.path):
        raise error
    # hide_parameters (api.core.db): the error's text carries no row values.
    logger.error("The database did not answer a chat request: %s", type(error).__name__)
    return error_response(503, "unavailable", request_language(request))


def install_error_handlers(app: FastAPI) -> None:
    """The chat's error shape under /api/chat; FastAPI's defaults everywhere else."""
    app.add_exception_handler(ChatError, _chat_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DBAPIError, _database_error)
