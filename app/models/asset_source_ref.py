from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class AssetSourceRef(Base):
    """A link from an AED to its record in another registry, kept from an import: an
    OSM `ref:*` tag (`ref:FR:GeoDAE` = "…") or the OSM element (`osm` = "node/123").

    A later import of the same source finds the AED by this link before it looks at
    positions (app/importexport/matching.py); one source record links one AED.
    """

    __tablename__ = "asset_source_ref"
    __table_args__ = (UniqueConstraint("key", "value", name="uq_asset_source_ref_key_value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    #: The tag's name as the source spells it (OSM values are at most 255 characters).
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
