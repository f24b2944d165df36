"""The kit's error handlers on bodies FastAPI cannot parse: each reason has its own message naming where it was."""

from __future__ import annotations

import sys

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from kf.runtime.errors import install_error_handlers
from kf.runtime.guards import BodyGuard

LIMIT = sys.get_int_max_str_digits()  # 4300 unless changed: Python refuses to convert a longer integer
LONG = "1" + "0" * LIMIT
JSON = {"content-type": "application/json"}


class Thing(BaseModel):
    name: str
    extra: dict | None = None


def _app(*, guard: bool) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    if guard:
        app.add_middleware(BodyGuard, max_bytes=64 * 1024)

    @app.post("/things", status_code=201)
    async def create(body: Thing) -> dict:
        return {"name": body.name}

    return app


@pytest.mark.parametrize("guard", [True, False])
@pytest.mark.parametrize(("body", "field"), [
    ('{"name": "x", "extra": {"n": ' + LONG + '}}', "extra.n"),
    ('{"name": "x", "extra": {"list": [1, -' + LONG + ']}}', "extra.list.1"),
    (LONG, "body"),
])
def test_an_integer_with_more_digits_than_python_converts_is_refused_naming_the_field(guard, body, field):
    # It was answered "body: must be JSON encoded as UTF-8", although the body is UTF-8 and valid JSON.
    assert LIMIT > 0  # 0 would lift the limit
    response = TestClient(_app(guard=guard), raise_server_exceptions=False).post("/things", content=body, headers=JSON)
    assert response.status_code == 422, response.text
    message = f"the number has more than {LIMIT} digits"
    assert response.json() == {"error": "invalid", "message": f"{field}: {message}",
                               "errors": [{"field": field, "message": message}]}


def test_a_long_number_that_python_reads_is_not_refused_by_its_length():
    # A float of any length converts (no digit limit): only integers hit it.
    response = TestClient(_app(guard=True)).post("/things", content='{"name": "x", "extra": {"n": ' + LONG + '.5}}',
                                                 headers=JSON)
    assert response.status_code == 201


@pytest.mark.parametrize("guard", [True, False])
def test_a_body_that_is_not_utf8_still_says_so(guard):
    response = TestClient(_app(guard=guard), raise_server_exceptions=False).post(
        "/things", content=b'{"name": "\xff"}', headers=JSON)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "body", "message": "must be JSON encoded as UTF-8"}]


def test_malformed_json_is_still_the_body_is_not_valid_json():
    response = TestClient(_app(guard=True)).post("/things", content=b'{"name": ', headers=JSON)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "body", "message": "the body is not valid JSON"}]
