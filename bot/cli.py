"""The ``learnpulse`` command line. Exit 0 on success, 2 on bad input with a one-line reason."""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from sqlalchemy import func
from sqlmodel import select

from bot.settings import Settings, SettingsError, load_settings
from storage.tables import Delivery, DeliveryStatus
from surveys.occurrences import Asking, open_now
from surveys.program import Program, Workstream
from surveys.program_file import ProgramError, load_program
from surveys.sender import SendReport

if TYPE_CHECKING:
    from bot.app import LearnPulse

app = typer.Typer(
    help="LearnPulse: a culture-of-learning feedback loop in Slack and Teams.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(
    help="Database maintenance.", no_args_is_help=True, pretty_exceptions_enable=False
)
app.add_typer(db_app, name="db")
people_app = typer.Typer(
    help="People's attributes (department, location …) from a CSV file.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(people_app, name="people")

ProgramOption = Annotated[
    Path | None,
    typer.Option("--program", "-p", help="Program file (default: $LEARNPULSE_PROGRAM)."),
]


def fail(message: str) -> NoReturn:
    """Print one line to stderr and exit 2."""
    typer.echo(f"learnpulse: {message}", err=True)
    raise typer.Exit(2)


def not_built(command: str, issue: str) -> NoReturn:
    fail(f"'{command}' is not available yet: it arrives with the {issue} work")


def settings_or_exit(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        fail(str(exc))


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


def program_or_exit(path: Path) -> Program:
    """The program file, or every problem printed as FILE:LINE: message and exit 2."""
    try:
        return load_program(path)
    except ProgramError as exc:
        for line in exc.problems:
            typer.echo(line, err=True)
        raise typer.Exit(2) from None


def running_core(settings: Settings) -> LearnPulse:
    """The app as ``serve`` builds it (database migrated, program loaded, adapters on), or one
    line and exit 2."""
    from bot.server import StartupError, prepare

    configure_logging()
    try:
        core, _web_app = prepare(settings, settings.learnpulse_program)
    except StartupError as exc:
        fail(str(exc))
    return core


def workstream_or_exit(program: Program, workstream_id: str) -> Workstream:
    chosen = program.workstream(workstream_id)
    if chosen is None:
        known = ", ".join(w.id for w in program.workstreams)
        fail(f"no workstream {workstream_id!r} (known: {known})")
    return chosen


@app.command()
def validate(file: Annotated[Path, typer.Argument(help="The program file to check.")]) -> None:
    """Check a program file; print every problem as FILE:LINE: message."""
    try:
        program = load_program(file)
    except ProgramError as exc:
        for line in exc.problems:
            typer.echo(line, err=True)
        raise typer.Exit(2) from None
    questions = sum(len(w.questions) for w in program.workstreams)
    typer.echo(f"{file}: ok ({len(program.workstreams)} workstreams, {questions} questions)")


@app.command()
def serve(program: ProgramOption = None) -> None:
    """Run the bot: one HTTP server for Slack, Teams, /healthz and /metrics."""
    from bot.server import run_server

    configure_logging()
    settings = settings_or_exit()
    run_server(settings, program or settings.learnpulse_program)


@app.command()
def demo(program: ProgramOption = None) -> None:
    """Run the bot locally with a browser playground instead of Slack or Teams.

    A fresh SQLite file (demo-data/learnpulse-demo.db) on every start, seeded with a few weeks
    of synthetic answers; open the printed URL and pick who you are.
    """
    from adapters.local.demo import demo_settings, run_demo

    configure_logging()
    chosen = program or settings_or_exit().learnpulse_program
    try:
        load_program(chosen)
    except ProgramError as exc:
        for line in exc.problems:
            typer.echo(line, err=True)
        raise typer.Exit(2) from None
    try:
        settings = demo_settings()
    except SettingsError as exc:
        fail(str(exc))
    run_demo(settings, chosen)


@app.command()
def send(
    workstream: Annotated[str, typer.Argument(help="Workstream id.")],
    question: Annotated[
        str | None,
        typer.Argument(help="Question id (without it: what each question would reach)."),
    ] = None,
) -> None:
    """Ask one question now and deliver it through the configured adapters."""
    import asyncio

    from surveys import adhoc
    from surveys.occurrences import find_asking

    settings = settings_or_exit()
    program = program_or_exit(settings.learnpulse_program)
    chosen = workstream_or_exit(program, workstream)
    known = [q.id for q in chosen.questions]
    if question is not None and question not in known:
        fail(f"no question {question!r} in {workstream} (known: {', '.join(known)})")
    core = running_core(settings)
    if not core.adapters:
        fail("no chat adapter is enabled: set the Slack or Teams settings (see README)")
    if question is None:
        for preview in asyncio.run(adhoc.preview(core, workstream)):
            typer.echo(f"{preview.asking.question_id or preview.asking.bank}: would prompt "
                       f"{preview.will_prompt} people ({preview.already_open} have it open, "
                       f"{preview.over_budget} at their weekly limit)")  # fmt: skip
        fail(f"name the question to ask: learnpulse send {workstream} QUESTION")
    asking = find_asking(core.require_program(), workstream, question)
    assert asking is not None
    still = adhoc.still_open(core, asking)
    if still is not None:
        asked, closes = f"{still.asked_at:%Y-%m-%d %H:%M}", f"{still.closes:%Y-%m-%d %H:%M}"
        typer.echo(f"{question} was asked at {asked} UTC and is open until {closes} UTC: "
                   "nothing new was sent")  # fmt: skip
        return
    report = asyncio.run(send_now(core, asking))
    typer.echo(
        f"sent {report.sent}, waiting {report.retried}, failed {report.failed}, "
        f"skipped {report.skipped}, missed {report.missed}"
    )


@app.command()
def digest(workstream: Annotated[str, typer.Argument(help="Workstream id.")]) -> None:
    """Post a workstream's digest now to its digest_to."""
    import asyncio

    from bot.reporting import post_digest

    settings = settings_or_exit()
    chosen = workstream_or_exit(program_or_exit(settings.learnpulse_program), workstream)
    core = running_core(settings)
    if not core.adapters.serves(chosen.digest_to):
        fail(f"no chat adapter is enabled for {chosen.digest_to}: set its settings (see README)")
    posted = asyncio.run(post_digest(core, workstream))
    if not posted.posted:
        fail(f"the digest was not posted: {posted.reason}")
    typer.echo(f"posted the {workstream} digest to {posted.destination}")


@app.command()
def review(
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the HTML report here (default: post only).")
    ] = None,
) -> None:
    """Post the program review report and write it as HTML."""
    import asyncio

    from bot.reporting import post_review, review_html

    core = running_core(settings_or_exit())
    program = core.require_program()
    if out_file is None and (program.review is None or not core.adapters.serves(program.review.to)):
        fail("nowhere to post the review (no review.to with an enabled adapter): use --out FILE")
    if out_file is not None:
        try:
            out_file.write_text(review_html(core), encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {out_file}: {exc.strerror}")
        typer.echo(f"wrote the review to {out_file}")
    if program.review is not None and core.adapters.serves(program.review.to):
        posted = asyncio.run(post_review(core))
        if not posted.posted:
            fail(f"the review was not posted: {posted.reason}")
        typer.echo(f"posted the review to {posted.destination}")


@app.command()
def export(
    format: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Export answers, honouring the privacy mode."""
    from bot.app import LearnPulse
    from surveys.export import FORMATS, write

    if format not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not {format!r}")
    settings = settings_or_exit()
    try:
        core = LearnPulse(settings)
        core.load_program()
    except SettingsError as exc:
        fail(str(exc))
    except ProgramError as exc:
        fail("the program file was refused: " + "; ".join(exc.problems))
    except Exception as exc:
        fail(f"DATABASE_URL: cannot open the database ({exc.__class__.__name__}: {exc})")
    if out_file is None:
        count = write(core, sys.stdout, format)
    else:
        try:
            with out_file.open("w", encoding="utf-8", newline="") as handle:
                count = write(core, handle, format)
        except OSError as exc:
            fail(f"cannot write {out_file}: {exc.strerror}")
        typer.echo(f"exported {count} answers to {out_file}", err=True)
    core.engine.dispose()


@app.command("teams-package")
def teams_package(
    out_file: Annotated[Path, typer.Option("--out", help="The zip to write.")],
    app_id: Annotated[
        str | None, typer.Option("--app-id", help="The bot's app id (default: $TEAMS_APP_ID).")
    ] = None,
) -> None:
    """Build the Teams app package (manifest + icons) with the app id filled in."""
    from adapters.teams.package import PackageError, build_package

    chosen = app_id or settings_or_exit().teams_app_id
    if not chosen:
        fail("TEAMS_APP_ID: not set; pass --app-id or set TEAMS_APP_ID to the Azure Bot's app id")
    try:
        written = build_package(chosen, out_file)
    except PackageError as exc:
        fail(str(exc))
    typer.echo(f"{written}: Teams app package for app id {chosen}")


@people_app.command("import")
def people_import(
    file: Annotated[Path, typer.Argument(help="The CSV: a person column, then attributes.")],
    skip_unknown: Annotated[
        bool,
        typer.Option(
            "--skip-unknown", help="Import the rows that match someone in chat; count the rest."
        ),
    ] = False,
) -> None:
    """Store people's attributes from a CSV; print every problem as FILE:LINE: message."""
    from bot.ports import SendError
    from surveys.people_file import PeopleFileError, read_people_file
    from surveys.people_import import NoDirectory, import_people

    settings = settings_or_exit()
    try:
        read_people_file(file)  # a malformed file is refused before anything starts
    except PeopleFileError as exc:
        for line in exc.problems:
            typer.echo(line, err=True)
        raise typer.Exit(2) from None
    core = running_core(settings)
    try:
        report = asyncio.run(import_people(core, file, skip_unknown=skip_unknown))
    except PeopleFileError as exc:
        for line in exc.problems:
            typer.echo(line, err=True)
        raise typer.Exit(2) from None
    except NoDirectory as exc:
        fail(str(exc))
    except SendError as exc:
        fail(f"cannot look people up in chat: {exc.reason}")
    finally:
        core.engine.dispose()
    typer.echo(report.summary())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest revision."""
    from storage.db import make_engine
    from storage.migrate import upgrade

    settings = settings_or_exit()
    try:
        upgrade(make_engine(settings.database_url))
    except Exception as exc:
        fail(f"DATABASE_URL: cannot upgrade the database ({exc.__class__.__name__}: {exc})")
    typer.echo("database is at the latest revision")


# --- `learnpulse send`: ask now, and keep sending until nothing is due now -----------------
MAX_WAIT_SECONDS = 600.0
RETRY_HORIZON = timedelta(minutes=10)  # retries further away are left to the server's scheduler


async def send_now(core: LearnPulse, asking: Asking) -> SendReport:
    """Open, then send; retries that fall due within a few minutes (429s) are waited for."""
    assert asking.question_id is not None or asking.bank is not None
    item = asking.question_id or str(asking.bank)
    ttl = core.settings.learnpulse_audience_ttl
    await open_now(core, asking.workstream_id, item, "cli", audience_ttl=ttl)
    sender = core.due_work.sender
    total = SendReport()
    waited = 0.0
    while True:
        report = await sender.send_due()
        total.add(report)
        total.retried = report.retried
        wait = await asyncio.to_thread(_seconds_to_next_retry, core)
        if wait is None or waited + wait > MAX_WAIT_SECONDS:
            return total
        await asyncio.sleep(wait)
        waited += wait


def _seconds_to_next_retry(core: LearnPulse) -> float | None:
    now = core.clock.now()
    with core.session() as session:
        soonest = session.exec(
            select(func.min(Delivery.next_attempt_at)).where(
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.next_attempt_at <= now + RETRY_HORIZON,
            )
        ).one()
    if soonest is None:
        return None
    return max((soonest - now).total_seconds(), 0.05)


def main() -> None:
    app()
