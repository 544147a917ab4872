"""Dependencies flow one way: balance.app -> protocols -> drivers -> balance core.

Checked on the source text with ``ast`` (every import statement, including those inside
functions), so a lazy import that crosses a layer is caught as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: layer -> top-level modules it may NOT import.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "core": ("drivers", "protocols", "balance.app"),
    "drivers": ("protocols", "balance.app"),
    "protocols": ("balance.app",),
}

#: The numeric core never touches a device, a file or a clock.
CORE_FORBIDDEN_MODULES = ("time", "datetime", "os", "pathlib", "io", "gzip", "open", "hid", "evdev", "socket")


def _layer_files(layer: str) -> list[Path]:
    if layer == "core":
        return [p for p in (ROOT / "balance").rglob("*.py") if "app" not in p.relative_to(ROOT / "balance").parts]
    return list((ROOT / layer).rglob("*.py"))


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{a.name}") for a in node.names)
    return found


def _matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_flow_one_way(layer: str) -> None:
    files = _layer_files(layer)
    assert files, f"no source files found for layer {layer}"
    bad = [
        f"{p.relative_to(ROOT)}:{line} imports {name}"
        for p in files
        for line, name in _imports(p)
        if any(_matches(name, f) for f in FORBIDDEN[layer])
    ]
    assert not bad, "layering violated:\n" + "\n".join(bad)


def test_core_touches_no_device_file_or_clock() -> None:
    bad = []
    for p in _layer_files("core"):
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for line, name in _imports(p):
            if name.split(".")[0] in CORE_FORBIDDEN_MODULES:
                bad.append(f"{p.relative_to(ROOT)}:{line} imports {name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open":
                bad.append(f"{p.relative_to(ROOT)}:{node.lineno} calls open()")
    assert not bad, "the numeric core must stay pure:\n" + "\n".join(bad)


def test_checker_sees_a_violation(tmp_path: Path) -> None:
    # The checker itself must be able to fail.
    f = tmp_path / "x.py"
    f.write_text("def f():\n    from drivers.sim import SimulatedBoard\n    import protocols\n")
    names = [n for _, n in _imports(f)]
    assert any(_matches(n, "drivers") for n in names)
    assert any(_matches(n, "protocols") for n in names)
