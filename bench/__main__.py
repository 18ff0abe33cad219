"""Run every benchmark module in this folder with ``--quick`` (``make bench``)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

here = Path(__file__).parent
failed = 0
for module in sorted(
    m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_")
):
    print(f"== bench.{module}", flush=True)
    result = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", "--quick", *sys.argv[1:]], check=False
    )
    failed += result.returncode != 0
sys.exit(1 if failed else 0)
