"""The core never imports a platform SDK; only the adapter folders may."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("slack_bolt", "slack_sdk", "botbuilder")
CORE_PACKAGES = ("bot", "surveys", "storage")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", CORE_PACKAGES)
def test_core_package_imports_no_platform_sdk(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in _imports(path)
        if name.split(".")[0] in FORBIDDEN
    ]
    assert offenders == []


def test_teams_sdk_stays_inside_the_teams_adapter() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / "adapters").rglob("*.py"))
        for name in _imports(path)
        if name.startswith("botbuilder") and "teams" not in path.relative_to(ROOT).parts
    ]
    assert offenders == []


def test_slack_sdk_stays_inside_the_slack_adapter() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / "adapters").rglob("*.py"))
        for name in _imports(path)
        if name.split(".")[0] in ("slack_bolt", "slack_sdk")
        and "slack" not in path.relative_to(ROOT).parts
    ]
    assert offenders == []


def test_loading_the_core_loads_no_platform_sdk() -> None:
    """Importing the whole core (without adapters enabled) pulls in no chat SDK transitively."""
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for package in CORE_PACKAGES
        for p in (ROOT / package).rglob("*.py")
        if "migrations" not in p.parts and p.name not in ("__init__.py", "__main__.py")
    )
    script = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[]"
