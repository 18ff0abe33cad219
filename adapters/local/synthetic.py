"""Answers of the playground's simulated people, a whole asking at once or one at a time.

An answer comes from the person's *stance*, a standard normal number mixing their lasting view
of the workstream, their lasting view of the question and this asking's mood: a higher stance
gives a higher score, a "yes", a promoter. So people keep their own baseline from week to week,
with some noise.

A whole asking (the seeded history) is drawn at once: the people who answered are ranked by
stance and given values so that the asking's figure lands on the storyline's level (a mean
within half a point per person, a share within one person), so weekly figures drift and wobble
instead of jumping. One answer at a time (colleagues answering as the demo clock moves) is drawn
from the same stance against the same level. Comments go with the answer's tone, in the voice
of the workstream (``adapters.local.voices``), mostly about the person's favourite theme.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from adapters.local.storyline import (
    Subject,
    choice_weights,
    enps_score,
    normal,
    scale_mean,
    unit,
    yes_share,
)
from adapters.local.voices import GENERIC, Tone, text_answers, voices_of
from surveys.periods import period_containing
from surveys.program import Program

VIEW = 0.55  # weight of each lasting view (workstream, question) in a stance
MOOD = math.sqrt(1 - 2 * VIEW**2)  # the rest: this asking's mood
SCALE_SPREAD = 0.85  # how far people's scores spread around the mean
PASSIVES = 0.38  # share of 7s and 8s on an eNPS question
ANSWERS_PROMPT = 0.96  # someone taking part in a period answers a weekly or monthly prompt
ANSWERS_DAILY = 0.72  # ... and a daily one
ENGAGEMENT = 0.3  # how much more often engaged people take part than others
_BUSY_SPREAD = math.sqrt(1 / 12 + ENGAGEMENT**2)  # of ``busyness`` around its mean of 0.5
YES_STEP = 0.15  # the share of "yes" moves at most this much from one asking to the next
ENPS_STEP = 15.0  # and the eNPS this much
FAVOURITE_THEME = 0.35  # how often someone writes about their favourite theme
TALKED_ABOUT = 0.6  # how often someone writes about what the whole workstream talks about
# what each workstream of the example program talks about: the demo's digests show it as a theme
TALK_OF_THE_TEAM = {
    "lms": "mobile app",
    "leadership": "career path",
    "respect": "shift handover",
    "security": "phishing",
    "technical": "hands-on practice",
    "soft-skills": "customer calls",
}
COMMENT_RATE = {"pilot": 0.55, "organization": 0.3}  # pilots are asked for their feedback
MONTHLY_COMMENTS = 1.5  # a monthly question gets more thought than a weekly one


def reporting_period(program: Program, workstream_id: str, day: date) -> str:
    """The reporting period ``day`` falls in, as a key: the workstream's digest period, or the
    month for a built-in bank."""
    workstream = program.workstream(workstream_id)
    if workstream is None:
        return f"{day.year}-{day.month:02d}"
    return period_containing(workstream.digest, day).start.isoformat()


def busyness(ref: str, workstream_id: str, period: str) -> float:
    """How little ``ref`` has time for a workstream's prompts in a period (lower: answers):
    their own engagement, and what else is going on that period."""
    return unit("busy", workstream_id, period, ref) - ENGAGEMENT * normal("engaged", ref)


def takes_part(ref: str, workstream_id: str, period: str, share: float) -> bool:
    """Whether ``ref`` answers anything of a workstream in a period, when about ``share`` of
    people do (one person at a time; the seed picks the least busy ``share`` of a group)."""
    return _phi((busyness(ref, workstream_id, period) - 0.5) / _BUSY_SPREAD) < share


def answers_prompt(ref: str, asking_key: str, daily: bool) -> bool:
    """Whether someone taking part that period answers this prompt."""
    return unit("answers", asking_key, ref) < (ANSWERS_DAILY if daily else ANSWERS_PROMPT)


def stance(ref: str, workstream_id: str, question_id: str, asking_key: str) -> float:
    """Where ``ref`` stands on a question at one asking, as a standard normal number."""
    return (
        VIEW * normal("view", workstream_id, ref)
        + VIEW * normal("view", question_id, ref)
        + MOOD * normal("mood", asking_key, question_id, ref)
    )


def preference(ref: str, question_id: str, asking_key: str) -> float:
    """Which option ``ref`` leans to (0..1): mostly the same one each time."""
    lasting, mood = normal("prefers", question_id, ref), normal("leans", asking_key, ref)
    return _phi(0.9 * lasting + 0.44 * mood)


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _apportion(weights: Sequence[float], n: int) -> list[int]:
    """Split ``n`` people over ``weights`` by largest remainder."""
    total = sum(weights) or 1.0
    exact = [w / total * n for w in weights]
    counts = [math.floor(e) for e in exact]
    order = sorted(range(len(weights)), key=lambda i: counts[i] - exact[i])
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    return counts


def _enps_shares(score: float) -> tuple[float, float, float]:
    """Detractors, passives, promoters for an eNPS of ``score``."""
    promoters = max(0.0, (1 - PASSIVES + score / 100) / 2)
    detractors = max(0.0, (1 - PASSIVES - score / 100) / 2)
    passives = max(0.0, 1 - promoters - detractors)
    return detractors, passives, promoters


def _enps_value(group: int, s: float) -> int:
    if group == 0:
        return max(0, min(6, round(5.3 + 1.2 * s)))
    if group == 1:
        return 8 if s > 0.2 else 7
    return 10 if s > 1.2 else 9


def scale_values(mean: float, stances: Sequence[float], low: int = 1, high: int = 5) -> list[int]:
    """Scores for everyone who answered an asking, averaging ``mean`` to within 0.5 / n."""
    n = len(stances)
    if n == 0:
        return []
    total = min(max(round(mean * n), low * n), high * n)
    raw = [mean + SCALE_SPREAD * s for s in stances]

    def clamped(shift: float) -> list[float]:
        return [min(max(r + shift, low), high) for r in raw]

    below, above = -10.0, 10.0
    for _ in range(60):
        middle = (below + above) / 2
        if sum(clamped(middle)) < total:
            below = middle
        else:
            above = middle
    exact = clamped(above)
    values = [min(math.floor(v), high) for v in exact]
    order = sorted(range(n), key=lambda i: (values[i] - exact[i], -stances[i]))
    for i in order:
        if sum(values) >= total:
            break
        if values[i] < high:
            values[i] += 1
    return values


def yes_values(share: float, stances: Sequence[float], previous: float | None = None) -> list[bool]:
    """ "Yes" for the ``share`` of people with the highest stance, within ``YES_STEP`` (or one
    person, in a small group) of the ``previous`` asking's share."""
    n = len(stances)
    yes = round(share * n)
    if previous is not None and n:
        step = max(YES_STEP, 1 / n)
        lowest, highest = (
            math.ceil((previous - step) * n - 1e-9),
            math.floor((previous + step) * n + 1e-9),
        )
        if lowest <= highest:
            yes = min(max(yes, lowest), highest)
    ranked = sorted(range(len(stances)), key=lambda i: -stances[i])
    chosen = set(ranked[:yes])
    return [i in chosen for i in range(len(stances))]


