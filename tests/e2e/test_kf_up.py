"""`kf up --demo`, run the way README's `make up` runs it: the whole platform as subprocesses."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from kf.contracts.subjects import stream_name
from kf.embedded.ports import free_port, port_open
from kf.runtime.settings import DEV_TOKEN
from kf.testing.streams import read_stream, wait_until

pytestmark = pytest.mark.e2e
URL_LINE = re.compile(r"^\s+(\w+)\s+((?:http|nats)://127\.0\.0\.1:\d+)")


def _start(data_dir: Path, log: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KF_")}
    args = [sys.executable, "-m", "kf.cli", "up", "--demo", "--data-dir", str(data_dir), "--nats-port", str(free_port()),
            "--port-base", str(free_port()), "--dashboard-port", str(free_port())]
    out = open(log, "w")  # noqa: SIM115 - closed by the caller's process end
    proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, text=True)
    urls: dict[str, str] = {}

    def printed_urls() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"kf up exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        text = log.read_text()
        if "development API token" not in text:
            return False
        urls.update({m.group(1): m.group(2) for line in text.splitlines() if (m := URL_LINE.match(line))})
        return True

    wait_until(printed_urls, timeout=240, interval=0.5, what="kf up to print its URLs")
    return proc, urls


def _stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGINT)  # what Ctrl-C does
    return proc.wait(timeout=60)


def test_kf_up_runs_the_platform_and_a_new_member_reaches_the_stream(tmp_path: Path):
    data = tmp_path / "var"
    proc, urls = _start(data, tmp_path / "up1.log")
    try:
        log = (tmp_path / "up1.log").read_text()
        assert DEV_TOKEN in log and "demo data seeded" in log
        assert {"nats", "membership"} <= urls.keys()
        headers = {"Authorization": f"Bearer {DEV_TOKEN}"}
        membership = urls["membership"]
        for name, url in urls.items():
            if name not in ("nats", "dashboard"):
                assert httpx.get(url + "/readyz").status_code == 200, name
        if "dashboard" in urls:
            assert httpx.get(urls["dashboard"] + "/_stcore/health").status_code == 200

        orgs = httpx.get(membership + "/organisations", params={"limit": 100}, headers=headers).json()
        sectors = {o["sector"] for o in orgs["items"]}
        assert len(sectors) >= 9, "the demo has organisations of every kind in the seed"
        competence = httpx.get(membership + "/groups", params={"kind": "competence"}, headers=headers).json()
        assert competence["total"] == 3

        org = orgs["items"][0]
        person = httpx.post(membership + "/people", headers=headers, json={
            "name": "Nora Nyberg", "email": "nora.nyberg@example.no", "organisation_id": org["id"],
            "role_kind": "expert"}).json()
        joined = httpx.post(membership + "/memberships", headers=headers, json={
            "person_id": person["id"], "group_id": competence["items"][0]["id"]})
        assert joined.status_code == 201

        def joined_on_stream():
            return [m for m in read_stream(urls["nats"], stream_name("membership"))
                    if m.event["type"].endswith("member.joined.v1") and m.event["data"]["person_id"] == person["id"]]

        assert len(wait_until(joined_on_stream, timeout=20, what="member.joined on KF_MEMBERSHIP")) == 1
    finally:
        code = _stop(proc)
    assert code == 0, (tmp_path / "up1.log").read_text()[-3000:]
    assert "stopped." in (tmp_path / "up1.log").read_text()
    for name, url in urls.items():
        port = int(url.rsplit(":", 1)[1])
        assert not port_open(port), f"{name} still listens after Ctrl-C"

    # A second `make up` reuses the data instead of seeding again.
    proc, urls = _start(data, tmp_path / "up2.log")
    try:
        assert "demo data already present" in (tmp_path / "up2.log").read_text()
        headers = {"Authorization": f"Bearer {DEV_TOKEN}"}
        people = httpx.get(urls["membership"] + "/people", params={"limit": 1}, headers=headers).json()
        assert people["total"] >= 36
    finally:
        assert _stop(proc) == 0
