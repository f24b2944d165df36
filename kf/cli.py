"""The `kf` command: up, serve, migrate, relay, replay, docs."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys

from kf.registry import SERVICES, available_services, get_service
from kf.runtime import collector


def _settings(service: str):
    from pydantic import ValidationError

    try:
        return get_service(service).settings_class()()
    except ValidationError as exc:
        # Name the variable and the problem, never the value: values may be secrets.
        problems = "; ".join((f"KF_{'_'.join(str(p) for p in e['loc']).upper()}: " if e["loc"] else "")
                             + e["msg"].removeprefix("Value error, ") for e in exc.errors(include_input=False))
        raise SystemExit(f"kf: invalid settings for {service}: {problems}") from None


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from kf.runtime.logs import configure_logging

    settings = _settings(args.service)
    if args.no_relay:
        settings = settings.model_copy(update={"relay_in_process": False})
    configure_logging(args.service, settings.log_level)
    app = get_service(args.service).create_app()(settings)
    collector.tune()
    uvicorn.run(app, host=settings.http_host, port=settings.port, log_config=None, access_log=False,
                timeout_graceful_shutdown=10)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from alembic.util import CommandError

    from kf.runtime.migrations import OlderRevision, upgrade

    settings = _settings(args.service)
    try:
        before, after, head = upgrade(args.service, str(get_service(args.service).migrations_dir()),
                                      settings.database_url_value(), args.revision)
    except OlderRevision as exc:
        print(f"kf: the {args.service} database is at revision {exc.current}; --revision {args.revision} "
              f"({exc.target}) is older: `kf migrate` only upgrades, downgrades are not offered. Nothing changed.",
              file=sys.stderr)
        return 1
    except CommandError as exc:  # an unknown or ambiguous revision (asked for, or the database's)
        print(f"kf: cannot migrate {args.service} to --revision {args.revision}: {exc}", file=sys.stderr)
        return 2
    at = "head" if after == head else f"head is {head}"
    if before == after:
        print(f"{args.service}: database already at revision {after or 'none'} ({at}); nothing to do")
    else:
        print(f"{args.service}: database migrated from {before or 'an empty database'} to revision {after} ({at})")
    return 0


def cmd_relay(args: argparse.Namespace) -> int:
    from kf.runtime.logs import configure_logging
    from kf.runtime.service import ServiceRuntime

    settings = _settings(args.service)
    configure_logging(args.service, settings.log_level)

    async def run() -> None:
        runtime = ServiceRuntime(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await runtime.start(relay=True, consumers=False)
        await stop.wait()
        await runtime.stop()

    asyncio.run(run())
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    spec = get_service(args.service)
    if not spec.has_module("replay"):
        raise SystemExit(f"kf: the {args.service} service has no projections to replay")
    from kf.runtime.logs import configure_logging

    settings = _settings(args.service)
    configure_logging(args.service, settings.log_level)
    _require_migrated(args.service, settings)
    replay = spec.load("replay:replay")
    collector.tune()
    result = asyncio.run(replay(settings, stall=args.stall_seconds))
    print(result)
    return 0


def _require_migrated(service: str, settings) -> None:
    from kf.runtime.migrations import revisions

    try:
        current, head = revisions(service, str(get_service(service).migrations_dir()), settings.database_url_value())
    except Exception as exc:  # noqa: BLE001 - e.g. the database server is unreachable: say so, without a trace
        raise SystemExit(f"kf: cannot read the {service} database's revision ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0][:300]})") from None
    if current != head:
        raise SystemExit(f"kf: the {service} database is at revision {current or 'none (never migrated)'}, the code "
                         f"needs {head}: run `kf migrate {service}` first")


def _usage_error(command: str, message: str) -> int:
    print(f"kf {command}: error: {message}", file=sys.stderr)
    return 2


def cmd_up(args: argparse.Namespace) -> int:
    from kf.demo import DEMO_REGIONS
    from kf.regiondata import shipped_regions
    from kf.up import run_platform

    services = len(available_services())
    if args.port_base + services - 1 > 65535:
        return _usage_error("up", f"argument --port-base: the {services} services listen on --port-base and the "
                                  f"{services - 1} ports after it, so expected at most {65536 - services}, "
                                  f"got {args.port_base}")
    region = args.region or os.environ.get("KF_REGION") or "ostfold"
    source = "argument --region" if args.region else "KF_REGION"
    if region not in shipped_regions() and not os.environ.get("KF_REGION_FILE"):
        return _usage_error("up", f"{source}: unknown region {region!r}; expected one of "
                                  f"{', '.join(shipped_regions())} (or set KF_REGION_FILE to a region data file)")
    if args.demo and region not in DEMO_REGIONS:
        return _usage_error("up", f"argument --demo: there is demo data only for {', '.join(DEMO_REGIONS)}, "
                                  f"not for {region} ({source}); start {region} without --demo "
                                  f"(`kf up --region {region}`, or `make up ARGS='--region {region}'`)")
    return run_platform(demo=args.demo, data_dir=args.data_dir, nats_port=args.nats_port, port_base=args.port_base,
                        dashboard=not args.no_dashboard, dashboard_port=args.dashboard_port, region=region)


def cmd_docs(args: argparse.Namespace) -> int:
    from kf.docs import write_docs

    try:
        paths = write_docs(args.out, check=args.check)
    except (FileExistsError, NotADirectoryError) as exc:
        print(f"kf: --out {args.out}: expected a folder, but {exc.filename or args.out} "
              + ("is a file" if isinstance(exc, FileExistsError) else "lies under a file"), file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"kf: --out {args.out}: cannot write the docs there: {exc.strerror or exc}"
              + (f" ({exc.filename})" if exc.filename else ""), file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


def _port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535, got {port}")
    return port


def _positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}") from None
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text}")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kf", description="kompetanseforum: run and operate the platform's services.")
    sub = parser.add_subparsers(dest="command", required=True)
    names = list(SERVICES)

    up = sub.add_parser("up", help="run the whole platform on its embedded default (NATS from the wheel, SQLite under var/)",
                        description="Start nats-server, every service with its outbox relay, and the dashboard, on 127.0.0.1. Ctrl-C stops everything; data stays in --data-dir.")
    up.add_argument("--demo", action="store_true", help="seed a realistic Østfold forum through the public APIs (once, into empty databases; Østfold only)")
    up.add_argument("--region", help="the region to serve: one of the shipped regions in kf/regiondata (default: $KF_REGION, else ostfold)")
    up.add_argument("--data-dir", default="var", help="where SQLite files, the JetStream store and logs live (default: var)")
    up.add_argument("--nats-port", type=_port_number, default=4222, help="NATS port (a free one is chosen if it is taken)")
    up.add_argument("--port-base", type=_port_number, default=8101, help="first service port: membership, events, measures, metrics follow")
    up.add_argument("--dashboard-port", type=_port_number, default=8501, help="Streamlit dashboard port")
    up.add_argument("--no-dashboard", action="store_true", help="do not start the dashboard")
    up.set_defaults(func=cmd_up)

    serve = sub.add_parser("serve", help="run one service's HTTP API, consumers and (by default) outbox relay",
                           description="Settings come from KF_ environment variables (see docs/operations.md).")
    serve.add_argument("service", choices=names)
    serve.add_argument("--no-relay", action="store_true", help="leave publishing to a separate `kf relay`")
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="apply a service's database migrations (Alembic)",
                             description="Upgrade a service's database to a revision; downgrades are not offered.")
    migrate.add_argument("service", choices=names)
    migrate.add_argument("--revision", default="head", help="target revision, not older than the database's (default: head)")
    migrate.set_defaults(func=cmd_migrate)

    relay = sub.add_parser("relay", help="run only a service's outbox relay (publishes stored events to JetStream)")
    relay.add_argument("service", choices=names)
    relay.set_defaults(func=cmd_relay)

    replay = sub.add_parser("replay", help="rebuild a service's projections from the event streams")
    replay.add_argument("service", choices=names)
    replay.add_argument("--stall-seconds", type=_positive_seconds, default=600.0, metavar="SECONDS",
                        help="give up when nothing is acknowledged for this long (default 600); "
                             "there is no limit on the whole replay")
    replay.set_defaults(func=cmd_replay)

    docs = sub.add_parser("docs", help="regenerate the reference docs (events, KPIs, settings) from the code")
    docs.add_argument("--out", default="docs", help="docs folder (default: docs)")
    docs.add_argument("--check", action="store_true", help="fail if a generated doc is out of date instead of writing it")
    docs.set_defaults(func=cmd_docs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        return args.func(args)
    return 130


if __name__ == "__main__":
    sys.exit(main())
