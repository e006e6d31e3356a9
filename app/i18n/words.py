"""A text in both of the app's languages, picked by the reader's locale.

Words that pages, the map, the API and notifications share (status names, alert titles
and sentences) are kept as pairs in code, not in the gettext catalogue: notifications are
written by the scheduler, outside any request, in the language of the channel that
receives them, and the map library is handed its words as plain strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Locale = Literal["zh_CN", "en"]
DEFAULT: Locale = "zh_CN"


def locale_code(locale: str | None, default: Locale = DEFAULT) -> Locale:
    """"zh-CN", "zh_Hans_CN", "en-GB", "EN"... as one of the app's locales."""
    if not locale:
        return default
    low = locale.replace("-", "_").lower()
    if low.startswith("en"):
        return "en"
    if low.startswith("zh"):
        return "zh_CN"
    return default


def is_english(locale: str | None) -> bool:
    return locale_code(locale) == "en"


@dataclass(frozen=True, slots=True)
class Words:
    zh: str
    en: str

    def in_(self, locale: str | None) -> str:
        return self.en if is_english(locale) else self.zh
