"""Region data: focus areas and indicators are data per region, never constants in code."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
    """No shipped data for a region (and no file given for it)."""


class RegionFileError(UnknownRegion):
    """A region data file that is missing, unreadable, not valid JSON, not region data, or about another region.

    The message names the file and the problem, never its contents."""


def shipped_regions() -> list[str]:
    return sorted(p.stem for p in _HERE.glob("*.json"))


@lru_cache(maxsize=32)
def load_region(region_id: str, path: str | None = None) -> Region:
    """Load a region's data from `path`, or from the data shipped with the platform."""
    if not path:
        file = _HERE / f"{region_id}.json"
        if not file.is_file():
            raise UnknownRegion(f"no shipped data for region {region_id!r} (there is data for "
                                f"{', '.join(shipped_regions())}): set KF_REGION_FILE to a JSON file with its data")
        return _read(file, region_id)
    file = Path(path)
    if not file.is_file():
        raise RegionFileError(f"{file} does not exist or is not a file" if not file.is_dir() else f"{file} is a directory")
    return _read(file, region_id)


def _read(file: Path, region_id: str) -> Region:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegionFileError(f"cannot read {file}: {getattr(exc, 'strerror', None) or type(exc).__name__}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegionFileError(f"{file} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    try:
        region = Region.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'the file'}: {e['msg']}"
                             for e in exc.errors(include_input=False)[:5])
        raise RegionFileError(f"{file} is not region data ({{id, name, focus_areas, indicators}}): {problems}") from None
    if region.id != region_id:
        raise RegionFileError(f"{file} describes region {region.id!r}, not {region_id!r}")
    return region
