"""ASGI guards in front of every service: body size and JSON nesting limits, UTF-8 bodies, and no NUL characters.

PostgreSQL text cannot hold a NUL character (SQLite stores it), so a NUL anywhere in a request would reach the
database as a 500 on one backend and be stored on the other: it is refused here, with a 422 naming where it was.
The NUL check reads JSON's UTF-8 text, while the JSON parser also decodes UTF-16 and UTF-32 (where the escape of a
NUL is other bytes): a body that is not UTF-8 is refused as well."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_JSON_DEPTH = 32
_STRUCTURE = re.compile(rb'[\[\]{}"\\]')
NUL_MESSAGE = "must not contain a NUL character (U+0000)"
UTF8_MESSAGE = "must be JSON encoded as UTF-8"


def utf8_json_text(body: bytes) -> bool:
    """Whether a body can be JSON in UTF-8: it decodes strictly (no UTF-16/32 byte order mark, no invalid sequence or
    lone surrogate) and holds no NUL byte (which JSON text never holds, and UTF-16/32 text of ASCII always does)."""
    if b"\x00" in body:
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects, ignoring brackets inside strings."""
    depth = deepest = 0
    in_string = False
    escaped_at = -1  # index of the character a backslash escapes
    for match in _STRUCTURE.finditer(body):
        ch, pos = match.group(), match.start()
        if in_string:
            if pos == escaped_at:
                continue
            if ch == b"\\":
                escaped_at = pos + 1
            elif ch == b'"':
                in_string = False
            continue
        if ch == b'"':
            in_string = True
        elif ch in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif ch in (b"]", b"}"):
            depth -= 1
    return deepest


def nul_in_url(scope: Scope) -> str | None:
    """Where a request's path or query holds a NUL character: "path", the query parameter's name, or None."""
    if "\x00" in scope.get("path", ""):
        return "path"
    for name, value in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "") or "query"
    return None


def nul_in_json(body: bytes) -> str | None:
    """The dotted path of the first key or string of a JSON body that holds a NUL character ("body" for the body
    itself), or None (also for a body that is not JSON: the handler reports that)."""
    if b"\\u0000" not in body:  # the only way JSON text can carry a NUL
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return None

    def walk(value, path: tuple) -> str | None:
        if isinstance(value, str):
            return ".".join(path) or "body" if "\x00" in value else None
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, item in items:
            if isinstance(key, str) and "\x00" in key:
                return ".".join(path) or "body"
            found = walk(item, (*path, str(key)))
            if found:
                return found
        return None
    return walk(document, ())


class BodyGuard:
    """Refuses oversized bodies with 413 and too deeply nested JSON with 400, and a body that is not UTF-8 or a NUL
    character in the path, the query or a JSON body with 422, before any handler runs. Every service's API takes
    JSON, so every body is held to UTF-8."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = nul_in_url(scope)
        if where is not None:
            await _refuse_nul(send, where)
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _refuse(send, 413, "too_large", f"the body is larger than {self.max_bytes} bytes")
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _refuse(send, 413, "too_large", f"the body is larger than {self.max_bytes} bytes")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if not utf8_json_text(body):
            await _refuse(send, 422, "invalid", f"body: {UTF8_MESSAGE}",
                          errors=[{"field": "body", "message": UTF8_MESSAGE}])
            return
        if json_depth(body) > MAX_JSON_DEPTH:
            await _refuse(send, 400, "too_deep", f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
            return
        where = nul_in_json(body)
        if where is not None:
            await _refuse_nul(send, where)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _refuse_nul(send: Send, where: str) -> None:
    """422 in the shape of the error handlers' (errors.py), naming where the NUL was."""
    await _refuse(send, 422, "invalid", f"{where}: {NUL_MESSAGE}", errors=[{"field": where, "message": NUL_MESSAGE}])


async def _refuse(send: Send, status: int, code: str, message: str, errors: list[dict] | None = None) -> None:
    body: dict = {"error": code, "message": message}
    if errors:
        body["errors"] = errors
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
