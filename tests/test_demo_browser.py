"""``learnpulse demo`` in a real browser: an employee answers, the lead's digest counts it, the
lead plans an action from the digest and the employee reads the announcement.

Drives Debian's Chromium (``/usr/bin/chromium``) through Playwright against the real demo
subprocess on a free loopback port. Screenshots of each page go to a temporary folder; run with
``LEARNPULSE_SCREENSHOTS=docs`` to refresh the ones the README shows (``docs/demo-*.png``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import EXAMPLE_PROGRAM, ROOT
from tests.support import MONDAY_MORNING, base_env, free_port, running_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PILOT = "slack:U04K7QP2M1"  # an lms pilot member in New York: asked Monday 10:00
LEAD = "slack:U0LEAD0001"  # the lms lead
ADMIN = "slack:U0ADMIN001"
ASKED = re.compile(r"\((\d+) of (\d+) people asked\)")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]


@pytest.fixture
def demo_url(tmp_path: Path) -> Iterator[str]:
    """``learnpulse demo`` running in a scratch folder (its demo-data/ goes there)."""
    port = free_port()
    env = base_env(MONDAY_MORNING, PORT=str(port), PYTHONPATH=str(ROOT))
    log = tmp_path / "demo.log"
    demo = ["demo", "--program", str(EXAMPLE_PROGRAM)]
    with log.open("w") as output, running_server(demo, env, port, 60, tmp_path, output):
        yield f"http://127.0.0.1:{port}/"
    assert (tmp_path / "demo-data" / "learnpulse-demo.db").exists()
    printed = log.read_text()
    assert f"LearnPulse demo is running: open http://127.0.0.1:{port}/" in printed
    assert "Traceback" not in printed


def _screenshots(tmp_path: Path) -> Path:
    chosen = os.environ.get("LEARNPULSE_SCREENSHOTS")
    folder = (ROOT / chosen) if chosen else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_an_employee_answers_the_lead_sees_it_counted_and_plans_an_action(
    demo_url: str, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    shots = _screenshots(tmp_path)

    def as_person(page: Page, ref: str) -> None:
        page.locator(f'nav a[data-ref="{ref}"]').click()
        expect(page.get_by_test_id("me")).to_be_visible()

    def digest_count(page: Page) -> tuple[int, int]:
        page.get_by_label("command", exact=True).fill("/learning-digest lms")
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_test_id("reply")).to_contain_text("Posted the lms digest")
        newest = page.get_by_test_id("channel").first.get_by_test_id("report").last
        found = ASKED.search(newest.inner_text())
        assert found, newest.inner_text()
        return int(found.group(1)), int(found.group(2))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(demo_url)
            expect(page).to_have_title(re.compile("LearnPulse"))
            expect(page.get_by_role("heading", name="LearnPulse", exact=True)).to_be_visible()
            expect(page.get_by_test_id("clock")).to_contain_text("Mon")
            page.screenshot(path=shots / "demo-start.png")

            # Picked in the page, the pilot member is left alone by the simulated colleagues.
            as_person(page, PILOT)
            # Monday 09:55 -> 10:55: the weekly lms key measure reaches the pilot group.
            page.get_by_role("button", name="+1 hour").click()
            expect(page.get_by_test_id("happened")).to_contain_text("prompts sent")

            as_person(page, LEAD)
            before, asked = digest_count(page)

            as_person(page, PILOT)
            card = page.locator(
                '[data-testid="prompt"]:has([data-question="lms-find-what-i-need"])'
            )
            expect(card).to_be_visible()
            card.get_by_label("comment", exact=True).fill(
                "Finding courses is much easier now, search works well."
            )
            card.get_by_role("button", name="4 · High").click()
            answered = page.locator(
                '[data-testid="prompt"]:has([data-question="lms-find-what-i-need"])'
            )
            expect(answered.get_by_test_id("recorded")).to_contain_text("4 · High")
            page.screenshot(path=shots / "demo-employee.png", full_page=True)

            as_person(page, LEAD)
            after, asked_after = digest_count(page)
            assert (after, asked_after) == (before + 1, asked)
            expect(page.get_by_test_id("channel").first.locator("img.chart").last).to_be_visible()
            page.screenshot(path=shots / "demo-lead.png", full_page=True)

            # Closing the loop: the lead plans an action from the digest's button, with its form.
            page.set_viewport_size({"width": 1280, "height": 1000})
            channel = page.get_by_test_id("channel").first
            scheduled = channel.locator("details.message.older").first  # last week's digest
            scheduled.locator("summary").click()
            opened = scheduled.get_by_test_id("report")
            expect(opened).to_contain_text("Actions on this feedback")
            expect(opened).to_contain_text("since:")
            expect(opened.get_by_role("button", name=re.compile("^Reply"))).not_to_have_count(0)
            opened.screenshot(path=shots / "demo-lead-actions.png")
            digest = channel.get_by_test_id("report").last
            expect(digest).to_contain_text("Actions on this feedback")
            digest.get_by_role("button", name="Plan an action").click()
            form = page.get_by_test_id("reply").get_by_test_id("form")
            expect(form).to_be_visible()
            form.get_by_label("What we are doing").fill("Course search clinic, Tuesdays 11:00")
            form.get_by_label("About which question").select_option("lms-find-what-i-need")
            form.get_by_label("Due date").fill("2026-12-22")
            page.get_by_test_id("ephemeral").screenshot(path=shots / "demo-plan-action.png")
            form.get_by_role("button", name="Record and announce").click()
            expect(page.get_by_test_id("reply")).to_contain_text("announced to")

            as_person(page, PILOT)
            announcement = page.get_by_test_id("announcement").last
            expect(announcement).to_contain_text("Course search clinic, Tuesdays 11:00")
            expect(announcement.get_by_role("button")).to_have_count(0)
            announcement.scroll_into_view_if_needed()
            page.screenshot(path=shots / "demo-announcement.png")

            as_person(page, ADMIN)
            page.get_by_label("command", exact=True).fill("/learning-status")
            page.get_by_role("button", name="Send").click()
            expect(page.get_by_test_id("reply")).to_be_visible()
            page.set_viewport_size({"width": 1400, "height": 1300})
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=shots / "demo-admin.png")
        finally:
            browser.close()
