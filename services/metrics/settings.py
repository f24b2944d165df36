"""Settings of the metrics service."""

from typing import ClassVar

from pydantic import Field, field_validator, model_validator

from kf.contracts.subjects import check_token
from kf.regiondata import UnknownRegion, load_region, shipped_regions
from kf.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    service: ClassVar[str] = "metrics"
    default_port: ClassVar[int] = 8104

    regions: str | None = Field(None, description="Regions whose events this metrics instance projects and serves, comma-separated; default: KF_REGION")

    consumer_batch_size: int = Field(1000, ge=1, le=5_000, description="Messages fetched per pull from JetStream; metrics writes each batch set-based in one transaction, so larger batches ingest faster")

    catch_up_backlog: int = Field(20_000, ge=0, description="A consumer at least this many messages behind its stream (and behind by at least a quarter of what the stream holds) writes only facts and derives the pair summaries and counters once, when every consumer is within one batch of the end; KPIs keep their earlier values meanwhile. 0 derives batch by batch always")

    catch_up_processes: int = Field(1, ge=0, le=16, description="Processes that write facts while the service catches up or `kf replay metrics` runs, the service's own included: helper processes fetch from the same durable consumers while the derived tables lag and end once they are derived. Faster on several cores, at the memory of one more service process each (docs/benchmarks.md). 1: no helpers; 0: one process per CPU core, at most 4")

    ack_wait_seconds: float = Field(60.0, ge=1.0, le=3600.0, description="How long JetStream waits for the metrics consumers' ack before redelivering (after a crash, the unacknowledged batch returns after this long); applied to the durable consumers at each start")

    @field_validator("regions")
    @classmethod
    def _regions_are_tokens(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return ",".join(check_token(r.strip(), "KF_REGIONS") for r in value.split(",") if r.strip())

    @model_validator(mode="after")
    def _regions_have_data(self) -> "Settings":
        # Fail at start, naming the region, rather than at the first request for it. The own region (KF_REGION, with
        # KF_REGION_FILE) is checked by ServiceSettings; the others are served from the shipped data only.
        problems = []
        for region in self.served_regions():
            if region == self.region:
                continue
            try:
                load_region(region)
            except UnknownRegion:
                problems.append(f"KF_REGIONS: no shipped data for region {region!r} (there is data for "
                                f"{', '.join(shipped_regions())}); KF_REGION_FILE gives the data of KF_REGION "
                                f"({self.region}) only")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def served_regions(self) -> list[str]:
        """The regions served, the own region first when it is among them."""
        if not self.regions:
            return [self.region]
        return self.regions.split(",")
