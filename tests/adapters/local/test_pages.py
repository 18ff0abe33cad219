"""The playground's pages through aiohttp's test client, on the real database and engine."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from sqlmodel import select

from adapters.local import PLAYGROUND
from adapters.local.adapter import LocalAdapter
from adapters.local.pages import parse_command
from adapters.local.seed import seed_history
from bot.app import LearnPulse, run_due_work
from bot.clock import ManualClock
from storage.tables import Answer

PILOT = "slack:U04K7QP2M1"  # first pilot member of the lms workstream, in New York
LEAD = "slack:U0LEAD0001"
ADMIN = "slack:U0ADMIN001"
MONDAY_10_NEW_YORK = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def _found(pattern: str, page: str) -> str:
    """The first group of ``pattern``'s first match in ``page``; fails the test without one."""
    match = re.search(pattern, page)
    assert match is not None, pattern
    return match.group(1)


def _location_query(location: str) -> dict[str, str]:
    query = location.split("?", 1)[1].split("#", 1)[0]
    return dict(part.split("=", 1) for part in query.split("&"))


async def test_the_page_says_learnpulse_and_offers_every_kind_of_person(
    client: TestClient,
) -> None:
    response = await client.get("/")
    assert response.status == 200
    html = await response.text()
    assert "<title>LearnPulse</title>" in html
    for ref in (ADMIN, LEAD, PILOT):
        assert f'data-ref="{ref}"' in html
    assert "Mon 30 Nov 03:00" in html  # the demo clock, in the program's time zone


async def test_an_employee_answers_a_prompt_and_the_answer_is_stored(
    client: TestClient,
    core: LearnPulse,
    clock: ManualClock,
) -> None:
    clock.set(MONDAY_10_NEW_YORK)
    await run_due_work(core)  # the weekly lms key measure falls due at 10:00 New York time
    page = await (await client.get("/", params={"as": PILOT})).text()
    assert 'data-question="lms-find-what-i-need"' in page
    delivery_id = int(_found(r'name="delivery_id" value="(\d+)"', page))

    response = await client.post(
        "/play/answer",
        data={
            "as": PILOT,
            "delivery_id": str(delivery_id),
            "question_id": "lms-find-what-i-need",
            "value": "4",
            "comment": "Search works much better now.",
        },
        allow_redirects=False,
    )
    assert response.status == 303
    assert re.search(r"#m\d+$", response.headers["Location"])  # back at the answered card
    with core.session() as session:
        [answer] = session.exec(
            select(Answer).where(Answer.question_id == "lms-find-what-i-need")
        ).all()
    assert answer.value == "4"
    assert answer.respondent_key == core.vault.respondent_key(PILOT)
    assert answer.comment and "Search" not in answer.comment  # encrypted at rest
    assert answer.sentiment is not None and answer.sentiment > 0

    page = await (await client.get("/", params={"as": PILOT})).text()
    assert 'data-testid="recorded"' in page and "4 · High" in page
    assert "Change answer" in page


async def test_an_admin_command_gets_a_private_reply(
    client: TestClient,
) -> None:
    response = await client.post(
        "/play/command", data={"as": ADMIN, "text": "/learning-help"}, allow_redirects=False
    )
    assert response.status == 303
    token = _location_query(response.headers["Location"])["reply"]
    page = await (await client.get("/", params={"as": ADMIN, "reply": token})).text()
    assert 'data-testid="reply"' in page and "Only visible to you" in page
    assert "/learning-status" in page
    # shown once, and never to someone else
    again = await (await client.get("/", params={"as": ADMIN, "reply": token})).text()
    assert "Only visible to you" not in again


async def test_an_employee_is_refused_an_admin_command(
    client: TestClient,
) -> None:
    response = await client.post(
        "/play/command", data={"as": PILOT, "text": "/learning-review"}, allow_redirects=False
    )
    token = _location_query(response.headers["Location"])["reply"]
    assert (await (await client.get("/", params={"as": LEAD, "reply": token})).text()).count(
        "Only visible to you"
    ) == 0
    page = await (await client.get("/", params={"as": PILOT, "reply": token})).text()
    assert "not allowed" in page


async def test_a_lead_asks_for_a_digest_and_sees_it_in_their_channel(
    client: TestClient, core: LearnPulse
) -> None:
    await seed_history(core, weeks=2)  # past periods, so the chart has a trend to draw
    response = await client.post(
        "/play/command", data={"as": LEAD, "text": "/learning-digest lms"}, allow_redirects=False
    )
    assert response.status == 303
    page = await (await client.get("/", params={"as": LEAD})).text()
    assert "# lms-digest" in page
    assert 'data-testid="channel"' in page
    assert "Learning Management System rollout" in page
    assert 'src="data:image/png;base64,' in page  # the key-measure chart, inline


