"""Coverage on the pages: the figures on the dashboard, what an AED carries on its page,
the worklist's order, and the map's coverage layer for coordinators (its data at
/map/coverage, the same compact arrays as GET /api/v1/coverage)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.api.schemas.coverage import CoverageQuery
from app.auth.permissions import roles_required
from app.coverage import answers
from app.coverage.context import CoverageUnavailable, coverage_context
from app.coverage.store import Span, WeekFigures
from app.coverage.week import HOURS, moment
from app.extensions import db_session, get_settings
from app.i18n.words import Words
from app.models import utcnow
from app.web.blueprint import bp

COVERAGE_ROLES = ("admin", "coordinator")
WEEKDAYS = Words("周一 周二 周三 周四 周五 周六 周日", "Mon Tue Wed Thu Fri Sat Sun")
#: The map layer's words (maps/static/coverage.js shows them as text).
LAYER_TEXT: dict[str, Words] = {
    "layer": Words("覆盖范围", "Coverage"),
    "covered": Words("有可用 AED", "AED in reach"),
    "uncovered": Words("无可用 AED", "No AED in reach"),
    "hour": Words("时段", "Hour"),
    "now": Words("现在", "Now"),
    "share": Words("覆盖率", "Covered"),
    "loading": Words("正在计算覆盖…", "Computing coverage…"),
    "error": Words("覆盖数据加载失败", "Could not load coverage"),
    "reach": Words("步行可及半径 {m} 米", "Reach {m} m on foot"),
    "weekdays": WEEKDAYS,
}


def may_see_coverage(user: Any) -> bool:
    return getattr(user, "is_authenticated", False) and user.role in COVERAGE_ROLES


def hour_label(hour: int, locale: str | None) -> str:
    """Hour of the typical week as people write it: "周二 03:00" / "Tue 03:00"."""
    days = WEEKDAYS.in_(locale).split()
    return f"{days[(hour // 24) % 7]} {hour % 24:02d}:00"


def span_label(span: Span, locale: str | None) -> str:
    end = span.end % HOURS
    if span.start // 24 == (span.end - 1) // 24:
        return f"{hour_label(span.start, locale)}–{end % 24:02d}:00"
    return f"{hour_label(span.start, locale)}–{hour_label(end, locale)}"


def _now() -> datetime:
    return utcnow()


@dataclass(frozen=True)
class DashboardCoverage:
    now: float
    week: WeekFigures | None
    worst: list[str]
    reach_m: float


def dashboard_coverage(session: Session, locale: str | None) -> DashboardCoverage | None:
    """Coverage now (live) and the stored week; None when coverage is not configured."""
    tz, now = get_settings().tz, _now()
    try:
        share = answers.share_at(session, now, tz, now)
        week = answers.stored_week(session, tz)
        reach = coverage_context(tz).settings.reach_m
    except CoverageUnavailable:
        return None
    worst = [span_label(s, locale) for s in week.worst] if week else []
    return DashboardCoverage(share, week, worst, reach)


def worklist_coverage(session: Session) -> Callable[[Sequence[int]], Mapping[int, float]]:
    """For the worklist: the share each AED carries alone now (nothing when coverage is
    not configured)."""
    tz, now = get_settings().tz, _now()

    def carried(ids: Sequence[int]) -> Mapping[int, float]:
        try:
            return answers.losses_now(session, now, tz, ids)
        except CoverageUnavailable:
            return {}

    return carried


def aed_page_coverage(session: Session, asset_id: int) -> answers.AedCoverage | None:
    try:
        return answers.aed_coverage(session, _now(), get_settings().tz, asset_id)
    except CoverageUnavailable:
        return None


def map_layer(session: Session, locale: str | None, coords: str) -> dict[str, Any] | None:
    """The coverage layer's config for the map page of a coordinator; None for others."""
    if not may_see_coverage(current_user):
        return None
    tz, now = get_settings().tz, _now()
    try:
        week = answers.stored_week(session, tz)
    except CoverageUnavailable:
        return None
    start = week.week_starts_at if week else None
    return {
        "url": "/map/coverage", "coords": coords,
        "text": {key: words.in_(locale) for key, words in LAYER_TEXT.items()},
        "week_starts_at": start.isoformat() if start else None,
        "hours": [round(h, 4) for h in week.hours] if week else [],
        "now_hour": _week_hour(now, tz),
    }


def _week_hour(now: datetime, tz: tzinfo) -> int:
    """The typical week's hour that has the same weekday and time as ``now``."""
    local = now.astimezone(tz)
    return local.weekday() * 24 + local.hour


@bp.get("/map/coverage")
@roles_required(*COVERAGE_ROLES)
def map_coverage() -> ResponseReturnValue:
    """The coverage layer's cells at ``at`` (the API's compact arrays)."""
    try:
        query = CoverageQuery.model_validate(
            {k: v for k, v in request.args.items() if v != ""})
    except ValidationError as exc:
        return jsonify({"error": exc.errors(include_url=False)[0]["msg"]}), 400
    tz, now = get_settings().tz, _now()
    try:
        body = answers.coverage_at(db_session(), now, tz, moment(query.at, now, tz),
                                   query.coords)
    except CoverageUnavailable as exc:
        return jsonify({"error": str(exc)}), 503
    response = jsonify(body)
    response.headers["Cache-Control"] = "private, no-store"
    return response
