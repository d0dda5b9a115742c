"""Reading request bodies every door shares (pure Starlette, no door's error shapes)."""
from __future__ import annotations

from fastapi import Request


class BodyTooLarge(Exception):
    """The body is (or says it is) larger than the door accepts."""


async def read_limited_body(request: Request, max_bytes: int) -> bytes:
    """The whole body, refused with BodyTooLarge as soon as it passes `max_bytes`: a
    declared Content-Length over the limit is refused before anything is read, and a
    stream that keeps coming is cut off there, never held in memory whole."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
        raise BodyTooLarge
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > max_bytes:
            raise BodyTooLarge
    return bytes(raw)