async def test_advancing_the_clock_runs_the_engine(
    client: TestClient,
    core: LearnPulse,
    clock: ManualClock,
) -> None:
    clock.set(MONDAY_10_NEW_YORK - timedelta(minutes=5))
    response = await client.post(
        "/play/advance", data={"as": PILOT, "hours": "1"}, allow_redirects=False
    )
    assert response.status == 303
    assert clock.now() == MONDAY_10_NEW_YORK + timedelta(minutes=55)
    page = await (await client.get("/", params={"as": PILOT})).text()
    assert 'data-question="lms-find-what-i-need"' in page
    assert "prompts sent" in page
    bad = await client.post("/play/advance", data={"as": PILOT, "hours": "5000"})
    assert bad.status == 400


async def test_forms_need_a_known_person(
    client: TestClient,
) -> None:
    response = await client.post("/play/command", data={"as": "slack:UNOBODY", "text": "/x"})
    assert response.status == 400


async def test_a_file_is_downloadable_by_its_owner_only(
    client: TestClient,
) -> None:
    playground = client.app[PLAYGROUND]
    adapter: LocalAdapter = playground.adapter
    await adapter.send_file(PILOT, "my-data.json", b'{"answers": []}', "Your data")
    page = await (await client.get("/", params={"as": PILOT})).text()
    link = _found(r'href="(/play/files/\d+)\?', page)
    own = await client.get(link, params={"as": PILOT})
    assert own.status == 200 and await own.read() == b'{"answers": []}'
    other = await client.get(link, params={"as": LEAD})
    assert other.status == 404


def test_commands_parse_with_or_without_the_slash() -> None:
    assert parse_command("/learning-digest  lms") == ("learning-digest", "lms")
    assert parse_command("learning-status") == ("learning-status", "")


async def test_an_employee_opens_their_home_and_can_pause_from_it(
    client: TestClient, core: LearnPulse, clock: ManualClock
) -> None:
    clock.set(MONDAY_10_NEW_YORK)
    await seed_history(core, weeks=2)  # an own trend to show, read in its own transaction
    await run_due_work(core)
    response = await client.post("/play/home", data={"as": PILOT}, allow_redirects=False)
    assert response.status == 303
    token = _location_query(response.headers["Location"])["reply"]
    page = await (await client.get("/", params={"as": PILOT, "reply": token})).text()
    assert "Open questions" in page and "Learning Management System rollout" in page
    assert 'value="snooze:7"' in page  # the home's own buttons are rendered as a form
    response = await client.post(
        "/play/action", data={"as": PILOT, "value": "snooze:7"}, allow_redirects=False
    )
    token = _location_query(response.headers["Location"])["reply"]
    page = await (await client.get("/", params={"as": PILOT, "reply": token})).text()
    assert "Paused" in page


async def test_replies_name_channels_as_the_playground_shows_them(client: TestClient) -> None:
    response = await client.post(
        "/play/command", data={"as": LEAD, "text": "/learning-digest lms"}, allow_redirects=False
    )
    token = _location_query(response.headers["Location"])["reply"]
    page = await (await client.get("/", params={"as": LEAD, "reply": token})).text()
    reply = page[page.index('data-testid="reply"') : page.index('id="chat"')]
    assert "Posted the lms digest to #lms-digest." in reply
    assert "C0LMSLEAD1" not in reply
    assert "<h2># lms-digest</h2>" in page
    response = await client.post(
        "/play/command", data={"as": ADMIN, "text": "/learning-review"}, allow_redirects=False
    )
    token = _location_query(response.headers["Location"])["reply"]
    page = await (await client.get("/", params={"as": ADMIN, "reply": token})).text()
    reply = page[page.index('data-testid="reply"') : page.index('id="chat"')]
    assert "Posted the review report to #program-review" in reply


async def test_a_zero_to_ten_question_is_labelled_at_both_ends(
    client: TestClient, core: LearnPulse, clock: ManualClock
) -> None:
    clock.set(MONDAY_10_NEW_YORK)
    await client.post(
        "/play/command",
        data={"as": LEAD, "text": "/learning-survey lms lms-recommend"},
        allow_redirects=False,
    )
    await run_due_work(core)
    page = await (await client.get("/", params={"as": PILOT})).text()
    start = page.index('data-question="lms-recommend"')
    item = page[start : page.index("</section>", start)]
    assert re.findall(r'name="value" value="(\d+)"', item) == [str(n) for n in range(11)]
    ends = re.search(r'data-testid="scale-ends">\s*<span>(.*?)</span>\s*<span>(.*?)</span>', item)
    assert ends is not None
    assert ends.groups() == ("0 = Not at all likely", "10 = Extremely likely")


