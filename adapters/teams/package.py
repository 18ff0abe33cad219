"""The Teams app package: ``manifest/teams`` with the bot's app id filled in, zipped.

Teams admins upload this zip (manifest.json, color.png and outline.png at the zip root).
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

MANIFEST_DIR = Path(__file__).resolve().parents[2] / "manifest" / "teams"
ICONS = ("color.png", "outline.png")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class PackageError(ValueError):
    """The package cannot be built; the message is one line for the operator."""


def filled_manifest(app_id: str, manifest_dir: Path = MANIFEST_DIR) -> dict[str, Any]:
    """The manifest with ``app_id`` as the Teams app id and the bot id."""
    if not _GUID.match(app_id):
        raise PackageError(
            f"the app id must be a GUID (the Azure Bot's Microsoft App ID): {app_id!r}"
        )
    try:
        manifest: dict[str, Any] = json.loads((manifest_dir / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise PackageError(f"cannot read {manifest_dir / 'manifest.json'}: {exc}") from None
    manifest["id"] = app_id
    for bot in manifest.get("bots", []):
        bot["botId"] = app_id
    if "webApplicationInfo" in manifest:
        manifest["webApplicationInfo"]["id"] = app_id
    return manifest


def build_package(app_id: str, out_file: Path, manifest_dir: Path = MANIFEST_DIR) -> Path:
    """Write the zip Teams admins upload; returns its path."""
    manifest = filled_manifest(app_id, manifest_dir)
    missing = [icon for icon in ICONS if not (manifest_dir / icon).is_file()]
    if missing:
        raise PackageError(f"missing icon(s) in {manifest_dir}: {', '.join(missing)}")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out_file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        for icon in ICONS:
            archive.write(manifest_dir / icon, arcname=icon)
    return out_file
