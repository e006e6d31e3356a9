"""app/api (and app/auth) without import cycles: blueprints in modules of their own,
route modules never import their package, the document reads only the registry."""

from __future__ import annotations

from tests.architecture.import_graph import Import, cycles, graph

API = "app.api"


def _in(package: str, module: str) -> bool:
    return module == package or module.startswith(package + ".")


def _edges() -> list[Import]:
    return graph()[1]


def test_no_cycle_through_api_or_auth() -> None:
    found = [c for c in cycles(_edges())
             if any(_in(API, m) or _in("app.auth", m) for m in c)]
    assert found == []


def test_no_function_local_import_in_api() -> None:
    local = [(e.source, e.target, e.line) for e in _edges() if e.local and _in(API, e.source)]
    assert local == []


def test_route_modules_import_the_blueprint_not_their_package() -> None:
    edges = _edges()
    into_package = [(e.source, e.line) for e in edges
                    if _in(API, e.source) and e.source != API and e.target == API]
    assert into_package == []
    views = [e for e in edges if e.source == "app.auth.views" and e.target == "app.auth"]
    assert views == []


def test_the_document_imports_no_route_module() -> None:
    edges = _edges()
    routes = {e.source for e in edges if e.target == "app.api.blueprint"}
    assert {"app.api.assets", "app.api.nearest", "app.api.map_features"} <= routes
    for module in ("app.api.document", "app.api.registry"):
        imported = {e.target for e in edges if e.source == module}
        assert not imported & routes, module
