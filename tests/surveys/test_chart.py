"""The trend chart: large enough to read in chat, its target labelled, each point with its
value and the people behind it, and nothing drawn for a withheld period."""

from __future__ import annotations

import struct

from surveys.chart import Series, trend_chart

LABELS = ("30 Oct", "06 Nov", "13 Nov", "20 Nov")
ASK = (
    "This week, the new learning platform made it easy to find the learning I needed, "
    "even for the courses I had never looked for before."
)


def _size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    return width, height


def test_each_point_carries_its_value_and_people_and_the_target_is_labelled() -> None:
    series = Series(ASK, [3.0, None, 3.5, 4.3], 4.0, 1, 5, people=[6, None, 12, 7])
    chart = trend_chart("LMS rollout: key measures", LABELS, [series])
    assert chart is not None
    assert chart.series[0].people == (6, None, 12, 7)
    assert chart.texts == (
        "LMS rollout: key measures",
        ASK,  # whole, wrapped in the image rather than cut
        "target 4.0",
        "3.0", "n=6",
        "3.5", "n=12",
        "4.3", "n=7",
    )  # fmt: skip
    width, height = _size(chart.png)
    assert width >= 800 and height >= 250  # 8.5 inches at 100 dpi: legible when shrunk


def test_percentages_and_enps_are_written_as_people_read_them() -> None:
    shares = Series("Do you know where to store customer data?", [38.0, 90.4], 90, 0, 100, "%",
                    people=[24, 31])  # fmt: skip
    enps = Series("Would you recommend it?", [-33.0, 14.0], 30, -100, 100, people=[7, 0])
    chart = trend_chart("Key measures", LABELS[:2], [shares, enps])
    assert chart is not None
    assert chart.texts[1:] == (
        "Do you know where to store customer data?", "target 90%", "38%", "n=24", "90%", "n=31",
        "Would you recommend it?", "target +30", "-33", "n=7", "+14",  # 0 people: no count
    )  # fmt: skip
    one = trend_chart("One", LABELS[:2], [enps])
    assert one is not None
    assert _size(chart.png)[1] > _size(one.png)[1]


def test_without_people_a_point_shows_its_value_only_and_nothing_shown_draws_nothing() -> None:
    chart = trend_chart("Key measures", LABELS[:2], [Series("Q?", [None, 2.0], None, 1, 5)])
    assert chart is not None and chart.texts == ("Key measures", "Q?", "2.0")
    assert trend_chart("Key measures", LABELS, [Series("Q?", [None] * 4, 4.0, 1, 5)]) is None


def test_half_a_year_of_weeks_keeps_every_value_and_count() -> None:
    weeks = [f"W{n:02d}" for n in range(26)]
    values = [None if n % 3 == 0 else 3.0 + n / 20 for n in range(26)]
    people = [None if v is None else 5 + n for n, v in enumerate(values)]
    chart = trend_chart("Six months", weeks, [Series("Q?", values, 4.0, 1, 5, people=people)])
    assert chart is not None
    expected = [t for v, n in zip(values, people, strict=True) if v is not None
                for t in (f"{v:.1f}", f"n={n}")]  # fmt: skip
    assert list(chart.texts[3:]) == expected
