"""The stock subject's modules import each other one way only: no cycle, and no
function-local import hiding one."""

from __future__ import annotations

from tests.architecture.import_graph import cycles, graph


def test_no_import_cycle_and_no_local_import_in_app_stock() -> None:
    _modules, edges = graph()
    stock = [e for e in edges if e.source.startswith("app.stock")]
    assert [e for e in stock if e.local] == []
    assert [c for c in cycles(edges) if any(m.startswith("app.stock") for m in c)] == []
    # A subject never imports an entry point.
    entry = ("app.web", "app.api", "app.ingest", "app.scheduler", "app.cli")
    assert [e for e in stock if e.target.startswith(entry)] == []
