"""Languages: zh-CN first, English second (Flask-Babel).

Message ids are English; the zh_CN catalog lives in app/translations/zh_Hans_CN (the
name Babel gives zh_CN) as a .po file and
is compiled to .mo when the app starts if the .mo is missing or older, so a fresh clone
works without a separate build step (and `pybabel compile` gives the same result).
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, session
from flask_babel import Babel, get_locale
from flask_login import current_user

from app.config import Settings

SUPPORTED_LOCALES = ("zh_CN", "en")
LOCALE_NAMES = {"zh_CN": "中文", "en": "English"}
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
SESSION_KEY = "lang"
log = logging.getLogger(__name__)


def compile_catalogs(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile every stale .po beside its .mo; returns the files written."""
    written: list[Path] = []
    for po_path in directory.glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        # Several workers may start at once: write aside, then rename atomically.
        try:
            fd, tmp = tempfile.mkstemp(dir=po_path.parent, suffix=".mo.tmp")
            with os.fdopen(fd, "wb") as out:
                write_mo(out, catalog)
            os.replace(tmp, mo_path)
        except OSError as exc:
            # A read-only install keeps the committed .mo (or falls back to English).
            log.warning("cannot compile %s: %s", po_path, exc)
            continue
        written.append(mo_path)
    return written


def _babel_name(code: str) -> str:
    # Babel expands zh_CN to zh_Hans_CN and looks up catalogs under that name.
    return "zh_Hans_CN" if code == "zh_CN" else code


def select_locale() -> str:
    return _babel_name(_selected_code())


def _selected_code() -> str:
    chosen = session.get(SESSION_KEY)
    if chosen in SUPPORTED_LOCALES:
        return str(chosen)
    user_locale = getattr(current_user, "locale", None)
    if user_locale in SUPPORTED_LOCALES:
        return str(user_locale)
    # The browser's Accept-Language is not consulted: volunteers' phones are often set
    # to English while they want the Chinese UI; the switch is one tap away.
    from app.extensions import get_settings

    return get_settings().default_locale


def current_locale_code() -> str:
    locale = get_locale()
    if locale is None or locale.language == "zh":
        return "zh_CN"
    return str(locale)


def html_lang() -> str:
    return "zh-CN" if current_locale_code() == "zh_CN" else "en"


def init_i18n(app: Flask, settings: Settings) -> None:
    compile_catalogs()
    app.config.setdefault("BABEL_DEFAULT_LOCALE", settings.default_locale)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", settings.timezone)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    Babel(app, locale_selector=select_locale)

    @app.context_processor
    def _i18n_context() -> dict[str, Any]:
        return {
            "current_locale": current_locale_code,
            "html_lang": html_lang,
            "locale_names": LOCALE_NAMES,
            "supported_locales": SUPPORTED_LOCALES,
        }
