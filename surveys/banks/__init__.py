"""Built-in question banks: ``culture-of-learning`` (self-assessment) and ``outcomes`` (ROI)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

_HERE = Path(__file__).parent
SELF_ASSESSMENT = "culture-of-learning"
OUTCOMES = "outcomes"


@dataclass(frozen=True)
class BankQuestion:
    id: str
    area: str
    ask: str
    kind: str


@dataclass(frozen=True)
class Bank:
    id: str
    name: str
    description: str
    areas: dict[str, str]  # area id -> area name, in order
    questions: tuple[BankQuestion, ...]


@cache
def load_bank(bank_id: str) -> Bank:
    """Read a shipped bank by id."""
    data = yaml.safe_load((_HERE / f"{bank_id}.yaml").read_text(encoding="utf-8"))
    return Bank(
        id=data["bank"],
        name=data["name"],
        description=data.get("description", ""),
        areas={a["id"]: a["name"] for a in data["areas"]},
        questions=tuple(
            BankQuestion(id=q["id"], area=q["area"], ask=q["ask"], kind=q["kind"])
            for q in data["questions"]
        ),
    )
