"""What the playground's colleagues write: comments and free-text answers per workstream.

Each workstream of the example program has a few recurring themes (for the LMS rollout: search,
the mobile app, course recommendations, time to learn), and every line belongs to one theme and
has one tone. Lines are chosen by the tone of the answer they go with (a 2 out of 5 comes with a
negative comment), so the share of positive and negative comments follows the scores. A line's
tone is the tone the product computes for it (``surveys.sentiment``: above 0.1 positive, below
-0.1 negative); a test checks every line. Some lines only fit some questions (a remark about the
course pace goes with the pace question); ``fits`` says which, empty meaning any commentable
question of the workstream. Workstreams of another program get the generic voices.

The texts are data, in ``voices.yaml`` next to this module; this module gives them their shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import yaml

Tone = Literal["positive", "neutral", "negative"]
TONES: tuple[Tone, ...] = ("positive", "neutral", "negative")
VOICES_FILE = Path(__file__).with_name("voices.yaml")


@dataclass(frozen=True)
class Line:
    """One thing a colleague might write, about one theme, in one tone."""

    theme: str
    tone: Tone
    text: str
    fits: tuple[str, ...] = ()  # question ids; empty: any question of the workstream


@dataclass(frozen=True)
class Voices:
    """A workstream's themes (each with the words that mark it), comments and text answers."""

    themes: dict[str, tuple[str, ...]]
    comments: tuple[Line, ...]
    answers: dict[str, tuple[Line, ...]]  # free-text question id -> answers

    def comments_for(self, question_id: str, tone: Tone, theme: str | None = None) -> list[Line]:
        """Lines of ``tone`` that fit ``question_id``, of ``theme`` when given."""
        return [
            line
            for line in self.comments
            if line.tone == tone
            and (not line.fits or question_id in line.fits)
            and (theme is None or line.theme == theme)
        ]


def _lines(groups: list[dict[str, Any]]) -> tuple[Line, ...]:
    """Lines from groups of ``theme``, ``tone`` (neutral when absent), ``fits`` and ``texts``."""
    out: list[Line] = []
    for group in groups:
        tone = group.get("tone", "neutral")
        if tone not in TONES:
            raise ValueError(f"{VOICES_FILE.name}: unknown tone {tone!r}")
        fits = tuple(group.get("fits", ()))
        out += [Line(group["theme"], cast(Tone, tone), text, fits) for text in group["texts"]]
    return tuple(out)


def _voices(data: dict[str, Any]) -> Voices:
    return Voices(
        themes={theme: tuple(words) for theme, words in data["themes"].items()},
        comments=_lines(data["comments"]),
        answers={question: _lines(groups) for question, groups in data["answers"].items()},
    )


def _load() -> tuple[dict[str, Voices], Voices, tuple[Line, ...]]:
    data = yaml.safe_load(VOICES_FILE.read_text(encoding="utf-8"))
    by_workstream = {ws: _voices(voices) for ws, voices in data["workstreams"].items()}
    return by_workstream, _voices(data["generic"]), _lines(data["generic_answers"])


BY_WORKSTREAM, GENERIC, GENERIC_ANSWERS = _load()


def voices_of(workstream_id: str) -> Voices:
    """The voices of a workstream of the example program, else the generic ones."""
    return BY_WORKSTREAM.get(workstream_id, GENERIC)


def text_answers(workstream_id: str, question_id: str) -> tuple[Line, ...]:
    """The free-text answers that fit ``question_id``; generic ones for another program."""
    return voices_of(workstream_id).answers.get(question_id) or GENERIC_ANSWERS
