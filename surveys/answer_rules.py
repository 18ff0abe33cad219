"""The rules of one click: checked against the question, stored once, changeable while open.

``confidential`` answers carry a pseudonymous respondent key, so the person can change them and
see their own trend. ``anonymous`` answers carry nothing; the delivery only remembers which items
were answered (and commented on), so a second click is ignored, a second comment refused, and
nobody is reminded twice. A click that is refused (not yours, closed, an invalid value) is
refused before it writes anything, so it never spoils the other clicks of its group.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.events import AnswerGiven, CommentGiven
from storage.tables import COMMENT_MARK, OPEN_STATUSES, DeliveryStatus, QuestionRecord
from surveys import sentiment, themes
from surveys.answer_clicks import Click
from surveys.answer_writes import CHANGE_ANSWER, SET_COMMENT, GroupWrites
from surveys.choices import MAX_TEXT, InvalidAnswer, check, stored_value
from surveys.context import Answering
from surveys.prompts import PromptSubject, Recorded

ANSWERABLE = (*OPEN_STATUSES, DeliveryStatus.ANSWERED)
ANONYMOUS_COMMENT_ONCE = (
    "Your anonymous comment is already recorded; anonymous comments cannot be changed."
)
NOT_YOURS = "That question isn't one I asked you, so nothing was recorded."


@dataclass
class Done:
    """A click handled inside the transaction; its prompt is rendered after the commit."""

    accepted: bool
    message: str | None
    click: Click | None  # None: refused before the prompt mattered
    closed: bool = False


def record_one(
    core: Answering,
    writes: GroupWrites,
    clicks: dict[int, Click],
    event: AnswerGiven | CommentGiven,
) -> Done:
    """Apply one click of a group to what the group read (``clicks``) and wrote so far."""
    click = clicks.get(event.delivery_id)
    if click is None or click.subject.person != event.person:
        return Done(False, NOT_YOURS, None)
    subject = click.subject
    question = next(
        (
            q
            for q in core.catalog.questions_for(subject.question_id, subject.bank)
            if q.id == event.question_id
        ),
        None,
    )
    if question is None:
        return Done(
            False, "That question isn't part of this prompt, so nothing was recorded.", None
        )
    if subject.status not in ANSWERABLE or core.clock.now() >= subject.expires_at:
        return Done(False, None, click, closed=True)
    try:
        if isinstance(event, AnswerGiven):
            message = _answer(core, writes, click, question, event)
        else:
            message = _comment(core, writes, click, question, event.comment)
    except InvalidAnswer as exc:  # raised before this click wrote anything
        return Done(False, str(exc), None)
    return Done(True, message, click)


def _answer(
    core: Answering,
    writes: GroupWrites,
    click: Click,
    question: QuestionRecord,
    event: AnswerGiven,
) -> str | None:
    value, score = check(question.kind, event.value, question.options)
    comment = _clean_comment(event.comment)
    if click.key is None:  # anonymous
        if question.id in click.subject.answered_items:
            return "Your anonymous answer is already recorded; anonymous answers cannot be changed."
        _insert(core, writes, click, question, value, score, comment)
        if comment is not None:
            _mark_answered(writes, click, COMMENT_MARK + question.id)
    else:
        existing = click.own.get(question.id)
        if existing is None:
            _insert(core, writes, click, question, value, score, comment)
        else:
            shown = existing[1]
            if shown.value == value and comment is None:
                return None  # the same click twice: one answer
            answer_id = writes.answer_id(click, question.id)
            writes.update(
                CHANGE_ANSWER,
                {
                    "answer_id": answer_id,
                    "new_value": stored_value(core.vault, question.kind, value),
                    "new_score": score,
                },
            )
            if comment is not None:
                _store_comment(core, writes, answer_id, comment)
            click.own[question.id] = (
                answer_id,
                Recorded(value, shown.has_comment or comment is not None),
            )
    _mark_answered(writes, click, question.id)
    writes.answers += 1
    return None


def _comment(
    core: Answering, writes: GroupWrites, click: Click, question: QuestionRecord, text: str
) -> str | None:
    comment = _clean_comment(text)
    if comment is None:
        raise InvalidAnswer("The comment is empty.")
    if click.key is None:
        # Nothing links the earlier answer to this person, so the comment stands on its own;
        # the delivery remembers that there is one, so each person has one voice per asking.
        if question.id not in click.subject.answered_items:
            raise InvalidAnswer("Answer the question first, then add a comment.")
        if COMMENT_MARK + question.id in click.subject.answered_items:
            raise InvalidAnswer(ANONYMOUS_COMMENT_ONCE)
        _insert(core, writes, click, question, "", None, comment)
        _mark_answered(writes, click, COMMENT_MARK + question.id)
        return "Thanks, your comment is recorded anonymously."
    existing = click.own.get(question.id)
    if existing is None:
        raise InvalidAnswer("Answer the question first, then add a comment.")
    answer_id = writes.answer_id(click, question.id)
    _store_comment(core, writes, answer_id, comment)
    click.own[question.id] = (answer_id, Recorded(existing[1].value, True))
    return "Thanks, your comment is recorded."


def _store_comment(core: Answering, writes: GroupWrites, answer_id: int, comment: str) -> None:
    """Encrypt a comment onto an answer, with its sentiment computed now, once."""
    writes.update(
        SET_COMMENT,
        {
            "answer_id": answer_id,
            "new_comment": core.vault.encrypt(comment),
            "new_sentiment": sentiment.polarity(comment),
        },
    )
    writes.set_themes(answer_id, themes.extract(comment, core.require_program().themes))


def _insert(
    core: Answering,
    writes: GroupWrites,
    click: Click,
    question: QuestionRecord,
    value: str,
    score: float | None,
    comment: str | None,
) -> None:
    program = core.require_program()
    workstream = program.workstream(click.subject.workstream_id)
    writes.insert_answer(
        {
            "occurrence_id": click.subject.occurrence_id,
            "question_id": question.id,
            "workstream_id": click.subject.workstream_id,
            "respondent_key": click.key,
            "value": stored_value(core.vault, question.kind, value),
            "score": score,
            "comment": core.vault.encrypt(comment) if comment else None,
            "sentiment": sentiment.polarity(comment) if comment else None,
            "in_pilot": workstream is not None and click.subject.person in workstream.pilot,
            "answered_on": click.local_date,  # the period asked, not the minute answered
            "segment_id": click.segment_id,
        },
        themes.extract(comment, program.themes) if comment else (),
    )
    if click.key is not None and value:
        click.own[question.id] = (None, Recorded(value, comment is not None))


def _mark_answered(writes: GroupWrites, click: Click, question_id: str) -> None:
    answered = click.subject.answered_items
    items = answered if question_id in answered else [*answered, question_id]
    writes.mark_answered(click.subject.delivery_id, items)
    click.subject = PromptSubject(
        **{
            **click.subject.__dict__,
            "status": DeliveryStatus.ANSWERED.value,
            "answered_items": items,
        }
    )


def _clean_comment(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise InvalidAnswer(f"Keep the comment under {MAX_TEXT} characters.")
    return text