def enps_values(score: float, stances: Sequence[float], previous: float | None = None) -> list[int]:
    """0-10 answers whose eNPS is ``score`` to within about one person, moved no further than
    ``ENPS_STEP`` from the ``previous`` asking's."""
    if previous is not None:
        score = min(max(score, previous - ENPS_STEP), previous + ENPS_STEP)
    counts = _apportion(_enps_shares(score), len(stances))
    ranked = sorted(range(len(stances)), key=lambda i: stances[i])
    values = [0] * len(stances)
    start = 0
    for group, count in enumerate(counts):
        for i in ranked[start : start + count]:
            values[i] = _enps_value(group, stances[i])
        start += count
    return values


def choice_values(weights: Sequence[float], preferences: Sequence[float]) -> list[int]:
    """An option index per person, in proportion to ``weights``, by each one's preference."""
    counts = _apportion(weights, len(preferences))
    ranked = sorted(range(len(preferences)), key=lambda i: preferences[i])
    values = [0] * len(preferences)
    start = 0
    for option, count in enumerate(counts):
        for i in ranked[start : start + count]:
            values[i] = option
        start += count
    return values


def values_for_asking(
    subject: Subject,
    options: Sequence[str],
    progress: float,
    day: date,
    stances: Sequence[float],
    preferences: Sequence[float],
    previous: float | None = None,
) -> list[str]:
    """Everyone's answer to one question of one asking, as the values a click would send;
    ``previous`` is the figure of the asking before (share of yes, or eNPS), to drift from."""
    if subject.kind == "scale":
        return [str(v) for v in scale_values(scale_mean(subject, progress, day), stances)]
    if subject.kind == "enps":
        score = enps_score(subject, progress, day)
        return [str(v) for v in enps_values(score, stances, previous)]
    if subject.kind == "yes_no":
        yes = yes_values(yes_share(subject, progress, day), stances, previous)
        return ["yes" if v else "no" for v in yes]
    if subject.kind == "choice" and options:
        picks = choice_values(choice_weights(subject, progress), preferences)
        return [options[i] for i in picks]
    return ["" for _ in stances]


