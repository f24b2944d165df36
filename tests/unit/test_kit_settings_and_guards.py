"""Settings refuse the development token outside development; guards measure JSON nesting and refuse a body that is
not UTF-8 JSON, as the error handlers do; consumers read a message's stream position from its reply subject."""

import json

import pytest
from nats.aio.msg import Msg
from pydantic import ValidationError

from kf.runtime.consumer import stream_position
from kf.runtime.guards import json_depth
from kf.runtime.settings import DEV_TOKEN
from services.membership.settings import Settings


def test_development_gets_a_token_and_production_gets_none(monkeypatch):
    monkeypatch.delenv("KF_API_TOKENS", raising=False)
    dev = Settings(env="development")
    assert [t.token.get_secret_value() for t in dev.tokens()] == [DEV_TOKEN]
    assert Settings(env="production").tokens() == []


def test_the_development_token_is_refused_outside_development():
    tokens = json.dumps([{"name": "x", "token": DEV_TOKEN, "role": "admin", "region": "ostfold"}])
    with pytest.raises(ValidationError, match="only with KF_ENV=development"):
        Settings(env="production", api_tokens=tokens)


def test_settings_come_from_kf_variables(monkeypatch):
    monkeypatch.setenv("KF_REGION", "vestfold-telemark")
    monkeypatch.setenv("KF_HTTP_PORT", "9001")
    monkeypatch.setenv("KF_DATABASE_URL", "postgresql://u@db/membership")
    settings = Settings()
    assert settings.region == "vestfold-telemark" and settings.port == 9001
    assert settings.database_url_value() == "postgresql://u@db/membership"
    assert "u@db" not in repr(settings)  # secrets are masked


def test_a_region_must_be_a_subject_token(monkeypatch):
    monkeypatch.setenv("KF_REGION", "Øst fold")
    with pytest.raises(ValidationError, match="KF_REGION"):
        Settings()


def test_tokens_must_be_long_enough():
    with pytest.raises(ValidationError, match="at least 16"):
        Settings(env="production", api_tokens=json.dumps([{"name": "x", "token": "short", "role": "viewer",
                                                           "region": "ostfold"}])).tokens()


@pytest.mark.parametrize("body,depth", [
    (b'{"a": 1}', 1), (b"[[[]]]", 3), (b'{"a": "[[[[["}', 1), (b'{"a": "\\"[[", "b": [[1]]}', 3),
    (b'"\\\\"', 0), (b"[" * 50 + b"]" * 50, 50),
])
def test_json_depth_ignores_brackets_inside_strings(body, depth):
    assert json_depth(body) == depth


@pytest.mark.parametrize("reply", [
    "$JS.ACK.KF_MEMBERSHIP.metrics-membership.1.4711.4700.1732871234000000000.42",  # without a domain
    "$JS.ACK._.ABCDEFHASH.KF_MEMBERSHIP.metrics-membership.3.4711.4700.1732871234000000000.42.rand",  # with one
    "$JS.ACK.hub.ABCDEFHASH.KF_EVENTS.metrics-events.1.18.18.1732871234000000000.0",
])
def test_a_messages_stream_position_is_read_as_nats_py_reads_it(reply):
    msg = Msg(_client=None, subject="kf.ostfold.membership.organisation.registered", reply=reply, data=b"{}")
    assert stream_position(msg) == (msg.metadata.sequence.stream, msg.metadata.num_pending)


@pytest.mark.parametrize("reply", ["", "_INBOX.abc.def", "$JS.ACK.S.C.1.x.2.3.4"])
def test_a_message_without_a_stream_position_gets_none(reply):
    assert stream_position(Msg(_client=None, subject="s", reply=reply)) == (0, 0)


def test_sqlite_folds_case_beyond_ascii_as_postgresql_does(tmp_path):
    from sqlalchemy import column, func, literal, select, table, text

    from kf.runtime.db import make_engine
    engine = make_engine(f"sqlite:///{tmp_path / 'fold.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE orgs (name TEXT)"))
            conn.execute(text("INSERT INTO orgs VALUES ('Østfold fylkeskommune'), ('ÆRØ Næringsråd'), (NULL)"))
            orgs = table("orgs", column("name"))
            found = conn.execute(select(orgs.c.name).where(orgs.c.name.ilike("%østfold%"))).scalars().all()
            assert found == ["Østfold fylkeskommune"]
            assert conn.execute(select(func.lower(literal("ÆRØ")))).scalar_one() == "ærø"
    finally:
        engine.dispose()


@pytest.mark.parametrize(("body", "where"), [
    (rb'{"a": {"b": ["x", "y\u0000"]}}', "a.b.1"),
    (rb'{"k\u0000": 1}', "body"),
    (rb'{"a": "\\u0000"}', None),  # an escaped backslash, then "u0000": no NUL
    (rb'{"a": "\u0000', None),  # not JSON: the handler says so
])
def test_a_nul_character_is_found_where_it_is_in_a_json_body(body, where):
    from kf.runtime.guards import nul_in_json
    assert nul_in_json(body) == where


def _guarded_app(*, guard: bool = True):
    """A service-like app: the kit's error handlers, its body guard, and a route that stores a name."""
    from fastapi import FastAPI
    from pydantic import BaseModel

    from kf.runtime.errors import install_error_handlers
    from kf.runtime.guards import BodyGuard

    class Named(BaseModel):
        name: str

    app = FastAPI()
    install_error_handlers(app)
    if guard:
        app.add_middleware(BodyGuard, max_bytes=4096)

    @app.post("/things", status_code=201)
    async def create(body: Named) -> dict:
        return {"name": body.name}

    return app


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16", "utf-32"])
def test_a_body_in_another_encoding_than_utf8_is_refused_with_the_body_named(encoding):
    # The JSON parser reads UTF-16 and UTF-32 too, where the escape of a NUL is not the bytes the NUL guard looks for.
    from fastapi.testclient import TestClient

    body = '{"name": "NAV\\u0000X"}'.encode(encoding)
    response = TestClient(_guarded_app()).post("/things", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json() == {"error": "invalid", "message": "body: must be JSON encoded as UTF-8",
                                "errors": [{"field": "body", "message": "must be JSON encoded as UTF-8"}]}


@pytest.mark.parametrize("body", ['{"name": "Østfold"}'.encode(), '\ufeff{"name": "Østfold"}'.encode()])
def test_utf8_json_passes_the_guard(body):
    from fastapi.testclient import TestClient

    response = TestClient(_guarded_app()).post("/things", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 201 and response.json() == {"name": "Østfold"}


@pytest.mark.parametrize("guard", [True, False])
def test_a_body_that_is_not_utf8_is_refused_as_invalid_input_naming_the_body(guard):
    # Without the guard, FastAPI's own parser refuses it: the error handlers give it the same answer.
    from fastapi.testclient import TestClient

    body = b'{"name": "\xff\xfe"}'
    response = TestClient(_guarded_app(guard=guard), raise_server_exceptions=False).post(
        "/things", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json() == {"error": "invalid", "message": "body: must be JSON encoded as UTF-8",
                                "errors": [{"field": "body", "message": "must be JSON encoded as UTF-8"}]}
