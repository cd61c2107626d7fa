"""The package's imports point one way: down the layers, never in a loop.

Layers, bottom to top (a module may import its own package and any lower layer):
core < features, nets < data, classical < eval, pretrained < results < predict < run, report
< cli_parser, testing < cli.
Function-level imports are allowed only for optional or heavy dependencies (importing skops.io
loads all of scikit-learn, and torch where installed: seconds on every command).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ferbench"

LAYERS = {
    "core": 0,
    "features": 1,
    "nets": 1,
    "data": 2,
    "classical": 2,
    "eval": 3,
    "pretrained": 3,
    "results": 4,
    "predict": 5,
    "run": 6,
    "report": 6,
    "cli": 8,
    "cli_parser": 7,
    "testing": 7,
}
LAZY_ALLOWED = {"torch", "torchvision", "dlib", "ray", "captum", "safetensors", "cv2", "skops",
                "imageio_ffmpeg", "onnx", "onnxruntime", "skl2onnx", "onnxmltools"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(imported module, line, at module level) for every import in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    nested = {id(inner) for node in ast.walk(tree)
              if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
              for inner in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno, id(node) not in nested) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                # ``from ferbench.eval import metrics`` imports the module ferbench.eval.metrics
                name = f"{node.module}.{alias.name}"
                target = name if (PACKAGE.parent / (name.replace(".", "/") + ".py")).exists() \
                    or (PACKAGE.parent / name.replace(".", "/")).is_dir() else node.module
                found.append((target, node.lineno, id(node) not in nested))
    return found


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "ferbench" else None


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _graph() -> dict[str, set[str]]:
    return {m: {t for t, _, _ in _imports(p) if t in MODULES and t != m}
            for m, p in MODULES.items()}


def test_every_subpackage_has_a_layer():
    unplaced = {_layer(m) for m in MODULES} - set(LAYERS) - {None}
    assert not unplaced, f"add {sorted(unplaced)} to LAYERS in {__file__}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m)))
def test_imports_point_down(module):
    own = _layer(module)
    upward = [f"{MODULES[module]}:{line} imports {target}"
              for target, line, _ in _imports(MODULES[module])
              if _layer(target) and _layer(target) != own
              and LAYERS[_layer(target)] >= LAYERS[own]]
    assert not upward, "imports that run up or sideways:\n" + "\n".join(upward)


def test_no_function_level_imports_but_optional_heavy_ones():
    lazy = [f"{path}:{line} imports {target} inside a function"
            for path in MODULES.values() for target, line, top in _imports(path)
            if not top and target.split(".")[0] not in LAZY_ALLOWED
            and not target.startswith("__future__")]
    assert not lazy, "\n".join(lazy)


def test_no_import_loops():
    graph = _graph()
    state: dict[str, int] = {}
    loops: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                loops.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not loops, "import loops:\n" + "\n".join(" -> ".join(loop) for loop in loops)


def test_the_checker_sees_a_loop_and_an_upward_import(tmp_path, monkeypatch):
    """The walker itself can fail: a planted loop and an upward import are both found."""
    assert _layer("ferbench.core.registry") == "core"
    assert LAYERS["core"] < LAYERS["run"]
    source = tmp_path / "ferbench" / "core"
    source.mkdir(parents=True)
    (source / "a.py").write_text("from ferbench.run import runner\nimport ferbench.core.b\n")
    (source / "b.py").write_text("def f():\n    import ferbench.core.a\n")
    monkeypatch.setitem(globals(), "PACKAGE", tmp_path / "ferbench")
    found = _imports(source / "a.py")
    assert ("ferbench.run", 1, True) in found and ("ferbench.core.b", 2, True) in found
    assert _imports(source / "b.py") == [("ferbench.core.a", 2, False)]