async def test_a_choice_menu_starts_on_an_empty_placeholder_that_cannot_be_sent(
    client: TestClient, core: LearnPulse, clock: ManualClock
) -> None:
    clock.set(MONDAY_10_NEW_YORK)
    await client.post(
        "/play/command",
        data={"as": LEAD, "text": "/learning-survey lms lms-main-use"},
        allow_redirects=False,
    )
    await run_due_work(core)
    page = await (await client.get("/", params={"as": PILOT})).text()
    start = page.index('data-question="lms-main-use"')
    item = page[start : page.index("</section>", start)]
    select = re.search(r"<select name=\"value\"[^>]*>(.*?)</select>", item, re.S)
    assert select is not None and " required" in select.group(0).split(">")[0]
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", select.group(1))
    assert options[0] == (' value="" disabled selected', "Choose an answer…")
    assert [attrs for attrs, _ in options[1:]] == [
        f' value="{label}"' for _, label in options[1:]
    ]  # no option is selected
    assert len(options) == 6


async def test_headings_are_in_sentence_case_not_shouted_by_the_stylesheet(
    client: TestClient,
) -> None:
    css = await (await client.get("/static/local/playground.css")).text()
    assert "h4 {" in css and "text-transform" not in css
    page = await (await client.get("/", params={"as": ADMIN})).text()
    assert "<h3>Program admins</h3>" in page and "<h3>Workstream leads</h3>" in page


async def test_the_review_spans_the_page_overview_first_then_a_card_per_workstream(
    client: TestClient, core: LearnPulse
) -> None:
    await client.post(
        "/play/command", data={"as": ADMIN, "text": "/learning-review"}, allow_redirects=False
    )
    page = await (await client.get("/", params={"as": ADMIN})).text()
    wide = page.index('class="channel wide"')
    assert wide < page.index('<div class="columns')  # the whole width, not the side column
    review = page[wide : page.index('<div class="columns')]
    kinds = re.findall(r'<section class="(text|facts)">\s*<h4>([^<]*)</h4>', review)
    assert kinds[:2] == [("text", "Overview"), ("text", "Needs attention")]
    cards = [heading for kind, heading in kinds[2:] if kind == "facts"]
    names = [f"{w.name} ({w.phase})" for w in core.require_program().workstreams]
    assert cards[: len(names)] == names


CHROMIUM = Path("/usr/bin/chromium")
TEXT_EM_PER_CHARACTER = 0.5  # a system sans-serif's average character, for "110 characters"


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium")
async def test_the_review_reads_at_1280_and_1920_pixels(
    client: TestClient, core: LearnPulse
) -> None:
    from playwright.async_api import async_playwright

    await seed_history(core, weeks=2)
    await client.post(
        "/play/command", data={"as": ADMIN, "text": "/learning-review"}, allow_redirects=False
    )
    url = str(client.make_url("/")) + f"?as={ADMIN}"
    measure = """() => {
        const review = document.querySelector('.channel.wide .report');
        const cards = [...review.querySelectorAll('section.facts')];
        const text = [...review.querySelectorAll('p.summary, section.text li, dd')];
        return {
            overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
            columns: new Set(cards.map(c => Math.round(c.getBoundingClientRect().left))).size,
            widest: Math.max(...text.map(e => e.getBoundingClientRect().width
                / parseFloat(getComputedStyle(e).fontSize))),
            shouted: [...document.querySelectorAll('h1, h2, h3, h4')]
                .filter(h => getComputedStyle(h).textTransform !== 'none').length,
        };
    }"""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await page.goto(url)
            at_1280 = await page.evaluate(measure)
            await page.set_viewport_size({"width": 1920, "height": 1080})
            at_1920 = await page.evaluate(measure)
        finally:
            await browser.close()
    for seen, columns in ((at_1280, 2), (at_1920, 3)):
        assert seen["overflow"] == 0  # no horizontal scrolling
        assert seen["columns"] == columns  # workstreams side by side
        assert seen["widest"] / TEXT_EM_PER_CHARACTER <= 110  # lines of at most ~110 characters
        assert seen["shouted"] == 0


async def test_older_channel_posts_are_folded_to_one_line_the_newest_is_open(
    client: TestClient, core: LearnPulse, clock: ManualClock
) -> None:
    for _ in range(2):
        await client.post(
            "/play/command",
            data={"as": LEAD, "text": "/learning-digest lms"},
            allow_redirects=False,
        )
        clock.advance(timedelta(minutes=5))
    page = await (await client.get("/", params={"as": LEAD})).text()
    channel = page[page.index('data-testid="channel"') :]
    folded = re.findall(
        r'<details class="message older"[^>]*>\s*<summary>(.*?)</summary>', channel, re.S
    )
    assert len(folded) == 1 and "Learning Management System rollout: digest" in folded[0]
    newest = channel[channel.rindex("</details>") :]
    assert '<div class="message"' in newest and 'data-testid="report"' in newest