def value_for_one(
    subject: Subject,
    options: Sequence[str],
    progress: float,
    day: date,
    s: float,
    leaning: float,
) -> str:
    """One person's answer, drawn alone from the same stance against the same level."""
    if subject.kind == "scale":
        return str(min(5, max(1, round(scale_mean(subject, progress, day) + SCALE_SPREAD * s))))
    if subject.kind == "enps":
        shares = _enps_shares(enps_score(subject, progress, day))
        u, edge, group = _phi(s), 0.0, 2
        for index, share in enumerate(shares):
            edge += share
            if u < edge:
                group = index
                break
        return str(_enps_value(group, s))
    if subject.kind == "yes_no":
        return "yes" if _phi(s) > 1 - yes_share(subject, progress, day) else "no"
    if subject.kind == "choice" and options:
        weights = choice_weights(subject, progress)
        edge, total = 0.0, sum(weights) or 1.0
        for option, weight in zip(options, weights, strict=False):
            edge += weight / total
            if leaning < edge:
                return option
        return options[-1]
    return ""


def figure_of(kind: str, values: Sequence[str]) -> float | None:
    """What a digest shows for these answers, as the next asking drifts from it: the share of
    "yes", or the eNPS; None for other kinds."""
    if not values:
        return None
    if kind == "yes_no":
        return sum(v == "yes" for v in values) / len(values)
    if kind == "enps":
        scores = [int(v) for v in values]
        return 100 * (sum(v >= 9 for v in scores) - sum(v <= 6 for v in scores)) / len(scores)
    return None


def tone_for(kind: str, value: str, s: float, draw: float) -> Tone:
    """The tone of a comment that goes with ``value``: a low score brings a negative one."""
    if kind == "scale" and value.isdigit():
        score = int(value)
        if score <= 2:
            return "negative"
        if score == 3:
            return "negative" if draw < 0.35 else "neutral"
        if score == 4:
            return "positive" if draw < 0.55 else "neutral"
        return "positive" if draw < 0.85 else "neutral"
    if kind == "enps" and value.isdigit():
        score = int(value)
        if score <= 6:
            return "negative" if draw < 0.8 else "neutral"
        if score <= 8:
            return "positive" if draw < 0.25 else "negative" if draw > 0.85 else "neutral"
        return "positive" if draw < 0.85 else "neutral"
    if kind == "yes_no":
        if value == "yes":
            return "positive" if draw < 0.55 else "neutral"
        return "negative" if draw < 0.5 else "neutral"
    return "positive" if s > 0.6 else "negative" if s < -0.6 else "neutral"


def talkative(ref: str) -> float:
    """How much more (or less) than others ``ref`` writes comments: 0.5 to 1.5."""
    return 0.5 + unit("talkative", ref)


def comment_rate(program: Program, workstream_id: str, question_id: str) -> float:
    """How often people comment on a question (never on the built-in banks): more in a pilot,
    which is asked for its feedback, and more on a monthly question than on a weekly one."""
    workstream = program.workstream(workstream_id)
    if workstream is None:
        return 0.0
    rate = COMMENT_RATE.get(workstream.phase, 0.3)
    question = next((q for q in workstream.questions if q.id == question_id), None)
    if question is not None and question.schedule.cadence == "monthly":
        rate *= MONTHLY_COMMENTS
    return rate


def comments(ref: str, key: str, rate: float) -> bool:
    """Whether ``ref`` adds a comment at this asking, given the workstream's comment rate."""
    return unit("comments", key, ref) < min(0.95, rate * talkative(ref))


def _favourite(themes: Sequence[str], workstream_id: str, ref: str, key: str) -> str | None:
    if not themes:
        return None
    talked_about = TALK_OF_THE_TEAM.get(workstream_id)
    if talked_about in themes and unit("talks about", key, ref) < TALKED_ABOUT:
        return talked_about
    if unit("sticks to", key, ref) < FAVOURITE_THEME:
        return themes[int(unit("favourite", workstream_id, ref) * len(themes))]
    return themes[int(unit("theme", key, ref) * len(themes))]


def comment_text(workstream_id: str, question_id: str, tone: Tone, ref: str, key: str) -> str:
    """A comment in the workstream's voice, of ``tone``, that fits ``question_id``."""
    voices = voices_of(workstream_id)
    theme = _favourite(list(voices.themes), workstream_id, ref, key)
    lines = (
        voices.comments_for(question_id, tone, theme)
        or voices.comments_for(question_id, tone)
        or GENERIC.comments_for(question_id, tone)
    )
    return lines[int(unit("line", key, ref) * len(lines))].text


def comment_for(
    workstream_id: str, question_id: str, kind: str, value: str, s: float, ref: str, key: str
) -> str:
    """The comment ``ref`` adds to ``value``, in the tone that value brings."""
    tone = tone_for(kind, value, s, unit("tone", key, ref))
    return comment_text(workstream_id, question_id, tone, ref, key)


def text_answer(workstream_id: str, question_id: str, ref: str, key: str) -> str:
    """A free-text answer that fits the question, mostly about the person's favourite theme."""
    lines = text_answers(workstream_id, question_id)
    themes = list(dict.fromkeys(line.theme for line in lines))
    theme = _favourite(themes, workstream_id, ref, key)
    chosen = [line for line in lines if line.theme == theme] or list(lines)
    return chosen[int(unit("answer", key, ref) * len(chosen))].text
