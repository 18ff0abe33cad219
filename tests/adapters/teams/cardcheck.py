"""Microsoft's ``adaptivecards`` parser, run under node, as a test oracle for every card."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CARDCHECK = Path(__file__).resolve().parent / "cardcheck"


@dataclass(frozen=True)
class CardChecker:
    """Parses cards with the pinned ``adaptivecards`` package; one node process per call."""

    node: str

    def problems(self, cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Per card: the parser's errors and warnings (both empty for a good card)."""
        result = subprocess.run(
            [self.node, str(CARDCHECK / "check.js")],
            input=json.dumps(cards),
            capture_output=True,
            text=True,
            cwd=CARDCHECK,
            timeout=60,
            check=True,
        )
        found: list[dict[str, Any]] = json.loads(result.stdout)
        return found

    def assert_valid(self, *cards: dict[str, Any]) -> None:
        reports = self.problems(list(cards))
        bad = [
            (card.get("body", [{}])[0].get("text"), report)
            for card, report in zip(cards, reports, strict=True)
            if report["errors"] or report["warnings"]
        ]
        assert bad == []


def install() -> CardChecker | str:
    """Install the pinned parser once (``npm install`` when node_modules is missing).

    Returns the checker, or the reason it cannot run (for a clear skip).
    """
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return "node/npm not installed: cannot check Adaptive Cards with Microsoft's parser"
    if not (CARDCHECK / "node_modules" / "adaptivecards").is_dir():
        result = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund"],
            cwd=CARDCHECK,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            return f"npm install of the adaptivecards parser failed: {result.stderr.strip()[-300:]}"
    return CardChecker(node)
