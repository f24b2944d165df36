"""`python -m bench [--events N]`: the metrics service's benchmark on one machine.

Publishes a realistic mixed stream onto a fresh nats-server, then measures, each with the peak RSS of the
process doing the work:
1. the raw nats-py pull-and-ack rate over the same streams (the baseline: three pull loops, fetch 256, ack each);
2. ingest into committed projections by `kf serve metrics` (SQLite), from its start until every event is applied;
3. `kf replay metrics` over the same streams;
4. KPI query latency (GET /kpis, all KPIs) at that size: cold (a new as-of date each time, so nothing is cached)
   and warm (the same query repeated);
5. publish-to-KPI-visible latency under a steady 200 events/s (each event a new membership; visible when
   GET /kpis?kpi=members shows it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import nats
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bench.history import History, realistic
from bench.publish import acknowledged, ensure_streams, subject_of
from kf.contracts.catalog import event_class
from kf.contracts.subjects import stream_name
from kf.embedded.natsserver import NatsServer
from kf.embedded.ports import free_port
from kf.runtime.migrations import upgrade
from kf.runtime.settings import DEV_TOKEN
from kf.testing.streams import all_acknowledged
from services.metrics import positions
from services.metrics.derive import is_pending

KF = str(Path(sys.executable).parent / "kf")
SOURCES = ("membership", "events", "measures")
PARTS = ("raw", "ingest", "replay", "query", "steady")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def publish_all(url: str, items: list[tuple[str, str, str, bytes]]) -> float:
    nc = await nats.connect(url)
    js = nc.jetstream()
    await ensure_streams(js)
    started = time.perf_counter()
    pending = []
    for subject, stream, msg_id, payload in items:
        pending.append(js.publish_async(subject, payload, stream=stream, headers={"Nats-Msg-Id": msg_id}))
        if len(pending) >= 2000:
            await acknowledged(pending)
    await acknowledged(pending)
    seconds = time.perf_counter() - started
    await nc.close()
    return seconds


async def stored(url: str) -> int:
    """Messages the source streams hold (a publish the stream took for a duplicate of a recent id is not stored)."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        return sum([(await js.stream_info(stream_name(s))).state.messages for s in SOURCES])
    finally:
        await nc.close()


async def raw_baseline(url: str, total: int) -> float:
    """Three pull loops (one per source stream) in one process, fetch 256 and ack each, until all are acked."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    done = 0
    started = time.perf_counter()

    async def drain(service: str) -> None:
        nonlocal done
        sub = await js.pull_subscribe(f"kf.*.{service}.>", durable=f"bench-raw-{service}", stream=stream_name(service))
        pending = (await js.stream_info(stream_name(service))).state.messages
        while pending > 0:
            try:
                msgs = await sub.fetch(256, timeout=2)
            except (nats.errors.TimeoutError, TimeoutError):
                continue
            except nats.errors.Error as exc:  # e.g. a slow-consumer hiccup: fetch again, as the service would
                print(f"raw baseline: fetch failed ({type(exc).__name__}), retrying", file=sys.stderr)
                await asyncio.sleep(0.1)
                continue
            for m in msgs:
                await m.ack()
            pending -= len(msgs)
            done += len(msgs)

    await asyncio.gather(*(drain(s) for s in SOURCES))
    seconds = time.perf_counter() - started
    await nc.close()
    assert done == total, (done, total)
    return seconds


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return out


class PeakRss:
    """Peak memory of a process together with its helper processes: the largest sum of their resident sets, sampled
    every 50 ms, or the process's own high-water mark (VmHWM) when that is larger (a single process's peak between
    two samples)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                own = peak_rss_mb(self.pid)
                tree = rss_mb(self.pid)
                for child in children(self.pid):
                    try:
                        tree += rss_mb(child)
                    except OSError:
                        pass
                self.peak = max(self.peak, own, tree)
            except OSError:
                return
            self._stop.wait(0.05)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def watch(args: list[str], env: dict | None = None) -> tuple[str, float]:
    """Run a command; return its stdout and its peak RSS in MB with its helpers' (read until it exits: wait4's
    ru_maxrss would report the bench process's own size, inherited at fork)."""
    errors = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=errors, text=True)
    chunks: list[str] = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()))
    reader.start()
    rss = PeakRss(proc.pid)
    proc.wait()
    peak = rss.stop()
    reader.join()
    if proc.returncode:
        errors.seek(0)
        raise SystemExit(f"bench: {args[:3]} failed ({proc.returncode}): {errors.read()[-3000:]}")
    return "".join(chunks), peak


