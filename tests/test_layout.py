"""The package's layout is its architecture: layers that import only downwards, and no import cycles.

Every import counts, at module level or inside a function (a lazy import is still a
dependency), except those under ``if TYPE_CHECKING:``, which never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "assessment"

#: What each part of the package may import, besides itself. cli may import anything.
ALLOWED = {
    "model": set(),
    "estimate": {"model"},
    "rules": {"model", "estimate"},
    "report": {"model", "rules", "estimate"},
    "pipeline": {"model", "rules", "report", "estimate"},
    "schemas": {"model", "rules", "report", "estimate"},
    "interview": {"model", "rules"},
    "batch": {"model", "rules", "report", "pipeline", "estimate", "plan"},
    "plan": {"model", "rules", "report"},
    "activities": {"model"},
    "web": {"model", "rules", "report", "pipeline", "estimate", "plan", "batch", "interview", "schemas"},
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(path: Path, modules: set[str]) -> set[str]:
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    visit(sub)
                continue
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                for alias in child.names:
                    full = f"{target}.{alias.name}"
                    out.add(full if full in modules else target)
            elif isinstance(child, ast.Import):
                out.update(a.name for a in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in out if m in modules and m != name}


def _graph() -> dict[str, set[str]]:
    files = sorted(PKG.rglob("*.py"))
    modules = {_module_name(p) for p in files}
    return {_module_name(p): _imports(p, modules) for p in files}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "assessment"


def test_subpackages_import_only_downwards():
    bad = []
    for mod, deps in _graph().items():
        part = _part(mod)
        if part not in ALLOWED:
            continue
        for dep in deps:
            dep_part = _part(dep)
            if dep_part != part and dep_part not in ALLOWED[part]:
                bad.append(f"{mod} imports {dep}")
    assert not bad, "layering broken:\n" + "\n".join(sorted(bad))


def test_no_import_cycles():
    graph = _graph()
    graph.pop("assessment", None)  # the façade imports lazily from everywhere; nothing imports it
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if dep == "assessment":
                continue
            if state.get(dep) == 1:
                cycles.append(" -> ".join(stack[stack.index(dep):] + [dep]))
            elif dep not in state:
                dfs(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            dfs(node)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_every_subpackage_says_what_it_holds():
    for init in sorted(PKG.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and "Modules:" in doc, f"{init.relative_to(PKG.parent)} needs a docstring naming its modules"
        for module in sorted(p.stem for p in init.parent.glob("*.py") if p.stem != "__init__"):
            assert f"``{module}``" in doc, f"{init.relative_to(PKG.parent)} does not name {module}"
