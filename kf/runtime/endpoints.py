"""What every service's HTTP handlers share: role annotations, the read transaction, lookups
scoped to the served region, and pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from pydantic import BaseModel
from sqlalchemy import Select

from kf.runtime.auth import Principal, admin, coordinator, viewer
from kf.runtime.errors import NotFound
from kf.runtime.paging import page

Reader = Annotated[Principal, Depends(viewer)]
Writer = Annotated[Principal, Depends(coordinator)]
Admin = Annotated[Principal, Depends(admin)]


def read_transaction(request: Request):
    return request.app.state.runtime.db.transaction()


def served_region(request: Request) -> str:
    return request.app.state.runtime.settings.region


def one_in_region(request: Request, model, id_: str, label: str):
    """The row with this id in the served region, or a 404 naming what was not found."""
    with read_transaction(request) as s:
        row = s.get(model, id_)
        if row is None or row.region != served_region(request):
            raise NotFound(f"no {label} with id {id_!r}")
        return row


def page_body(request: Request, query: Select, out: type[BaseModel], limit: int, offset: int) -> dict:
    with read_transaction(request) as s:
        items, total = page(s, query, limit, offset)
        return {"items": [out.model_validate(i) for i in items], "total": total, "limit": limit, "offset": offset}
