"""References inside report text: found whole, named by the caller, the sentence kept."""

from __future__ import annotations

from surveys.references import described, name_references


def bracketed(ref: str) -> str:
    return f"[{ref}]"


def test_each_reference_in_a_sentence_is_named_and_its_punctuation_kept() -> None:
    text = (
        "Posted the lms digest to slack:channel:C0LMSLEAD1. Asked slack:U0LEAD0001, "
        "teams:86022fb8-fba3-4628-a19b-c2495810d356 and local:person-01; "
        "(teams:channel:19:abc123@thread.tacv2)"
    )
    assert name_references(text, bracketed) == (
        "Posted the lms digest to [slack:channel:C0LMSLEAD1]. Asked [slack:U0LEAD0001], "
        "[teams:86022fb8-fba3-4628-a19b-c2495810d356] and [local:person-01]; "
        "([teams:channel:19:abc123@thread.tacv2])"
    )


def test_what_only_looks_like_a_reference_is_left_alone() -> None:
    for text in (
        "slack:Uabc is not an id",
        "see https://example.com/slack:U0LEAD0001",
        "mail@slack:U0LEAD0001",
        "teams:not-a-guid",
    ):
        assert name_references(text, bracketed) == text


def test_a_reference_in_words_has_no_id() -> None:
    assert described("teams:channel:19:abc@thread.tacv2") == "a Teams channel"
    assert described("slack:U0LEAD0001") == "a Slack user"
    assert described("slack:group:S0123ABC") == "a Slack user group"
