"""Region data: focus areas and indicators are data per region, never constants in code."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

_HERE = Path(__file__).parent


class FocusArea(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name_nb: str
    name_en: str


class Indicator(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name_nb: str
    name_en: str
    unit: str
    kind: str = Field(description="'count' (never negative) or 'level'")
    focus_area: str | None = None


class Region(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    focus_areas: tuple[FocusArea, ...]
    indicators: tuple[Indicator, ...]

    def focus_area_ids(self) -> set[str]:
        return {f.id for f in self.focus_areas}

    def indicator(self, indicator_id: str) -> Indicator | None:
        return next((i for i in self.indicators if i.id == indicator_id), None)


class UnknownRegion(LookupError):
    pass


def shipped_regions() -> list[str]:
    return sorted(p.stem for p in _HERE.glob("*.json"))


@lru_cache(maxsize=32)
def load_region(region_id: str, path: str | None = None) -> Region:
    """Load a region's data from `path`, or from the data shipped with the platform."""
    file = Path(path) if path else _HERE / f"{region_id}.json"
    if not file.is_file():
        raise UnknownRegion(
            f"no region data for {region_id!r}: set KF_REGION_FILE or use one of {shipped_regions()}"
        )
    region = Region.model_validate(json.loads(file.read_text(encoding="utf-8")))
    if region.id != region_id:
        raise UnknownRegion(f"{file} describes region {region.id!r}, not {region_id!r}")
    return region
