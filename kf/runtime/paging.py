"""Paging query parameters every list endpoint shares, bounded so no number can overflow a database."""

from typing import Annotated

from fastapi import Query

MAX_OFFSET = 1_000_000_000

Limit = Annotated[int, Query(ge=1, le=500, description="Items per page (1–500)")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")]
