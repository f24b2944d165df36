"""The one source of truth for NATS accounts, users and subject permissions; writes the server config and Helm values.

Run `python deploy/nats/natsconfig.py` after changing ACCOUNTS or READS; `tests/deploy` fails while the
written files differ from what this module generates.

Each account holds one or more regions and the services they run. An account has its own JetStream
streams and durable consumers, so two regions in two accounts never share a durable consumer even
though the services name their consumers `OWNER-NAME` without the region. A service's user may:
- publish its own events `kf.REGION.SERVICE.>` (only for the account's regions) and its dead letters `kfdlq.SERVICE.>`;
- provision and inspect its own stream and the dead-letter stream (`$JS.API.STREAM.{INFO,CREATE,UPDATE}`);
- create, update, inspect, pull from, acknowledge on, reset and delete its own durable consumers (`SERVICE-NAME`,
  listed in READS) on the streams it reads, and no other consumer: not another service's durable on the same stream,
  and no ephemeral one (the legacy `$JS.API.CONSUMER.CREATE.STREAM` takes any consumer name in its body and would
  rewrite another service's durable);
- receive replies on its own inbox `_INBOX.SERVICE.>` (JetStream API answers and pulled messages).
Everything else is refused by the server.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from kf.contracts.subjects import DEAD_LETTER_PREFIX, DEAD_LETTER_STREAM, SERVICES, check_token, inbox_prefix, stream_name

HERE = Path(__file__).parent
CONF_FILE = HERE / "nats-server.conf"
VALUES_FILE = HERE / "values.yaml"
PASSWORD_SECRET = "kf-nats-users"  # the Secret in the NATS namespace holding every user's password

# Which services' streams each service consumes, and the NAMEs of its durable consumers on each (the kit names a
# durable `SERVICE-NAME`, kf/runtime/consumer.py); nothing more (tests/deploy checks it against the consumers the
# services really create, so a new consumer fails the tests until it is listed here).
READS: dict[str, dict[str, tuple[str, ...]]] = {
    "membership": {},
    "events": {"membership": ("directory",)},
    "measures": {"events": ("workshop-input",)},
    "metrics": {"membership": ("membership",), "events": ("events",), "measures": ("measures",)},
}


def durables(service: str) -> list[tuple[str, str]]:
    """The (stream, durable consumer) pairs `service` reads through, from READS."""
    return [(stream_name(source), f"{service}-{check_token(name, 'consumer name')}")
            for source, names in READS[service].items() for name in names]


@dataclass(frozen=True)
class Account:
    name: str
    regions: tuple[str, ...]
    services: tuple[str, ...]

    def user(self, service: str) -> str:
        return f"{self.name.lower().replace('_', '-')}-{service}"

    def password_var(self, service: str) -> str:
        return f"KF_NATS_{self.name}_{service.upper()}_PASSWORD"

    @property
    def admin_user(self) -> str:
        return f"{self.name.lower().replace('_', '-')}-admin"

    @property
    def admin_password_var(self) -> str:
        return f"KF_NATS_{self.name}_ADMIN_PASSWORD"


# One account per independently operated region (see docs/operations.md, "4.2 Partitioning by region").
ACCOUNTS: tuple[Account, ...] = (
    Account("OSTFOLD", ("ostfold",), ("membership", "events", "measures", "metrics")),
    Account("VESTFOLD_TELEMARK", ("vestfold-telemark",), ("measures", "metrics")),
)
SYSTEM_ACCOUNT = "SYS"
SYSTEM_USER = "sys"
SYSTEM_PASSWORD_VAR = "KF_NATS_SYS_PASSWORD"


def publish_allowed(account: Account, service: str) -> list[str]:
    own, dlq = stream_name(service), DEAD_LETTER_STREAM
    subjects = [f"kf.{check_token(region, 'region')}.{service}.>" for region in account.regions]
    subjects.append(f"{DEAD_LETTER_PREFIX}.{service}.>")
    for stream in (own, dlq):
        subjects += [f"$JS.API.STREAM.INFO.{stream}", f"$JS.API.STREAM.CREATE.{stream}", f"$JS.API.STREAM.UPDATE.{stream}"]
    for stream, durable in durables(service):
        if f"$JS.API.STREAM.INFO.{stream}" not in subjects:
            subjects.append(f"$JS.API.STREAM.INFO.{stream}")
        # Only this service's own durable, by its full name: `CREATE.STREAM.NAME[.FILTER]` creates or updates it
        # (nats-py sends the filter as extra tokens), RESET starts it again at the stream's beginning after its filter
        # changed (KF_REGIONS), DELETE is `kf replay metrics`; acks go to `$JS.ACK.STREAM.DURABLE.<delivery tokens>`.
        subjects += [f"$JS.API.CONSUMER.CREATE.{stream}.{durable}", f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.>",
                     f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{durable}", f"$JS.API.CONSUMER.INFO.{stream}.{durable}",
                     f"$JS.API.CONSUMER.DELETE.{stream}.{durable}", f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
                     f"$JS.API.CONSUMER.RESET.{stream}.{durable}", f"$JS.ACK.{stream}.{durable}.>"]
    return subjects


def subscribe_allowed(_account: Account, service: str) -> list[str]:
    # The service's own reply inbox (its connection's inbox prefix): another service's JetStream answers and pulled
    # messages stay out of its reach.
    return [f"{inbox_prefix(service)}.>"]


def _check() -> None:
    for service, sources in READS.items():
        if service not in SERVICES or not set(sources) <= set(SERVICES):
            raise ValueError(f"READS[{service!r}]: unknown service in {service!r} -> {sorted(sources)}")
    seen_regions: set[str] = set()
    for account in ACCOUNTS:
        for service in account.services:
            if service not in SERVICES:
                raise ValueError(f"account {account.name}: unknown service {service!r}")
        for region in account.regions:
            check_token(region, "region")
            if region in seen_regions:
                raise ValueError(f"region {region!r} is in two accounts")
            seen_regions.add(region)


def accounts_model(password: Callable[[str], str]) -> dict:
    """The `accounts` block as plain data; `password(var)` renders a password reference."""
    _check()
    accounts: dict = {}
    for account in ACCOUNTS:
        users = [{"user": account.user(s), "password": password(account.password_var(s)),
                  "permissions": {"publish": {"allow": publish_allowed(account, s)},
                                  "subscribe": {"allow": subscribe_allowed(account, s)}}}
                 for s in account.services]
        users.append({"user": account.admin_user, "password": password(account.admin_password_var)})
        accounts[account.name] = {"jetstream": "enabled", "users": users}
    accounts[SYSTEM_ACCOUNT] = {"users": [{"user": SYSTEM_USER, "password": password(SYSTEM_PASSWORD_VAR)}]}
    return accounts


def password_vars() -> list[str]:
    names = []
    for account in ACCOUNTS:
        names += [account.password_var(s) for s in account.services] + [account.admin_password_var]
    return names + [SYSTEM_PASSWORD_VAR]


# --- the plain nats-server config ------------------------------------------------------------------
def _conf_value(value, indent: int) -> str:
    pad = "  " * indent
    if isinstance(value, dict):
        inner = "\n".join(f"{pad}  {_conf_key(k)}: {_conf_value(v, indent + 1)}" for k, v in value.items())
        return "{\n" + inner + f"\n{pad}}}"
    if isinstance(value, list):
        inner = "\n".join(f"{pad}  {_conf_value(v, indent + 1)}" for v in value)
        return "[\n" + inner + f"\n{pad}]"
    if isinstance(value, _Raw):
        return value.text
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _conf_key(key: str) -> str:
    return key if key.replace("_", "").isalnum() else f'"{key}"'


class _Raw(str):
    """A value written without quotes (a `$VARIABLE` reference)."""

    @property
    def text(self) -> str:
        return str(self)


def server_conf() -> str:
    accounts = accounts_model(lambda var: _Raw(f"${var}"))
    return ("# Generated by deploy/nats/natsconfig.py; do not edit by hand.\n"
            "# Accounts, users and subject permissions of kompetanseforum, as a plain nats-server config.\n"
            "# Passwords come from environment variables (" + ", ".join(password_vars()[:2]) + ", ...).\n"
            "# Check it with: nats-server -t -c deploy/nats/nats-server.conf (with those variables set).\n\n"
            "jetstream: enabled\n\n"
            f"accounts: {_conf_value(accounts, 0)}\n\n"
            f"system_account: {SYSTEM_ACCOUNT}\n")


# --- Helm values for the official chart (nats-io/k8s, chart 1.x) -----------------------------------
HELM_HEADER = """\
# Generated by deploy/nats/natsconfig.py; do not edit by hand.
# Values for the official NATS Helm chart (https://nats-io.github.io/k8s/helm/charts/, chart 1.x):
#   helm repo add nats https://nats-io.github.io/k8s/helm/charts/
#   helm upgrade --install nats nats/nats --namespace nats --create-namespace -f deploy/nats/values.yaml
# A 3-node JetStream cluster with file storage on persistent volumes. Users and their subject
# permissions are the same as in deploy/nats/nats-server.conf; passwords come from the Secret
# `kf-nats-users` in the nats namespace (see docs/operations.md), never from this file.
"""


def helm_values() -> dict:
    accounts = accounts_model(lambda var: f"<< ${var} >>")
    env = {var: {"valueFrom": {"secretKeyRef": {"name": PASSWORD_SECRET, "key": var}}} for var in password_vars()}
    return {
        "config": {
            "cluster": {"enabled": True, "replicas": 3},
            "jetstream": {"enabled": True,
                          "fileStore": {"enabled": True, "dir": "/data",
                                        "pvc": {"enabled": True, "size": "20Gi"}},
                          "memoryStore": {"enabled": False}},
            "monitor": {"enabled": True},
            "merge": {"accounts": accounts, "system_account": SYSTEM_ACCOUNT},
        },
        "container": {
            "env": env,
            "merge": {"resources": {"requests": {"cpu": "250m", "memory": "512Mi"},
                                    "limits": {"memory": "1Gi"}}},
        },
        # One NATS pod per node: three pods on one node would lose every R3 stream's quorum with that node.
        "podTemplate": {"topologySpreadConstraints": {
            "kubernetes.io/hostname": {"maxSkew": 1, "whenUnsatisfiable": "DoNotSchedule"}}},
        "natsBox": {"enabled": True},  # the `nats` CLI for stream backups (docs/operations.md)
        "promExporter": {"enabled": True},
    }


def values_yaml() -> str:
    return HELM_HEADER + yaml.safe_dump(helm_values(), sort_keys=False, width=120)


def generated() -> dict[Path, str]:
    return {CONF_FILE: server_conf(), VALUES_FILE: values_yaml()}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for path, text in generated().items():
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
        else:
            path.write_text(text, encoding="utf-8")
            print(path)
    if stale:
        print("out of date (run python deploy/nats/natsconfig.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
