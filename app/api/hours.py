"""The access-hours check the registry editor calls as a person types: is the value
understood, and is the place open now (or when does it open)?"""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from app.api.blueprint import api
from app.api.map_common import request_locale
from app.api.replies import json_reply
from app.api.schemas.hours import HoursCheckQuery, HoursPreview
from app.extensions import get_settings
from app.models import utcnow
from app.registry.hours import preview


@api.get("/hours/check", summary="Check access hours as typed", query=HoursCheckQuery,
         reply=HoursPreview,
         description="Whether an OSM opening_hours value is understood (a value that is "
         "not is kept by the registry and shows as unknown), and open now / opens at in "
         "local time, with a line for the reader in their language.")
def check_hours_as_typed(query: HoursCheckQuery) -> ResponseReturnValue:
    settings = get_settings()
    seen = preview(query.value, utcnow(), settings.tz, request_locale())
    return json_reply(HoursPreview(
        value=seen.value, valid=seen.valid, reason=seen.reason, open=seen.open,
        opens_at=seen.opens_at, closes_at=seen.closes_at, text=seen.text,
        timezone=settings.timezone))
