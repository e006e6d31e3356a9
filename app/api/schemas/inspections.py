"""The monthly check of an AED. Its items are the domain's CHECK_ITEMS, so the models
are made from that tuple rather than written out again."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictBool, create_model

from app.aeds.inspections import CHECK_ITEMS
from app.api.schemas.common import Page, PageQuery
from app.api.schemas.fields import Choice, DbId, JsonId, Timestamp, comma_separated

RESULTS = ("pass", "fail")


class InspectionQuery(PageQuery):
    asset_id: DbId | None = Field(None, description="Only this asset.")
    site_id: DbId | None = Field(None, description="Only this site.")
    result: Annotated[Choice, comma_separated(RESULTS, "Comma-separated results.")] | None = None


class InspectionFields(BaseModel):
    """A recorded check; each item true (fine), false (a problem) or null (not checked)."""

    id: int
    asset_id: int | None
    site_id: int | None
    user_id: int | None
    performed_at: Timestamp
    result: Literal["pass", "fail"]
    notes: str | None
    has_photo: bool


def _items(kind: Any, default: Any) -> dict[str, Any]:
    return {item: (kind, default) for item in CHECK_ITEMS}


Inspection = create_model("Inspection", __base__=InspectionFields,
                          **_items(bool | None, ...))


class InspectionPage(Page[Inspection]):
    pass


class NewInspectionFields(BaseModel):
    """A check just made; items left out were not checked."""

    asset_id: JsonId
    notes: str | None = Field(None, max_length=2000)


NewInspection = create_model("NewInspection", __base__=NewInspectionFields,
                             **_items(StrictBool | None, None))
