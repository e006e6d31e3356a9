"""Probe corpora for text a user types: template syntax (Jinja), JavaScript string and
template-literal breakers, HTML and attribute breakers.

Every probe carries a payload that leaves a trace if it ever runs: it sets
``window.__pwned`` (or ``parent.__pwned``), opens a dialog (``alert``), or, for a template,
evaluates to something else than its own text (``{{ 7*7 }}`` becomes ``49``) or makes the
page fail to render (``{% raw %}`` without its end). Shown literally is the only right
outcome.

Tests wrap a probe in field markers (:func:`mark`) before storing it, so a page check can
find each occurrence, tell which field it came from, and compare it with the probe:
markers are ASCII letters and digits, which no escaping changes.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from markupsafe import escape

#: The global a probe's script would set.
PWNED = "__pwned"


@dataclass(frozen=True)
class Probe:
    text: str
    family: str  # "jinja" | "js" | "html"
    #: Valid Jinja when rendered again (evaluates instead of failing): the original
    #: builder showed these changed, or ran their script, rather than answering 500.
    evaluates: bool = False


JINJA: tuple[Probe, ...] = (
    Probe("{{ 7*7 }}", "jinja", evaluates=True),
    Probe("{{ config }}<img src=x onerror=window.__pwned=1>", "jinja", evaluates=True),
    Probe("{{ ''.__class__.__mro__ }}", "jinja", evaluates=True),
    Probe("{{ cycler.__init__.__globals__ }}", "jinja", evaluates=True),
    Probe("{{ this }}{{ kwargs }}", "jinja", evaluates=True),
    Probe("{% for i in range(3) %}{{ i }}{% endfor %}", "jinja", evaluates=True),
    # Jinja decodes \u escapes in its string literals: the JSON-escaped "<" turns back
    # into a real one, closing the data element and opening a script of its own.
    Probe("{{ '</script><script>window.__pwned=1</script>' }}", "jinja", evaluates=True),
    Probe("${{7*7}}", "jinja", evaluates=True),
    Probe("{% raw %}<svg onload=window.__pwned=1>", "jinja"),
    Probe("{% endraw %}<img src=x onerror=alert(1)>", "jinja"),
    Probe("{% if %}<svg onload=alert(1)>", "jinja"),
    Probe("{#<img src=x onerror=window.__pwned=1>", "jinja"),
    Probe("{{<script>window.__pwned=1</script>", "jinja"),
    Probe("{%<svg onload=window.__pwned=1>", "jinja"),
    Probe("}}{%%}{{'", "jinja"),
)

JS: tuple[Probe, ...] = (
    Probe("${alert(1)}", "js"),
    Probe("${window.__pwned=1}", "js"),
    Probe("`;window.__pwned=1;`", "js"),
    Probe("\\`;window.__pwned=1//", "js"),
    Probe("';window.__pwned=1;//", "js"),
    Probe('";window.__pwned=1;//', "js"),
    Probe("\\';alert(1)//", "js"),
    Probe("\u2028window.__pwned=1//\u2029", "js"),
    Probe("</script><script>window.__pwned=1</script>", "js"),
)

HTML: tuple[Probe, ...] = (
    Probe('"><img src=x onerror=window.__pwned=1>', "html"),
    Probe("'><img src=x onerror=window.__pwned=1>", "html"),
    Probe("<svg onload=window.__pwned=1>", "html"),
    Probe("<img src=x onerror=alert(1)>", "html"),
    Probe("<!--<script>window.__pwned=1</script>-->", "html"),
    Probe('<iframe srcdoc="<script>parent.__pwned=1</script>">', "html"),
    Probe("<a href=javascript:window.__pwned=1>x</a>", "html"),
    Probe("&lt;img src=x onerror=window.__pwned=1&gt;", "html"),
    Probe("]]><style>*{display:none}</style>", "html"),
)

ALL: tuple[Probe, ...] = JINJA + JS + HTML
#: The probes that the original builder rendered (changed) instead of failing on.
EVALUATING: tuple[Probe, ...] = tuple(p for p in ALL if p.evaluates or p.family != "jinja")

_MARK = re.compile(r"PB([a-z]{2})(\d{2})x(.*?)x\2BP", re.S)
_OPEN = re.compile(r"PB[a-z]{2}\d{2}x")


def mark(field: str, index: int, text: str) -> str:
    """``text`` between markers naming the field (two letters) and the probe number."""
    assert re.fullmatch(r"[a-z]{2}", field) and 0 <= index < 100
    return f"PB{field}{index:02d}x{text}x{index:02d}BP"


@dataclass(frozen=True)
class Found:
    field: str
    index: int
    text: str  # as it stands in the checked text


def marked(text: str) -> Iterator[Found]:
    for m in _MARK.finditer(text):
        yield Found(m.group(1), int(m.group(2)), m.group(3))


def openings(text: str) -> int:
    """Opening markers: more than complete occurrences means a probe ate its end."""
    return len(_OPEN.findall(text))


def in_html_text(text: str) -> set[str]:
    """How a page may show ``text`` in HTML text or an attribute: escaped."""
    return {str(escape(text)), html.escape(text, quote=True)}


def in_json(text: str) -> set[str]:
    """How a JSON body may carry ``text`` (inside a string, without the quotes)."""
    plain = json.dumps(text, ensure_ascii=False)[1:-1]
    ascii_ = json.dumps(text)[1:-1]
    safe = {s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("'", "\\u0027") for s in (plain, ascii_)}
    return {plain, ascii_, *safe}
