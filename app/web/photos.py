"""Inspection photos: stored under DATA_DIR/photos, served only to logged-in users."""

from __future__ import annotations

import uuid
from pathlib import Path

from flask import abort, send_from_directory
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.datastructures import FileStorage

from app.extensions import get_settings
from app.web.blueprint import bp

# Decided by the file's first bytes, never by its name or the browser's claim.
_SIGNATURES = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png", b"RIFF": "webp"}
MAX_PHOTO_BYTES = 15 * 1024 * 1024


class PhotoError(ValueError):
    pass


def photo_dir() -> Path:
    return get_settings().data_dir / "photos"


def save_photo(upload: FileStorage | None, asset_id: int) -> str | None:
    if upload is None or not upload.filename:
        return None
    data = upload.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoError("photo too large")
    ext = next((e for sig, e in _SIGNATURES.items() if data.startswith(sig)), None)
    if ext == "webp" and data[8:12] != b"WEBP":
        ext = None
    if ext is None:
        raise PhotoError("not a JPEG, PNG or WebP image")
    relative = f"{asset_id}/{uuid.uuid4().hex}.{ext}"
    target = photo_dir() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return relative


@bp.get("/photos/<int:asset_id>/<name>")
@login_required
def photo(asset_id: int, name: str) -> ResponseReturnValue:
    if "/" in name or ".." in name:
        abort(404)
    return send_from_directory(photo_dir() / str(asset_id), name, max_age=3600)
