"""A region runs from its rendered manifests alone: each pod's command and settings (ConfigMaps, Secrets by
reference, mounted region data) started as real processes against PostgreSQL (one database per service) and a
nats-server enforcing deploy/nats permissions.

What a cluster adds is replaced as little as possible: the Secrets an operator would create are filled in by the
test, a mounted ConfigMap becomes a folder, and each pod's own network namespace becomes a free port and the
test server's NATS URL.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import nats
import pytest
from nats.js.errors import NotFoundError

from kf.embedded.ports import free_port
from kf.embedded.processes import end_processes
from kf.testing.fixtures import TOKENS, auth, tokens_json
from kf.testing.postgres import create_database, drop_database
from tests.deploy.manifests import component, of_kind, render

pytestmark = pytest.mark.e2e
KF = str(Path(sys.executable).parent / "kf")
OSTFOLD_VIEWER = "ostfold-viewer-token-0001"


def pod_environment(docs, deployment: dict, container: dict, secrets: dict, mounts: Path) -> dict[str, str]:
    """The environment Kubernetes would give the container: envFrom ConfigMaps, then env (secretKeyRef resolved)."""
    config_maps = {c["metadata"]["name"]: c.get("data", {}) for c in of_kind(docs, "ConfigMap")}
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(config_maps[source["configMapRef"]["name"]])
    for item in container.get("env", []):
        ref = item["valueFrom"]["secretKeyRef"]
        env[item["name"]] = secrets[ref["name"]][ref["key"]]
    # A mounted ConfigMap becomes a folder; settings that point into the mount point into the folder.
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    for mount in container.get("volumeMounts", []):
        source = volumes[mount["name"]].get("configMap")
        if not source:
            continue
        folder = mounts / mount["name"]
        folder.mkdir(parents=True, exist_ok=True)
        for key, text in config_maps[source["name"]].items():
            (folder / key).write_text(text, encoding="utf-8")
        env = {k: v.replace(mount["mountPath"], str(folder)) for k, v in env.items()}
    return env


@contextmanager
def running(commands: list[tuple[str, list[str], dict[str, str]]], logs: Path) -> Iterator[list[subprocess.Popen]]:
    procs = []
    try:
        for name, args, env in commands:
            log = open(logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
            procs.append(subprocess.Popen([KF, *args], env=env, stdout=log, stderr=subprocess.STDOUT))
            log.close()
        yield procs
    finally:
        end_processes(procs, timeout=15)


def wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    body: dict = {}
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"{url} exited: {log.read_text(errors='replace')[-2000:]}"
        try:
            response = httpx.get(f"{url}/readyz", timeout=2)
            body = response.json()
            if response.status_code == 200:
                return body
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{url} not ready after {timeout}s: {body} {log.read_text(errors='replace')[-2000:]}")


def start_region(overlay: str, natsconfig, nats_passwords, nats_url: str, admin_url: str, tmp_path: Path,
                 databases: list[str]):
    """Run the overlay's init containers to completion, then its service containers; return their URLs."""
    docs = render(overlay)
    account = next(a for a in natsconfig.ACCOUNTS if overlay in a.regions)
    deployments = [d for d in of_kind(docs, "Deployment") if component(d) != "dashboard"]
    tokens = json.loads(tokens_json(overlay))
    # An Østfold token in another region's token file must still be refused there.
    tokens.append({"name": "ostfold-viewer", "token": OSTFOLD_VIEWER, "role": "viewer", "region": "ostfold"})
    secrets = {"kf-api-tokens": {"tokens.json": json.dumps(tokens if overlay != "ostfold" else json.loads(tokens_json(overlay)))}}
    for deployment in deployments:
        service = component(deployment)
        url = create_database(admin_url)
        databases.append(url)
        secrets[f"kf-{service}"] = {"database-url": url, "nats-user": account.user(service),
                                    "nats-password": nats_passwords[account.password_var(service)]}
    base_env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    inits, apps, urls = [], [], {}
    for deployment in deployments:
        service = component(deployment)
        pod = deployment["spec"]["template"]["spec"]
        port = free_port()
        urls[service] = f"http://127.0.0.1:{port}"
        for container, into in ((pod["initContainers"][0], inits), (pod["containers"][0], apps)):
            env = pod_environment(docs, deployment, container, secrets, tmp_path / overlay / service)
            # What differs from a cluster: loopback ports, local paths, and one nats-server instead of three.
            env.update(base_env, KF_NATS_URL=nats_url, KF_HTTP_PORT=str(port), KF_STREAM_REPLICAS="1",
                       KF_DATA_DIR=str(tmp_path / overlay / service / "data"))
            into.append((f"{overlay}-{service}-{container['name']}", container["args"], env))
    with running(inits, tmp_path) as procs:
        for (name, _args, _env), proc in zip(inits, procs, strict=True):
            assert proc.wait(timeout=120) == 0, (tmp_path / f"{name}.log").read_text(errors="replace")
    return apps, urls, secrets


