"""The Teams app manifest is valid against Microsoft's v1.22 schema, lists exactly the commands
handled, and ``learnpulse teams-package`` builds the zip Teams admins upload."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any, cast

import jsonschema
import pytest
from PIL import Image

from adapters.teams.package import MANIFEST_DIR
from bot.commands.table import LISTED_NAMES
from tests.adapters.teams.activities import APP_ID
from tests.conftest import SHARED
from tests.factories import ROOT
from tests.support import MONDAY_MORNING, base_env, run_bot

SCHEMA = SHARED / "schemas" / "teams" / "MicrosoftTeams.schema.v1.22.json"


def validate(manifest: dict[str, Any]) -> list[str]:
    """Schema errors. The schema declares draft-04 but uses ``const`` (draft-06+), so it is
    checked with the draft-07 validator, which honours both; all its refs are local."""
    schema = json.loads(SCHEMA.read_text("utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(manifest)]


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((MANIFEST_DIR / "manifest.json").read_text("utf-8"))
    return loaded


def test_the_manifest_is_valid_against_the_v1_22_schema() -> None:
    assert validate(manifest()) == []
    assert manifest()["manifestVersion"] == "1.22"


def test_the_validation_does_catch_mistakes() -> None:
    broken = manifest()
    broken["manifestVersion"] = "1.21"
    broken["bots"][0]["scopes"] = ["everywhere"]
    del broken["icons"]
    problems = validate(broken)
    assert len(problems) == 3


def test_every_command_list_equals_the_commands_handled() -> None:
    (bot,) = manifest()["bots"]
    assert {scope for lst in bot["commandLists"] for scope in lst["scopes"]} == set(bot["scopes"])
    for command_list in bot["commandLists"]:
        assert [c["title"] for c in command_list["commands"]] == list(LISTED_NAMES)


def test_the_icons_have_the_sizes_teams_requires() -> None:
    color = Image.open(MANIFEST_DIR / "color.png")
    outline = Image.open(MANIFEST_DIR / "outline.png").convert("RGBA")
    assert color.size == (192, 192)
    assert outline.size == (32, 32)
    # Pillow types getpixel for every mode; an RGBA image gives (r, g, b, alpha)
    Rgba = tuple[int, int, int, int]
    pixels = [cast(Rgba, outline.getpixel((x, y))) for x in range(32) for y in range(32)]
    assert any(alpha == 0 for *_, alpha in pixels), "the outline icon must be transparent"
    assert all((r, g, b) == (255, 255, 255) for r, g, b, alpha in pixels if alpha > 0)


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_bot("teams-package", *args, env=base_env(MONDAY_MORNING, **env), cwd=tmp_path)


def test_teams_package_fills_in_the_app_id_and_zips_at_the_root(tmp_path: Path) -> None:
    out = tmp_path / "learnpulse-teams.zip"
    result = run_cli(tmp_path, "--out", str(out), TEAMS_APP_ID=APP_ID)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        packaged = json.loads(archive.read("manifest.json"))
        icon = Image.open(io.BytesIO(archive.read("color.png")))
    assert packaged["id"] == APP_ID and packaged["bots"][0]["botId"] == APP_ID
    assert validate(packaged) == []
    assert icon.size == (192, 192)


def test_the_app_id_option_wins_over_the_environment(tmp_path: Path) -> None:
    out = tmp_path / "pkg.zip"
    other = "11111111-2222-4333-8444-555555555555"
    result = run_cli(tmp_path, "--out", str(out), "--app-id", other, TEAMS_APP_ID=APP_ID)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as archive:
        assert json.loads(archive.read("manifest.json"))["id"] == other


@pytest.mark.parametrize(
    ("args", "expected"),
    [((), "TEAMS_APP_ID: not set"), (("--app-id", "not-a-guid"), "must be a GUID")],
)
def test_without_a_usable_app_id_it_exits_2_with_one_line(
    tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    out = tmp_path / "pkg.zip"
    result = run_cli(tmp_path, "--out", str(out), *args)
    assert result.returncode == 2
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_the_repository_root_holds_the_manifest() -> None:
    assert MANIFEST_DIR == ROOT / "manifest" / "teams"
