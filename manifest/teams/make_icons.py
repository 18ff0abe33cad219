"""Draw the Teams app icons: a 192x192 colour icon and a 32x32 white-on-transparent outline.

Run from anywhere: ``python manifest/teams/make_icons.py``; the PNGs are written next to this
file. Teams requires exactly these sizes, and the outline icon to be white on transparent.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
ACCENT = (58, 110, 165, 255)  # #3A6EA5, the manifest's accentColor
WHITE = (255, 255, 255, 255)

# A heartbeat line rising to the right: the pulse of learning. Points in a 0..1 box.
PULSE = [
    (0.08, 0.62),
    (0.30, 0.62),
    (0.40, 0.40),
    (0.52, 0.78),
    (0.64, 0.30),
    (0.74, 0.55),
    (0.92, 0.55),
]


def _points(size: int, margin: float) -> list[tuple[float, float]]:
    span = size * (1 - 2 * margin)
    return [(size * margin + x * span, size * margin + y * span) for x, y in PULSE]


def color_icon(size: int = 192) -> Image.Image:
    image = Image.new("RGBA", (size, size), ACCENT)
    draw = ImageDraw.Draw(image)
    draw.line(_points(size, 0.06), fill=WHITE, width=size // 14, joint="curve")
    dot = size * 0.06
    x, y = _points(size, 0.06)[-1]
    draw.ellipse((x - dot, y - dot, x + dot, y + dot), fill=WHITE)
    return image


def outline_icon(size: int = 32) -> Image.Image:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line(_points(size, 0.02), fill=WHITE, width=2, joint="curve")
    return image


def main() -> None:
    color_icon().save(HERE / "color.png", optimize=True)
    outline_icon().save(HERE / "outline.png", optimize=True)


if __name__ == "__main__":
    main()
