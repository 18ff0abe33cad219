"""The docs a newcomer reads: a short README that names every setting, and links that lead
somewhere.

Links are checked the way GitHub renders them: a relative link must name a file or folder of the
repository, and a ``#fragment`` must be the slug of a heading of the file it points into.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MAX_README_LINES = 200
DOCS = sorted([README, ROOT / "bench" / "RESULTS.md", *(ROOT / "docs").glob("*.md")])

_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _prose_lines(path: Path) -> list[str]:
    """The lines of a Markdown file outside fenced code blocks."""
    lines, fenced = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[`*_]{2,}|`", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(found.group(1)) for line in _prose_lines(path) if (found := _HEADING.match(line))}


def relative_links(path: Path) -> list[str]:
    return [
        target
        for line in _prose_lines(path)
        for target in _LINK.findall(line)
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target)  # http:, https:, mailto: …
    ]


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    """Relative links of ``path`` to nothing inside ``root``, or to a heading that is not there."""
    broken = []
    for target in relative_links(path):
        file_part, _, fragment = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists() or root not in (linked, *linked.parents):
            broken.append(f"{target} (no such file in the repository)")
        elif fragment and linked.suffix == ".md" and fragment not in anchors(linked):
            broken.append(f"{target} (no heading #{fragment} in {linked.name})")
    return broken


def test_the_readme_is_short() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES


def test_the_quickstart_is_the_two_make_commands() -> None:
    text = README.read_text(encoding="utf-8")
    quickstart = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^(make \w+)", quickstart, flags=re.MULTILINE)
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, flags=re.MULTILINE)
    assert re.search(r"^test:", makefile, flags=re.MULTILINE)


def test_the_configuration_table_names_every_setting() -> None:
    text = README.read_text(encoding="utf-8")
    table = text.split("### Configuration", 1)[1].split("\n#", 1)[0]
    named = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    settings = {str(field.alias) for field in Settings.model_fields.values()}
    assert settings - named == set()


@pytest.mark.parametrize("path", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_leads_somewhere(path: Path) -> None:
    assert broken_links(path) == []


def test_a_broken_link_or_anchor_is_found(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (tmp_path / "outside.md").write_text("# Outside\n", encoding="utf-8")
    (root / "docs" / "layers.md").write_text("# The layers\n\n## One `click`\n", encoding="utf-8")
    draft = root / "docs" / "draft.md"
    draft.write_text(
        "# Draft\n\n[ok](layers.md#the-layers) [ok](layers.md#one-click) [ok](#draft)\n"
        "[gone](nowhere.md) [wrong](layers.md#no-such-heading)\n"
        "```\n[in code](ignored.md)\n```\n[out](../../outside.md) [web](https://example.com)\n",
        encoding="utf-8",
    )
    assert broken_links(draft, root) == [
        "nowhere.md (no such file in the repository)",
        "layers.md#no-such-heading (no heading #no-such-heading in layers.md)",
        "../../outside.md (no such file in the repository)",
    ]


def test_slugs_follow_github() -> None:
    assert slug("Sending within Slack's limits") == "sending-within-slacks-limits"
    assert slug("Reaching people (proactive install)") == "reaching-people-proactive-install"
    assert slug("One request: a Slack answer click") == "one-request-a-slack-answer-click"
    assert slug("hostile_load") == "hostile_load"
    assert slug("The `people:` key") == "the-people-key"