def applied(url: str) -> tuple[int, bool]:
    """Events in the batches the metrics consumers committed, and whether the derived tables lag the facts."""
    engine = create_engine(url)
    try:
        with Session(engine) as s:
            return positions.events_applied(s), is_pending(s)
    finally:
        engine.dispose()


def ingested(nats_url: str, url: str, total: int) -> bool:
    """Every event applied and derived: the consumers acknowledged everything (after their commits) and the derived
    tables do not lag (a helper may have applied the last batches; the service then derives at its next idle fetch)."""
    n, lagging = applied(url)
    return n >= total and not lagging and all_acknowledged(nats_url, {stream_name(s): f"metrics-{s}" for s in SOURCES})


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000, help="size of the published stream (default 200000)")
    parser.add_argument("--queries", type=int, default=200, help="KPI queries per latency measurement (default 200)")
    parser.add_argument("--steady-seconds", type=float, default=30.0, help="length of the 200 events/s run (default 30)")
    parser.add_argument("--catch-up-processes", type=int, default=1,
                        help="KF_CATCH_UP_PROCESSES for ingest and replay (default 1: no helper processes)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"comma-separated parts to run (default all: {','.join(PARTS)}); query and steady need "
                             "ingest or replay before them")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if parts - set(PARTS):
        parser.error(f"--parts: unknown {', '.join(sorted(parts - set(PARTS)))}; expected some of {', '.join(PARTS)}")
    results: dict = {"events": args.events, "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"}
    work = Path(tempfile.mkdtemp(prefix="kf-bench-"))
    server = NatsServer(work / "jetstream").start()
    try:
        t0 = time.perf_counter()
        envelopes = realistic(args.events, seed=2021).events
        items = [(subject_of(e), stream_name(event_class(e.type).service), e.id, e.to_json()) for e in envelopes]
        last_day = max(date.fromisoformat(e.data.get("held_on") or e.data.get("period_end") or "2019-01-01") for e in envelopes)
        del envelopes
        results["generate_s"] = time.perf_counter() - t0
        results["publish_s"] = asyncio.run(publish_all(server.url, items))
        total = asyncio.run(stored(server.url))
        results["published"], results["stored"] = len(items), total
        print(f"published {len(items)} events in {results['publish_s']:.1f}s; the streams hold {total}", flush=True)

        del items
        if "raw" in parts:
            out, rss = watch([sys.executable, "-c", f"import asyncio, bench.__main__ as b; print(asyncio.run(b.raw_baseline({server.url!r}, {total})))"])
            results["raw"] = {"seconds": float(out), "rate": total / float(out), "peak_rss_mb": rss}
            print(f"raw pull+ack: {results['raw']['rate']:.0f} msg/s (peak RSS {rss:.0f} MB)", flush=True)

        db = f"sqlite:///{work / 'metrics.db'}"
        upgrade("metrics", str(Path(__file__).resolve().parent.parent / "services/metrics/migrations"), db)
        port = free_port()
        env = {**os.environ, "KF_ENV": "development", "KF_REGION": "ostfold", "KF_NATS_URL": server.url, "KF_DATABASE_URL": db,
               "KF_DATA_DIR": str(work), "KF_HTTP_PORT": str(port), "KF_LOG_LEVEL": "WARNING",
               "KF_CATCH_UP_PROCESSES": str(args.catch_up_processes)}
        results["catch_up_processes"] = args.catch_up_processes
        if "ingest" in parts:
            started = time.perf_counter()
            proc = subprocess.Popen([KF, "serve", "metrics"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            rss = PeakRss(proc.pid)
            first = None
            while not ingested(server.url, db, total):
                if first is None and applied(db)[0] > 0:
                    first = time.perf_counter()
                if proc.poll() is not None:
                    raise SystemExit("bench: the metrics service exited during ingest")
                time.sleep(0.5)
            seconds = time.perf_counter() - started
            results["ingest"] = {"seconds_from_start": seconds, "rate": total / seconds,
                                 "rate_after_first_commit": total / (time.perf_counter() - (first or started)),
                                 "peak_rss_mb": rss.stop()}
            print(f"ingest: {results['ingest']['rate']:.0f} events/s (peak RSS {results['ingest']['peak_rss_mb']:.0f} MB)", flush=True)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)

        if "replay" in parts:
            started = time.perf_counter()
            out, rss = watch([KF, "replay", "metrics"], env)
            seconds = time.perf_counter() - started
            results["replay"] = {"seconds_with_startup": seconds, "rate": total / seconds, "peak_rss_mb": rss, "output": out.strip()}
            print(f"replay: {out.strip()} (peak RSS {rss:.0f} MB)", flush=True)

        if parts & {"query", "steady"}:
            proc = subprocess.Popen([KF, "serve", "metrics"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            base = f"http://127.0.0.1:{port}"
            http = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {DEV_TOKEN}"}, timeout=30)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if http.get("/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            if "query" in parts:
                http.get("/kpis")
                cold, warm = [], []
                for i in range(args.queries):
                    as_of = (last_day - timedelta(days=i)).isoformat()
                    t = time.perf_counter()
                    r = http.get("/kpis", params={"as_of": as_of})
                    cold.append((time.perf_counter() - t) * 1000)
                    assert r.status_code == 200, r.text
                for _ in range(args.queries):
                    t = time.perf_counter()
                    http.get("/kpis", params={"as_of": last_day.isoformat()})
                    warm.append((time.perf_counter() - t) * 1000)
                results["query"] = {"cold_p50_ms": pct(cold, 50), "cold_p99_ms": pct(cold, 99), "warm_p50_ms": pct(warm, 50),
                                    "warm_p99_ms": pct(warm, 99), "peak_rss_mb": peak_rss_mb(proc.pid)}
                print(f"query: cold p50 {pct(cold, 50):.1f} ms p99 {pct(cold, 99):.1f} ms; warm p50 {pct(warm, 50):.1f} ms "
                      f"p99 {pct(warm, 99):.1f} ms", flush=True)
            if "steady" in parts:
                results["end_to_end"] = asyncio.run(steady(server.url, http, args.steady_seconds))
                results["end_to_end"]["peak_rss_mb"] = peak_rss_mb(proc.pid)
                e2e = results["end_to_end"]
                print(f"end-to-end at 200 events/s: p50 {e2e['p50_ms']:.0f} ms p99 {e2e['p99_ms']:.0f} ms "
                      f"(peak RSS {e2e['peak_rss_mb']:.0f} MB)", flush=True)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
    finally:
        server.stop()
    results["bench_process_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(results, indent=2, default=str))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))


async def steady(url: str, http: httpx.Client, seconds: float, rate: float = 200.0) -> dict:
    """Publish one new membership every 1/rate s; a poller records when GET /kpis?kpi=members shows each one."""
    h = History(start=History().clock.replace(year=2030))
    h.group("bench-group", "inclusion")
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.publish(subject_of(h.events[0]), h.events[0].to_json(), headers={"Nats-Msg-Id": h.events[0].id})

    def members() -> int:
        return int(next(k["value"] for k in http.get("/kpis", params={"kpi": "members"}).json()))

    await asyncio.sleep(1.0)
    base = await asyncio.to_thread(members)
    sent: list[float] = []
    seen: dict[int, float] = {}
    stop = asyncio.Event()

    async def poll() -> None:
        while not stop.is_set() or len(seen) < len(sent):
            value = await asyncio.to_thread(members) - base
            now = time.perf_counter()
            for k in range(1, value + 1):
                seen.setdefault(k, now)
            if stop.is_set() and time.perf_counter() - stopped > 30:
                return
            await asyncio.sleep(0.005)

    poller = asyncio.create_task(poll())
    start = time.perf_counter()
    n = int(seconds * rate)
    for i in range(n):
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        env = h.join(f"bench-m{i}", "bench-group", f"bench-p{i}", "bench-o", "business", date(2024, 1, 1))
        await js.publish(subject_of(env), env.to_json(), headers={"Nats-Msg-Id": env.id})
        sent.append(time.perf_counter())
    stopped = time.perf_counter()
    stop.set()
    await poller
    await nc.close()
    latencies = [(seen[k + 1] - t) * 1000 for k, t in enumerate(sent) if k + 1 in seen]
    return {"events": n, "visible": len(latencies), "p50_ms": pct(latencies, 50), "p99_ms": pct(latencies, 99),
            "max_ms": max(latencies), "mean_ms": statistics.fmean(latencies)}


if __name__ == "__main__":
    main()
