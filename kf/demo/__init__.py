"""Demo data for `kf up --demo`: a realistic Østfold forum, seeded through the public HTTP APIs."""

from __future__ import annotations

import importlib

from kf.demo.client import DemoClient, DemoContext

# The regions the demo describes: its organisations, gatherings and measures are Østfold's, and its
# measures and goals use Østfold's focus areas, so `kf up --demo` refuses any other region.
DEMO_REGIONS = ("ostfold",)

# Each step seeds one service's data and may read what earlier steps made (ctx).
STEPS = ("membership", "events", "measures", "metrics")


INCOMPLETE = ("demo data present but without goals, so an earlier seeding did not finish (interrupted?): reusing what "
              "is there; to seed it anew, stop and remove the data directory (--data-dir)")


def seed_if_empty(urls: dict[str, str], token: str, region: str) -> str:
    """Seed the demo forum unless there is one already; what was done, in a sentence."""
    client = DemoClient(urls, token)
    try:
        if client.get("membership", "/organisations", limit=1)["total"] > 0:
            # The goals are seeded last: without them an earlier seeding stopped part-way.
            if "metrics" in urls and not client.get("metrics", "/goals", region=region):
                return INCOMPLETE
            return "demo data already present: reusing it"
        ctx = DemoContext(region=region)
        for step in STEPS:
            if step not in urls:
                continue
            try:
                module = importlib.import_module(f"kf.demo.{step}")
            except ModuleNotFoundError:
                continue
            module.seed(client, ctx)
        return "demo data seeded: " + ", ".join(f"{k} {v}" for k, v in ctx.counts.items())
    finally:
        client.http.close()
