from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maps.escape import html_and_js_text, json_for_script

PROBES = [
    "${globalThis.x=1}",
    "`;globalThis.x=1;`",
    "\\`;globalThis.x=1//",
    '<img src=x onerror="globalThis.x=1">',
    "<script>globalThis.x=1</script>",
    "</script><script>globalThis.x=1</script>",
    "<!-- a \u2028 b \u2029 & c",
]


@pytest.mark.parametrize("probe", PROBES)
def test_json_for_script_round_trips_without_markup_characters(probe):
    text = json_for_script({"label": probe, "list": [probe]})
    for ch in "<>&\u2028\u2029":
        assert ch not in text
    assert json.loads(text) == {"label": probe, "list": [probe]}


@given(st.recursive(st.text() | st.integers() | st.none(), lambda c: st.lists(c, max_size=4)))
def test_json_for_script_is_lossless(value):
    text = json_for_script(value)
    assert "</" not in text.lower()
    assert json.loads(text) == value


@pytest.mark.parametrize("probe", PROBES)
def test_html_and_js_text_leaves_nothing_active(probe):
    out = html_and_js_text(probe)
    for ch in "<>\"'`$\\":
        assert ch not in out
    assert "${" not in out


def test_html_and_js_text_keeps_plain_text():
    assert html_and_js_text("杨浦滨江 AED 地图") == "杨浦滨江 AED 地图"
    assert html_and_js_text("a & b") == "a &amp; b"
