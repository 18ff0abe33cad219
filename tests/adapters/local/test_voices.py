"""What the playground's colleagues write: each line's tone is the tone the product computes
for it, names its theme, and every commentable question of the example program has lines of
every tone that fit it."""

from __future__ import annotations

import pytest

from adapters.local.voices import BY_WORKSTREAM, GENERIC, TONES, Line, Voices, voices_of
from surveys.program import Program
from surveys.program_file import load_program
from surveys.sentiment import polarity
from tests.factories import EXAMPLE_PROGRAM

ALL_VOICES = {**BY_WORKSTREAM, "generic": GENERIC}


def _tone(text: str) -> str:
    score = polarity(text)
    return "positive" if score > 0.1 else "negative" if score < -0.1 else "neutral"


@pytest.fixture(scope="module")
def program() -> Program:
    return load_program(EXAMPLE_PROGRAM)


@pytest.mark.parametrize("name", sorted(ALL_VOICES))
def test_every_comment_has_the_tone_the_product_computes_for_it(name: str) -> None:
    wrong = [
        (line.tone, polarity(line.text), line.text)
        for line in ALL_VOICES[name].comments
        if _tone(line.text) != line.tone
    ]
    assert not wrong


@pytest.mark.parametrize("name", sorted(ALL_VOICES))
def test_every_line_names_its_theme(name: str) -> None:
    voices = ALL_VOICES[name]
    lines: list[Line] = [
        *voices.comments,
        *(a for answers in voices.answers.values() for a in answers),
    ]
    unnamed = [
        line.text
        for line in lines
        if line.theme in voices.themes
        and not any(word.lower() in line.text.lower() for word in voices.themes[line.theme])
    ]
    assert not unnamed
    assert all(line.theme in voices.themes for line in voices.comments)


def test_each_workstream_has_recurring_themes_in_every_tone(program: Program) -> None:
    for workstream in program.workstreams:
        voices = BY_WORKSTREAM[workstream.id]
        assert len(voices.themes) >= 3, workstream.id
        for theme in voices.themes:
            tones = {line.tone for line in voices.comments if line.theme == theme}
            assert tones == set(TONES), (workstream.id, theme)


def test_every_commentable_question_has_fitting_lines_of_every_tone(program: Program) -> None:
    for workstream in program.workstreams:
        voices: Voices = voices_of(workstream.id)
        ids = {q.id for q in workstream.questions}
        assert all(set(line.fits) <= ids for line in voices.comments), workstream.id
        for question in workstream.questions:
            if question.comment == "optional":
                for tone in TONES:
                    assert voices.comments_for(question.id, tone), (question.id, tone)
            if question.kind == "text":
                assert len(voices.answers.get(question.id, ())) >= 4, question.id


def test_another_programs_workstream_speaks_with_the_generic_voices() -> None:
    assert voices_of("not-in-the-example") is GENERIC
    for tone in TONES:
        assert GENERIC.comments_for("any-question", tone)
