"""Function-level imports of the package's own modules are only for optional heavy dependencies.

import-linter (``.ci/run``) checks the layers over every import, function-level ones included;
this test adds the other half of the rule: a function-level import of a cosmos3_eval module is
allowed only when that module pulls in a heavy optional dependency at import time, so nobody
uses a function-level import to dodge a cycle or to hide a layering shortcut.
"""

from __future__ import annotations

import ast
from pathlib import Path

import cosmos3_eval

ROOT = Path(cosmos3_eval.__file__).parent
HEAVY = {
    "torch", "mujoco", "robosuite", "ray", "fastapi", "uvicorn", "starlette", "matplotlib",
    "transformers", "diffusers", "gymnasium", "cv2", "openai", "websockets", "openpi_client",
    "h5py", "httpx", "safetensors", "selenium",
}  # fmt: skip


def _module_path(name: str) -> Path | None:
    rel = Path(*name.split(".")[1:])
    for cand in (ROOT / rel.with_suffix(".py"), ROOT / rel / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def _top_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def _pulls_heavy(name: str, seen: set[str] | None = None) -> bool:
    """Whether importing ``name`` imports a heavy dependency (directly or via the package)."""
    seen = seen if seen is not None else set()
    if name in seen:
        return False
    seen.add(name)
    path = _module_path(name)
    if path is None:
        return False
    tree = ast.parse(path.read_text())
    for node in tree.body:
        mods: list[str] = []
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            mods = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for m in mods:
            if m.split(".")[0] in HEAVY:
                return True
            if m.startswith("cosmos3_eval.") and _pulls_heavy(m, seen):
                return True
    return False


def test_function_level_imports_are_only_for_heavy_dependencies():
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "cosmos3_eval"
                ):
                    targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                    if not any(_pulls_heavy(t) for t in targets):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.module}")
    assert not offenders, "function-level imports of light modules: " + ", ".join(offenders)
