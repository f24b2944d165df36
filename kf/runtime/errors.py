"""Errors a user can cause, rendered as one JSON shape that names the field and what was expected."""

from __future__ import annotations

import json
import logging
import sys
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from kf.runtime.guards import UTF8_MESSAGE

log = logging.getLogger("kf.http")

# FastAPI's detail for a body whose parsing raised something other than a JSONDecodeError: a UnicodeDecodeError for
# bytes that are not UTF-8, or the ValueError of a JSON integer with more digits than Python converts (4300, see
# sys.set_int_max_str_digits). Answered as invalid input naming the body, or the field holding the number.
_UNPARSEABLE_BODY = "There was an error parsing the body"
_NOT_JSON = "the body is not valid JSON"
_TOO_MANY_DIGITS = object()


class DomainError(Exception):
    """A refused request: nothing was changed. `status` is the HTTP status to answer with."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Invalid(DomainError):
    status = 422
    code = "invalid"


class FieldError(BaseModel):
    field: str | None
    message: str


class ErrorBody(BaseModel):
    """Every refused request answers with this shape."""

    error: str
    message: str
    errors: list[FieldError] | None = None


ERROR_RESPONSES: dict[int | str, dict] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in ((400, "Malformed request"), (401, "Missing or unknown token"), (403, "Role or region not allowed"),
                       (404, "Not found"), (409, "Conflicts with the current state"), (413, "Body too large"),
                       (422, "Invalid input: `errors` names each field"))
}


def error_body(code: str, message: str, errors: list[dict] | None = None, **details: object) -> dict:
    body: dict = {"error": code, "message": message}
    if errors:
        body["errors"] = errors
    body.update({k: v for k, v in details.items() if v is not None})
    return body


def _field_name(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or (str(loc[0]) if loc else "request")


def _plain(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def _int_or_marker(text: str) -> object:
    try:
        return int(text)
    except ValueError:  # more digits than sys.get_int_max_str_digits()
        return _TOO_MANY_DIGITS


def _long_number_at(body: bytes) -> str | None:
    """The dotted path of the first JSON integer in a body with more digits than Python converts ("body" for the body
    itself), or None when there is none."""
    try:
        document = json.loads(body, parse_int=_int_or_marker)
    except (ValueError, RecursionError):
        return None

    def walk(value: object, path: tuple[str, ...]) -> str | None:
        if value is _TOO_MANY_DIGITS:
            return ".".join(path) or "body"
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, item in items:
            found = walk(item, (*path, str(key)))
            if found:
                return found
        return None
    return walk(document, ())


async def _unparseable_body(request: Request, cause: BaseException | None) -> tuple[str, str]:
    """(field, message) for a body FastAPI could not parse."""
    if isinstance(cause, UnicodeDecodeError):
        return "body", UTF8_MESSAGE
    try:
        where = _long_number_at(await request.body())  # read already, so answered from the request's cache
    except Exception:  # noqa: BLE001 - the answer is still a 422 naming the body
        where = None
    if where is not None:
        return where, f"the number has more than {sys.get_int_max_str_digits()} digits"
    return "body", _NOT_JSON


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        errors = [{"field": exc.field, "message": exc.message}] if exc.field else None
        return JSONResponse(error_body(exc.code, exc.message, errors, **exc.details), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors()[:20]:
            field = _field_name(tuple(err.get("loc", ())))
            if err.get("type") == "json_invalid":
                errors.append({"field": "body", "message": _NOT_JSON})
            else:
                errors.append({"field": field, "message": _plain(str(err.get("msg", "invalid")))})
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return JSONResponse(error_body("invalid", summary or "invalid request", errors), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == _UNPARSEABLE_BODY:  # as a body that is not JSON (json_invalid)
            field, message = await _unparseable_body(request, exc.__cause__)
            errors = [{"field": field, "message": message}]
            return JSONResponse(error_body("invalid", f"{field}: {message}", errors), status_code=422)
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        code = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                413: "too_large"}.get(exc.status_code, "error")
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        incident = uuid.uuid4().hex[:12]
        log.error("unhandled error", extra={"incident": incident, "path": request.url.path, "error": type(exc).__name__})
        return JSONResponse(error_body("internal", f"internal error (incident {incident}); nothing was changed"), status_code=500)
