"""Comment themes: the noun phrases of a comment, normalized, found on this server.

textblob's pattern tagger ships its lexicon inside the package, so tagging needs no corpus
download and no network (``TextBlob.noun_phrases`` would need NLTK data). A theme is a run of
nouns, with a gerund that modifies them ("mentoring sessions", "code review", "pair
programming"), or a lone gerund used as a noun ("more mentoring", "about onboarding"). It is
lowercased, its last word singularized when it was plural, trimmed of filler words ("need",
"thanks", "lot"), and dropped when what is left is a stop phrase ("time", "week", "learning")
or in the program's ``themes.ignore``; ``themes.synonyms`` then maps it to one name. Mentions
of people are scrubbed first, so a theme never carries an id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from textblob.en.inflect import singularize
from textblob.en.taggers import PatternTagger

from surveys.comments import scrub
from surveys.program import ThemeRules

MAX_THEMES = 5  # per comment: a long comment does not weigh more than a short one
MAX_WORDS = 3
NOUNS = frozenset({"NN", "NNS", "NNP", "NNPS"})
PLURALS = frozenset({"NNS", "NNPS"})
GERUND = "VBG"
# before a lone gerund, these make it a noun: "more mentoring", "about onboarding", "the testing"
NOUN_CONTEXT = frozenset({"DT", "JJ", "JJR", "JJS", "RBR", "IN", "PRP$", "CD", "TO"})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# words the tagger often takes for nouns but that name nothing a comment is about
FILLER_WORDS = _words(
    "need needs want wish hope love like thanks thank please lot lots bit kind sort loads ton "
    "tons way ways thing things stuff something anything everything nothing none someone "
    "everyone anyone nobody everybody somebody lol etc use one other others hard great having "
    "briefly end half step second"
)
STOP_PHRASES = _words(
    "time day days week weeks month months year years today yesterday tomorrow morning "
    "afternoon evening moment question answer comment feedback learning work job people person "
    "team company idea point fact case part place number n/a"
)
_WORD = re.compile(r"^[a-z][a-z'\-]*$")
_TAGGER = PatternTagger()


def normalized(phrase: str) -> str:
    """A phrase as written in the program file or a comment, lowercased and single-spaced."""
    return " ".join(phrase.lower().split())


def extract(comment: str, rules: ThemeRules | None = None) -> tuple[str, ...]:
    """The themes of ``comment``, in order of appearance, each once, at most ``MAX_THEMES``."""
    rules = rules or ThemeRules()
    ignored = {normalized(p) for p in rules.ignore}
    synonyms = {normalized(k): normalized(v) for k, v in rules.synonyms.items()}
    found: list[str] = []
    for phrase in _noun_phrases(scrub(comment)):
        theme = synonyms.get(phrase.written) or synonyms.get(phrase.text) or phrase.text
        if theme in STOP_PHRASES or theme in ignored or phrase.written in ignored:
            continue
        if theme not in found:
            found.append(theme)
        if len(found) == MAX_THEMES:
            break
    return tuple(found)


class _Phrase:
    """A noun phrase: ``written`` lowercased as in the comment, ``text`` normalized."""

    __slots__ = ("text", "written")

    def __init__(self, words: list[tuple[str, str]]) -> None:
        self.written = " ".join(word for word, _ in words)
        last, tag = words[-1]
        head = singularize(last) if tag in PLURALS and len(last) > 3 else last
        self.text = " ".join([*(word for word, _ in words[:-1]), head])


def _noun_phrases(text: str) -> Iterable[_Phrase]:
    tagged = [(word.lower(), tag) for word, tag in _TAGGER.tag(text)]
    run: list[tuple[str, str]] = []
    before = ""  # the tag before the current run
    for word, tag in [*tagged, ("", ".")]:
        if (tag in NOUNS or tag == GERUND) and _WORD.match(word) and word not in FILLER_WORDS:
            run.append((word, tag))
            continue
        phrase = _trimmed(run, before)
        if phrase:
            yield _Phrase(phrase)
        run, before = [], ("DT" if word in FILLER_WORDS else tag)


def _trimmed(run: list[tuple[str, str]], before: str) -> list[tuple[str, str]]:
    """A run of nouns and gerunds, cut to what names a thing."""
    while len(run) > 1 and run[-1][1] == GERUND:  # "code reviewing" is an action, not a thing
        run = run[:-1]
    if len(run) == 1 and run[0][1] == GERUND and before not in NOUN_CONTEXT:
        return []  # a verb ("we keep learning"), not a noun
    if any(len(word) < 2 for word, _ in run):
        return []
    return run[-MAX_WORDS:]
