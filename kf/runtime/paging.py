"""Paging query parameters every list endpoint shares, bounded so no number can overflow a database."""

from typing import Annotated

from fastapi import Query
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

MAX_OFFSET = 1_000_000_000

Limit = Annotated[int, Query(ge=1, le=500, description="Items per page (1–500)")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")]


def page(session: Session, query: Select, limit: int, offset: int) -> tuple[list, int]:
    """One page of a query's rows and the total count, in one read."""
    total = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    items = list(session.execute(query.limit(limit).offset(offset)).scalars())
    return items, total
