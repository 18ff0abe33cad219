"""``learnpulse demo`` refuses a bad program the way ``validate`` does, before creating anything."""

from __future__ import annotations

from pathlib import Path

from tests.factories import EXAMPLE_PROGRAM, ROOT
from tests.support import MONDAY_MORNING, base_env, run_bot


def test_a_bad_program_is_refused_with_its_lines_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE_PROGRAM.read_text().replace("kind: enps", "kind: stars", 1))
    env = base_env(MONDAY_MORNING, PYTHONPATH=str(ROOT))
    result = run_bot("demo", "--program", str(bad), env=env, cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert f"{bad}:" in result.stderr and "'stars' is not one of" in result.stderr
    assert not (tmp_path / "demo-data").exists()