def run_replay_job(overlay: str, secrets: dict, nats_url: str, tmp_path: Path) -> str:
    task = render(f"{overlay}/replay-metrics")
    job = of_kind(task, "Job")[0]
    docs = task + render(overlay)  # the Job reads ConfigMaps the overlay already applied (kf-metrics)
    container = job["spec"]["template"]["spec"]["containers"][0]
    env = pod_environment(docs, job, container, secrets, tmp_path / overlay / "replay")
    env.update(PATH=os.environ["PATH"], HOME=str(tmp_path), KF_NATS_URL=nats_url, KF_STREAM_REPLICAS="1",
               KF_DATA_DIR=str(tmp_path / overlay / "replay" / "data"))
    done = subprocess.run([KF, *container["args"]], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def _consumer_state(nats_url: str, user: str, password: str, stream: str, durable: str):
    conn = await nats.connect(nats_url, user=user, password=password, max_reconnect_attempts=0)
    try:
        return await conn.jetstream().consumer_info(stream, durable)
    except NotFoundError:
        return None  # the service has not created its consumer yet
    finally:
        await conn.close()


def test_both_regions_run_from_their_manifests_on_postgresql_and_a_permissioned_nats(
        natsconfig, nats_passwords, secured_nats, postgres_admin_url, tmp_path):
    databases: list[str] = []
    try:
        ost_apps, ost, ost_secrets = start_region("ostfold", natsconfig, nats_passwords, secured_nats.url, postgres_admin_url,
                                     tmp_path, databases)
        vt_apps, vt, _ = start_region("vestfold-telemark", natsconfig, nats_passwords, secured_nats.url,
                                   postgres_admin_url, tmp_path, databases)
        assert set(ost) == {"membership", "events", "measures", "metrics"} and set(vt) == {"measures", "metrics"}
        with running(ost_apps + vt_apps, tmp_path) as procs:
            named = dict(zip([name for name, _a, _e in ost_apps + vt_apps], procs, strict=True))
            for region, urls in (("ostfold", ost), ("vestfold-telemark", vt)):
                for service, url in urls.items():
                    name = f"{region}-{service}-app"
                    body = wait_ready(url, named[name], tmp_path / f"{name}.log")
                    assert body["checks"] == {"database": True, "nats": True}

            # Østfold: a write in membership travels through the outbox and NATS to the metrics projections.
            created = httpx.post(f"{ost['membership']}/organisations", headers=auth(), timeout=10, json={
                "name": "Høgskolen i Østfold", "org_number": "974 760 673", "sector": "university_college"})
            assert created.status_code == 201, created.text
            ostfold = next(a for a in natsconfig.ACCOUNTS if "ostfold" in a.regions)
            admin = (ostfold.admin_user, nats_passwords[ostfold.admin_password_var])
            deadline = time.monotonic() + 30
            while True:
                info = asyncio.run(_consumer_state(secured_nats.url, *admin, "KF_MEMBERSHIP", "metrics-membership"))
                if info and info.delivered.stream_seq >= 1 and info.num_ack_pending == 0 and info.num_pending == 0:
                    break
                assert time.monotonic() < deadline, info
                time.sleep(0.3)
            exposition = httpx.get(f"{ost['metrics']}/metrics", timeout=5).text
            assert 'kf_events_applied_total{consumer="metrics-membership"} 1.0' in exposition

            # `kf replay metrics` as the overlay's replay Job runs it, with the metrics Deployment scaled to zero.
            named["ostfold-metrics-app"].terminate()
            named["ostfold-metrics-app"].wait(timeout=15)
            replayed = run_replay_job("ostfold", ost_secrets, secured_nats.url, tmp_path)
            assert "replayed 1 messages" in replayed and "1 events applied" in replayed, replayed

            # Vestfold-Telemark serves its own focus areas, from the region data the overlay mounts.
            viewer = {"Authorization": f"Bearer {TOKENS['viewer']}"}
            areas = httpx.get(f"{vt['measures']}/focus-areas", headers=viewer, timeout=5)
            assert areas.status_code == 200, areas.text
            assert {a["id"] for a in areas.json()} == {"green_transition_skills", "vocational_education", "inclusion"}
            # ... and an Østfold token is not valid there.
            refused = httpx.get(f"{vt['measures']}/focus-areas", headers={"Authorization": f"Bearer {OSTFOLD_VIEWER}"},
                                timeout=5)
            assert refused.status_code == 403, refused.text
    finally:
        for url in databases:
            drop_database(postgres_admin_url, url)
