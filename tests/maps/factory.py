"""Synthetic map records for tests and benchmarks (Yangpu-like names and positions)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from maps.builder import TEXT_KEYS
from maps.records import Kind, MapRecord
from maps.status_style import Shape, StatusLook

#: Status codes per kind, as a caller of the library would have them.
STATUSES: dict[str, tuple[str, ...]] = {
    "aed": ("in_use", "not_ready", "unknown", "attention", "ready"),
    "station": ("empty", "low", "expiring", "unknown", "ok"),
    "gateway": ("offline", "unknown", "online"),
}
SHAPES: dict[str, Shape] = {"aed": "circle", "station": "square", "gateway": "diamond"}
#: Fill colours the tests look for; other statuses are grey.
COLOURS = {"ready": "#009E73", "attention": "#E69F00", "not_ready": "#D55E00"}
GLYPHS = {"ready": "✓", "attention": "!", "not_ready": "✕", "low": "↓", "offline": "✕"}

STREETS = ["定海路", "平凉路", "江浦路", "四平路", "控江路", "长白新村", "延吉新村", "殷行",
           "大桥", "五角场", "新江湾城", "长海路"]
HOURS = ["24/7", "Mo-Fr 08:00-18:00; Sa,Su 09:00-17:00", "Mo-Su 06:00-22:00", "", "不固定"]


def page_words(lang: str = "zh") -> dict[str, Any]:
    """A legend and page texts as a caller hands them to the builder: each word is
    "{lang}:{status}" or "{lang}:{key}", so a test sees exactly where it went."""
    legend = {
        kind: [StatusLook(s, f"{lang}:{s}", COLOURS.get(s, "#999999"), "#000000",
                          GLYPHS.get(s, "?"), SHAPES[kind]) for s in statuses]
        for kind, statuses in STATUSES.items()
    }
    return {"legend": legend, "text": {key: f"{lang}:{key}" for key in TEXT_KEYS}}


def synthetic_records(
    n: int,
    *,
    seed: int = 1,
    center: tuple[float, float] = (31.2700, 121.5300),
    spread_deg: float = 0.05,
) -> list[MapRecord]:
    """``n`` records: 70 % AEDs, 25 % stations, 5 % gateways, realistic field lengths."""
    rnd = random.Random(seed)
    base = date(2026, 11, 29)
    out = []
    for i in range(n):
        roll = rnd.random()
        kind: Kind = "aed" if roll < 0.70 else ("station" if roll < 0.95 else "gateway")
        street = rnd.choice(STREETS)
        status = rnd.choice(STATUSES[kind])
        out.append(
            MapRecord(
                id=str(i + 1),
                kind=kind,
                lat=center[0] + rnd.uniform(-spread_deg, spread_deg),
                lon=center[1] + rnd.uniform(-spread_deg, spread_deg),
                status=status,
                label=f"{street}{rnd.randint(1, 999)}号 {'AED' if kind == 'aed' else '急救站'}",
                link=f"/assets/{i + 1}",
                pad_expiry=base + timedelta(days=rnd.randint(-30, 900)) if kind == "aed" else None,
                battery_expiry=(
                    base + timedelta(days=rnd.randint(0, 1400)) if kind == "aed" else None
                ),
                last_check=datetime(2026, 11, 1, 9, tzinfo=UTC)
                + timedelta(hours=rnd.randint(0, 600)),
                access_hours=rnd.choice(HOURS),
                description="大厅东侧服务台旁" if rnd.random() < 0.3 else "",
                contact="志愿者 张三 138****0000" if rnd.random() < 0.2 else "",
                public=rnd.random() < 0.9,
            )
        )
    return out
