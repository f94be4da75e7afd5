"""The emulator writes provider JSON from its own templates: it must not import the client side."""

from __future__ import annotations

import ast
from pathlib import Path

EMULATOR = Path(__file__).resolve().parents[2] / "core" / "emulator"
ALLOWED_THIRD_PARTY = {"uvicorn"}


def test_the_emulator_imports_only_itself_the_standard_library_and_uvicorn() -> None:
    import sys

    offenders = []
    for path in EMULATOR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                continue  # relative: inside core/emulator
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ALLOWED_THIRD_PARTY and top != "__future__":
                    offenders.append(f"{path.relative_to(EMULATOR)}: {name}")
    assert offenders == []
