"""The import graph of app/, maps/ and device_agent/, read with `ast`: no cycles, the
libraries never import the server, and a function-local import says which cycle it
breaks."""

from __future__ import annotations

from tests.architecture.import_graph import ROOT, Import, cycles, graph


def test_no_import_cycles() -> None:
    _modules, edges = graph()
    runtime = [e for e in edges if not e.type_only]
    assert cycles(runtime) == []


def test_maps_and_the_agent_never_import_the_server() -> None:
    _modules, edges = graph()
    wrong = [f"{e.source} -> {e.target} (line {e.line})" for e in edges
             if e.source.split(".")[0] in ("maps", "device_agent")
             and e.target.split(".")[0] == "app"]
    assert wrong == []


def test_the_agent_imports_only_its_own_packages() -> None:
    _modules, edges = graph()
    wrong = [f"{e.source} -> {e.target}" for e in edges
             if e.source.startswith("device_agent") and e.target.split(".")[0] == "maps"]
    assert wrong == []


def test_a_function_local_import_says_why() -> None:
    modules, edges = graph()
    unexplained = []
    for e in edges:
        if not e.local or e.type_only:
            continue
        lines = modules[e.source].read_text(encoding="utf-8").splitlines()
        here, above = lines[e.line - 1], lines[e.line - 2] if e.line > 1 else ""
        if "#" not in here and not above.strip().startswith("#"):
            unexplained.append(f"{modules[e.source].relative_to(ROOT)}:{e.line}")
    assert unexplained == []


def test_the_graph_reader_sees_a_cycle() -> None:
    # The checks above are only as good as the reader: it must find a known cycle.
    edges = [Import("a", "b", 1, False, False), Import("b", "c", 1, True, False),
             Import("c", "a", 1, False, False), Import("d", "a", 1, False, False)]
    assert cycles(edges) == [["a", "b", "c"]]
