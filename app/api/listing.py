"""Pages of a list: a query cut to ``limit``/``offset`` with the total of its matches."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import Select, SQLColumnExpression, func, select
from sqlalchemy.orm import Session

from app.api.schemas.common import Page, PageQuery

P = TypeVar("P", bound=Page[Any])
Rows = Select[*tuple[Any, ...]]
AnyRows = TypeVar("AnyRows", bound=Rows)


def where_given(rows: AnyRows, filters: Iterable[tuple[SQLColumnExpression[Any], Any]]
                ) -> AnyRows:
    """The filters the caller gave (None: not given): a tuple of values is a choice among
    them, any other value must be equal."""
    for column, value in filters:
        if value is not None:
            rows = rows.where(column.in_(value) if isinstance(value, tuple) else column == value)
    return rows


def count(session: Session, query: Rows) -> int:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return int(total or 0)


def page_of(shape: type[P], session: Session, query: Rows, page: PageQuery,
            item: Callable[..., Any]) -> P:
    """``item`` makes one entry of the page from the columns of a row."""
    rows = session.execute(query.limit(page.limit).offset(page.offset)).all()
    return shape(items=[item(*row) for row in rows], total=count(session, query),
                 limit=page.limit, offset=page.offset)
