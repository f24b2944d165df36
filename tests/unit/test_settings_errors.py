"""Bad settings are refused when the settings are made, for every command, with a message that names the variable
(or the file and entry) and what was expected, and never the value of a secret (docs/reliability.md,
docs/operations.md section 2)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.membership.settings import Settings
from services.metrics.settings import Settings as MetricsSettings

ROOT = Path(__file__).resolve().parents[2]
KF = str(Path(sys.executable).parent / "kf")
SHORT = "shortsecret42"  # 13 characters: too short, and must never be shown
REGION_DATA = ROOT / "kf" / "regiondata"


@pytest.fixture(autouse=True)
def _no_kf_environment(monkeypatch):
    for name in list(os.environ):
        if name.startswith("KF_"):
            monkeypatch.delenv(name)


def problems(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    """What `kf` prints for these errors (kf/cli.py `_settings`)."""
    return "; ".join((f"KF_{'_'.join(str(p) for p in e['loc']).upper()}: " if e["loc"] else "")
                     + e["msg"].removeprefix("Value error, ") for e in exc.value.errors(include_input=False))


def refused(cls=Settings, **values) -> str:
    with pytest.raises(ValidationError) as exc:
        cls(**values)
    text = problems(exc)
    for secret in (SHORT, "hunter2pw"):
        assert secret not in text and secret not in str(exc.value), "a secret in the error"
    return text


# --- A: each bad value is named -----------------------------------------------------------------------------------
@pytest.mark.parametrize("level", ["verbose", "trace", ""])
def test_an_unknown_log_level_is_refused_naming_the_choices(level):
    text = refused(log_level=level)
    assert text.startswith("KF_LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")


def test_a_log_level_is_accepted_in_any_case():
    assert Settings(log_level="debug").log_level == "DEBUG"


@pytest.mark.parametrize("cls", [Settings, MetricsSettings])
def test_a_region_without_data_is_refused_naming_kf_region(cls):
    text = refused(cls, region="nordland")
    assert text.startswith("KF_REGION: no shipped data for region 'nordland'")
    assert "ostfold, vestfold-telemark" in text and "KF_REGION_FILE" in text


@pytest.mark.parametrize("cls", [Settings, MetricsSettings])
def test_a_missing_region_file_is_blamed_on_kf_region_file(cls, tmp_path):
    text = refused(cls, region_file=str(tmp_path / "nordland.json"))
    assert text == f"KF_REGION_FILE: {tmp_path / 'nordland.json'} does not exist or is not a file"
    assert "KF_REGIONS" not in text


@pytest.mark.parametrize("cls", [Settings, MetricsSettings])
def test_a_region_file_that_is_not_json_names_the_file_and_the_variable(cls, tmp_path):
    bad = tmp_path / "ostfold.json"
    bad.write_text('{"id": "ostfold",\n"name" "Østfold"}\n', encoding="utf-8")
    text = refused(cls, region_file=str(bad))
    assert text == f"KF_REGION_FILE: {bad} is not valid JSON: Expecting ':' delimiter at line 2 column 8"


def test_a_region_file_that_is_not_region_data_says_what_is_missing(tmp_path):
    bad = tmp_path / "ostfold.json"
    bad.write_text('{"id": "ostfold"}', encoding="utf-8")
    text = refused(region_file=str(bad))
    assert text.startswith(f"KF_REGION_FILE: {bad} is not region data") and "focus_areas: Field required" in text


def test_a_region_file_of_another_region_is_refused(tmp_path):
    text = refused(region="ostfold", region_file=str(REGION_DATA / "vestfold-telemark.json"))
    assert text.startswith("KF_REGION_FILE: ") and "describes region 'vestfold-telemark', not 'ostfold'" in text


def test_a_region_file_for_the_region_is_accepted(tmp_path):
    copy = tmp_path / "vt.json"
    copy.write_text((REGION_DATA / "vestfold-telemark.json").read_text(encoding="utf-8"), encoding="utf-8")
    assert Settings(region="vestfold-telemark", region_file=str(copy)).region == "vestfold-telemark"


def test_metrics_names_a_served_region_without_data_as_kf_regions():
    text = refused(MetricsSettings, regions="ostfold,nordland")
    assert text.startswith("KF_REGIONS: no shipped data for region 'nordland'")
    assert "KF_REGION_FILE gives the data of KF_REGION (ostfold) only" in text


def test_a_missing_api_tokens_file_is_named(tmp_path):
    text = refused(api_tokens_file=str(tmp_path / "tokens.json"))
    assert text == f"KF_API_TOKENS_FILE: cannot read {tmp_path / 'tokens.json'}: No such file or directory"


@pytest.mark.parametrize("url,expected", [
    ("nonsense", "not a database URL"),
    ("postgresql://u:hunter2pw@127.0.0.1:abc/db", "not a valid database URL (check that the port is a number)"),
    ("mysql://u:hunter2pw@db/kf", "unsupported database 'mysql' (PostgreSQL or SQLite)"),
    ("postgresql+nodriver://u:hunter2pw@db/kf", "unknown database driver 'postgresql+nodriver'"),
])
def test_a_bad_database_url_is_named_without_its_value(url, expected):
    text = refused(database_url=url)
    assert text.startswith(f"KF_DATABASE_URL: {expected}; expected e.g. postgresql://")
    assert "abc" not in text and "u:" not in text


@pytest.mark.parametrize("url", ["", "  "])
def test_a_database_url_set_but_empty_is_refused_not_taken_for_the_sqlite_default(url):
    """A Kubernetes secret with an empty value: the pod must not run on a throw-away SQLite file and call it ready."""
    assert refused(database_url=url).startswith("KF_DATABASE_URL: is set but empty (a secret without a value?)")


def test_an_unset_database_url_is_the_sqlite_file_in_the_data_dir(tmp_path):
    assert Settings(data_dir=str(tmp_path)).database_url_value() == f"sqlite:///{tmp_path / 'membership.db'}"


@pytest.mark.parametrize("url", ["postgresql://u:pw@db:5432/kf", "postgres://u@db/kf", "sqlite:///var/x.db"])
def test_good_database_urls_are_accepted(url):
    assert Settings(database_url=url).database_url_value() == url


@pytest.mark.parametrize("port", [0, -1, 65536, 99999])
def test_a_port_outside_1_to_65535_is_refused(port):
    text = refused(http_port=port)
    assert text.startswith("KF_HTTP_PORT: must be a TCP port from 1 to 65535")


@pytest.mark.parametrize("port", [1, 65535])
def test_ports_at_the_bounds_are_accepted(port):
    assert Settings(http_port=port).port == port


# --- B and C: tokens are checked in every environment, named by their source, never shown -----------------------
def tokens(*items) -> str:
    return json.dumps(list(items))


def token(**changes) -> dict:
    return {"name": "x", "token": "a-long-enough-token-0001", "role": "viewer", "region": "ostfold"} | changes


@pytest.mark.parametrize("env", ["development", "test", "production"])
def test_a_short_token_is_named_by_its_entry_in_every_environment(env):
    text = refused(env=env, api_tokens=tokens(token(), token(token=SHORT)))
    assert text == "KF_API_TOKENS[1].token: must be at least 16 characters"
    assert "KF_TOKEN" not in text


def test_a_short_token_in_a_file_is_named_by_the_file_and_entry(tmp_path):
    file = tmp_path / "tokens.json"
    file.write_text(tokens(token(token=SHORT)), encoding="utf-8")
    text = refused(api_tokens_file=str(file))
    assert text == f"KF_API_TOKENS_FILE ({file}) entry 0, token: must be at least 16 characters"


def test_tokens_that_are_an_object_not_a_list_are_named():
    text = refused(api_tokens=json.dumps({"name": "x"}))
    assert text == "KF_API_TOKENS must be a JSON list of {name, token, role, region}, got a JSON object"


def test_missing_and_wrong_token_fields_are_named():
    text = refused(api_tokens=tokens({"name": "x"}, token(role="boss"), "just-a-string"))
    assert "KF_API_TOKENS[0].token: Field required" in text and "KF_API_TOKENS[0].role: Field required" in text
    assert "KF_API_TOKENS[1].role: Input should be 'viewer', 'coordinator' or 'admin'" in text
    assert "KF_API_TOKENS[2] must be a JSON object {name, token, role, region}, got a JSON string" in text


def test_tokens_that_are_not_json_are_named_without_their_text():
    text = refused(api_tokens=f'[{{"token": "{SHORT}"')
    assert text.startswith("KF_API_TOKENS is not valid JSON (")


def test_the_development_token_in_a_file_is_refused_naming_the_file(tmp_path):
    from kf.runtime.settings import DEV_TOKEN

    file = tmp_path / "tokens.json"
    file.write_text(tokens(token(token=DEV_TOKEN)), encoding="utf-8")
    text = refused(env="production", api_tokens_file=str(file))
    assert text.startswith("KF_API_TOKENS_FILE: the development token is accepted only with KF_ENV=development")
    assert DEV_TOKEN not in text


def test_several_problems_are_reported_together():
    text = refused(region="nordland", api_tokens=tokens(token(token=SHORT)))
    assert text.startswith("KF_REGION: ") and "; KF_API_TOKENS[0].token: must be at least 16 characters" in text


def test_good_tokens_are_read_once_when_the_settings_are_made(tmp_path):
    file = tmp_path / "tokens.json"
    file.write_text(tokens(token()), encoding="utf-8")
    settings = Settings(api_tokens_file=str(file))
    file.unlink()
    assert [t.name for t in settings.tokens()] == ["x"]
    assert [t.name for t in settings.model_copy(update={"relay_in_process": False}).tokens()] == ["x"]


# --- D: a NATS credentials file --------------------------------------------------------------------------------------
def creds_file(path: Path) -> tuple[Path, bytes]:
    """A credentials file as `nsc generate creds` writes it, with a real user seed; returns it and the seed."""
    import nkeys

    seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.c2ln"
    path.write_text(f"-----BEGIN NATS USER JWT-----\n{jwt}\n------END NATS USER JWT------\n\n"
                    f"-----BEGIN USER NKEY SEED-----\n{seed.decode()}\n------END USER NKEY SEED------\n", encoding="utf-8")
    return path, seed


def test_nats_py_is_required_with_nkeys():
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert any(d.replace(" ", "").startswith("nats-py[nkeys]") for d in dependencies)


def test_a_credentials_file_signs_the_servers_nonce(tmp_path):
    """What nats-py does with KF_NATS_CREDS_FILE when it connects (it needs nkeys; without it: ImportError)."""
    import nkeys
    from nats.aio.client import Client

    path, seed = creds_file(tmp_path / "kf.creds")
    settings = Settings(nats_creds_file=str(path))
    client = Client()
    client._user_credentials = settings.nats_creds_file
    client._setup_nkeys_connect()
    signature = base64.b64decode(client._signature_cb("a-nonce"))
    assert bytes(client._user_jwt_cb()).startswith(b"eyJ0eXAi")
    assert nkeys.from_seed(bytearray(seed)).verify(b"a-nonce", signature)


def test_a_missing_credentials_file_is_named(tmp_path):
    text = refused(nats_creds_file=str(tmp_path / "kf.creds"))
    assert text == f"KF_NATS_CREDS_FILE: {tmp_path / 'kf.creds'} does not exist"


def test_a_file_that_is_not_credentials_is_refused_without_its_contents(tmp_path):
    bad = tmp_path / "kf.creds"
    bad.write_text(f"SUA{SHORT}\n", encoding="utf-8")
    text = refused(nats_creds_file=str(bad))
    assert text.startswith(f"KF_NATS_CREDS_FILE: {bad} is not a NATS credentials file: expected the 'BEGIN NATS USER JWT'")


def test_a_credentials_path_that_is_a_directory_is_named(tmp_path):
    # A mounted secret given as its folder rather than its key.
    assert refused(nats_creds_file=str(tmp_path)) == \
        f"KF_NATS_CREDS_FILE: {tmp_path} is a directory, not a NATS credentials file"


# --- E: URLs in logs and messages carry no credentials ---------------------------------------------------------------
def test_nats_urls_are_shown_without_credentials():
    from kf.runtime.settings import without_credentials

    assert without_credentials("nats://kf:hunter2pw@nats-1:4222,tls://u@nats-2:4222,nats://nats-3") == \
        "nats://nats-1:4222,tls://nats-2:4222,nats://nats-3"
    assert Settings(nats_url="nats://kf:hunter2pw@nats:4222").nats_url_display() == "nats://nats:4222"


# --- through `kf`: a message, no traceback, a non-zero exit ----------------------------------------------------------
@pytest.mark.parametrize("command,env,expected", [
    ("serve", {"KF_LOG_LEVEL": "verbose"}, "KF_LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("migrate", {"KF_REGION": "nordland"}, "KF_REGION: no shipped data for region 'nordland'"),
    ("serve", {"KF_API_TOKENS_FILE": "/nonexistent/tokens.json"}, "KF_API_TOKENS_FILE: cannot read /nonexistent/tokens.json"),
    ("migrate", {"KF_DATABASE_URL": "postgresql://u:hunter2pw@127.0.0.1:abc/db"}, "KF_DATABASE_URL: not a valid database URL"),
    ("serve", {"KF_HTTP_PORT": "99999"}, "KF_HTTP_PORT: must be a TCP port from 1 to 65535"),
    ("serve", {"KF_ENV": "development", "KF_API_TOKENS": tokens(token(token=SHORT))},
     "KF_API_TOKENS[0].token: must be at least 16 characters"),
    ("serve", {"KF_NATS_CREDS_FILE": "/nonexistent/kf.creds"}, "KF_NATS_CREDS_FILE: /nonexistent/kf.creds does not exist"),
])
def test_kf_names_the_variable_without_a_traceback_or_a_secret(tmp_path, command, env, expected):
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("KF_")}
    run_env.update({"KF_DATA_DIR": str(tmp_path), **env})
    result = subprocess.run([KF, command, "membership"], env=run_env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr.startswith(f"kf: invalid settings for membership: {expected}"), result.stderr
    assert "Traceback" not in result.stderr and SHORT not in result.stderr and "hunter2pw" not in result.stderr
    assert list(tmp_path.iterdir()) == [], "nothing was created"


@pytest.mark.parametrize("token,expected", [
    ("", "is set but empty (a secret without a value?)"),
    ("short-secret", "must be at least 16 characters, got 12 (the value is not shown)"),
])
def test_a_bad_metrics_token_is_named_without_its_value(token, expected):
    text = refused(metrics_token=token)
    assert text.startswith(f"KF_METRICS_TOKEN: {expected}"), text
    assert "short-secret" not in text
