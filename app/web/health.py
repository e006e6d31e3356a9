from __future__ import annotations

from typing import Any

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import get_db
from app.ingest.report import ingest_health
from app.models import utcnow
from app.web.blueprint import bp


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    body: dict[str, Any] = {"version": current_app.config["AED_VERSION"]}
    db = get_db()
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        body["database"] = {"status": "ok", "backend": db.engine.dialect.name}
    except SQLAlchemyError as exc:
        body["database"] = {"status": "error", "error": str(exc.__class__.__name__)}
    ok = body["database"]["status"] == "ok"
    if ok:
        # Ingest runs apart from the web; its heartbeat row tells whether it is alive.
        # Informational: the web itself stays healthy while ingest is away.
        try:
            with db.session() as session:
                body["ingest"] = ingest_health(session, utcnow())
        except SQLAlchemyError as exc:
            body["ingest"] = {"status": "error", "error": exc.__class__.__name__}
    body["status"] = "ok" if ok else "degraded"
    return jsonify(body), 200 if ok else 503
