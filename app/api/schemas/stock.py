"""Stock lots at first-aid stations and the deliveries that add them."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.api.schemas.common import Page, PageQuery, id_ref
from app.api.schemas.fields import DbId, JsonDate, JsonId, JsonInt, Timestamp


class StockQuery(PageQuery):
    site_id: DbId | None = Field(None, description="Only this site.")
    item: str | None = Field(None, max_length=64, description="Supply item code.")
    expiring_before: date | None = Field(None, description="Lots expiring before this date.")


class SupplyItem(BaseModel):
    id: int
    code: str
    name: str
    name_en: str | None
    unit: str


class StockLot(BaseModel):
    id: int
    site_id: int
    item: SupplyItem
    quantity: int
    expiry: date | None
    lot_code: str | None
    received_at: Timestamp


class StockPage(Page[StockLot]):
    pass


class NewLot(BaseModel):
    """A delivery: so many of a supply item, with its expiry and lot code if it has them."""

    site_id: JsonId
    item: str = Field(min_length=1, max_length=64, description="Supply item code.")
    quantity: JsonInt = Field(ge=1, le=100_000)
    expiry: JsonDate | None = None
    lot_code: str | None = Field(None, max_length=64)


class Delivered(BaseModel):
    """One delivered lot of a restock."""

    item: str = Field(min_length=1, max_length=64, description="Supply item code.")
    quantity: JsonInt = Field(ge=1, le=100_000)
    expiry: JsonDate | None = None
    lot_code: str | None = Field(None, max_length=64)


class Restock(BaseModel):
    """A restock of a station, as a volunteer records it: what came in, what was taken
    out (at least one of the two). Completes the station's open restock task and
    re-checks its stock alerts."""

    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"required": ["deliveries"], "properties": {"deliveries": {"minItems": 1}}},
        {"required": ["remove_lot_ids"], "properties": {"remove_lot_ids": {"minItems": 1}}},
    ]})

    deliveries: list[Delivered] = Field(default_factory=list, max_length=200)
    remove_lot_ids: list[JsonId] = Field(
        default_factory=list, max_length=500,
        description="Lots taken out of the kit (expired, damaged): removed whole.")

    @model_validator(mode="after")
    def _something(self) -> Restock:
        if not self.deliveries and not self.remove_lot_ids:
            raise ValueError("give the lots delivered or the lots taken out (or both)")
        return self


class RestockTaskState(BaseModel):
    id: int
    status: str


class RestockDone(BaseModel):
    site_id: int
    lots: list[StockLot] = Field(description="The lots added.")
    removed_lot_ids: list[int]
    task: RestockTaskState | None = Field(description="The task this restock completed.")
    alerts_resolved: int = Field(description="Stock alerts of the station it resolved.")


RestockSiteRef = id_ref("site", "RestockSiteRef")
