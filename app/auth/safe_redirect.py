"""Where a `next=` parameter may send the browser: only a path on this site.

Browsers forgive a lot when they read a Location header: they drop tabs and newlines
anywhere, treat a backslash as a slash and take `//host` as another site. So a target
is refused unless it parses as a bare path (no scheme, no host) starting with one `/`,
and holds no control, format or space-like character and no backslash.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

#: Unicode categories a Location header must not carry (controls, invisible formatting,
#: separators): a browser may strip them and read what is left as another host.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
MAX_TARGET_LENGTH = 2000


def is_safe_target(target: str | None) -> bool:
    if not target or len(target) > MAX_TARGET_LENGTH:
        return False
    if "\\" in target or any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in target):
        return False
    try:
        parts = urlsplit(target)
    except ValueError:
        return False
    if parts.scheme or parts.netloc:
        return False
    # On the raw text: urlsplit reads "///host" as an empty host, a browser as "host".
    return target.startswith("/") and not target.startswith("//")


def safe_target(target: str | None, fallback: str) -> str:
    return target if target is not None and is_safe_target(target) else fallback
