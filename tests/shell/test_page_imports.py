"""Pages reach stored data only through benchmark/service.py, the one place that checks who may see
what: a page may import the definitions, the user types, reference data, quarters, the database
handle and the presentation helpers in outputs, and no other stage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "pages").glob("*.py"))

# module -> names a page may take from it (None: any name)
ALLOWED: dict[str, frozenset[str] | None] = {
    "benchmark": frozenset({"service", "reference", "periods"}),
    "benchmark.service": None,
    "benchmark.reference": None,
    "benchmark.periods": None,
    "benchmark.db": frozenset({"Database", "open_database"}),
    # the user types, and the sentence pages show a visitor who may not write
    "benchmark.access.rights": frozenset({"User", "AccessDenied", "Role", "Sharing", "DEMO_NO_WRITES"}),
    "benchmark.outputs": frozenset({"accessibility", "charts", "exports", "inequality_views", "inspection_views",
                                    "pack_render", "packs", "views"}),
}
ALLOWED_PACKAGES = ("benchmark.definitions", "benchmark.outputs.")


def forbidden_imports(source: str) -> list[str]:
    """Every `module.name` a page's source imports from benchmark outside what pages may use."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.startswith("benchmark.")
                      and alias.name not in ALLOWED and not alias.name.startswith(ALLOWED_PACKAGES)]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "benchmark":
            module = node.module or ""
            if module.startswith(ALLOWED_PACKAGES) or module == "benchmark.definitions":
                continue
            names = ALLOWED.get(module, frozenset())
            found += [f"{module}.{alias.name}" for alias in node.names if names is not None and alias.name not in names]
    return found


def test_the_check_catches_a_page_reaching_round_the_service() -> None:
    naive = ("from benchmark.analysis import engine\nfrom benchmark.access.membership import network_themes\n"
             "import benchmark.intake.returns\nfrom benchmark.access.rights import audit_log, User\n"
             "from benchmark import service, db\n")
    assert forbidden_imports(naive) == ["benchmark.analysis.engine", "benchmark.access.membership.network_themes",
                                        "benchmark.intake.returns", "benchmark.access.rights.audit_log",
                                        "benchmark.db"]


@pytest.mark.parametrize("page", PAGES, ids=[page.stem for page in PAGES])
def test_page_imports_only_service_definitions_and_presentation(page: Path) -> None:
    assert forbidden_imports(page.read_text(encoding="utf-8")) == []
