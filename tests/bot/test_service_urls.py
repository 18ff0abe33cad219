"""TEAMS_SERVICE_URLS entries and incoming serviceUrls are compared as URLs, not as text."""

from __future__ import annotations

import pytest

from bot.service_urls import parse_service_url, service_url_allowed
from bot.settings import DEFAULT_TEAMS_SERVICE_URLS, SettingsError, load_settings

EMULATOR = "http://localhost:5000"
REGIONAL = "https://smba.trafficmanager.net/amer/"


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:5000/",
        "http://localhost:5000",
        "http://LOCALHOST:5000/v3/conversations/",
        "http://localhost.:5000/",
    ],
)
def test_the_emulator_entry_covers_its_own_urls(url: str) -> None:
    assert service_url_allowed(url, [EMULATOR])


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:5000@evil.example/",  # user info: the host is evil.example
        "http://localhost:5000:pw@evil.example/",
        "http://localhost:50001/",  # another port that starts with the same digits
        "http://localhost:5000.evil.example/",
        "http://localhost/",  # port 80, not 5000
        "https://localhost:5000/",  # another scheme
        "http://localhost:5000\\@evil.example/",
        "http://localhost:5000/../../x",
        "http://localhost:5000/%2e%2e/x",
        "http://localhost:5000/?next=https://evil.example/",
        "http://localhost:5000/#x",
        "http://localhost:99999/",
        "ftp://localhost:5000/",
        "",
        None,
    ],
)
def test_nothing_else_matches_the_emulator_entry(url: str | None) -> None:
    assert not service_url_allowed(url, [EMULATOR])


def test_a_path_is_matched_on_a_segment_boundary() -> None:
    assert service_url_allowed("https://smba.trafficmanager.net/amer/", [REGIONAL])
    assert service_url_allowed("https://smba.trafficmanager.net/amer", [REGIONAL])
    assert service_url_allowed("https://smba.trafficmanager.net:443/amer/v3/", [REGIONAL])
    assert not service_url_allowed("https://smba.trafficmanager.net/americas/", [REGIONAL])
    assert not service_url_allowed("https://smba.trafficmanager.net/", [REGIONAL])
    no_slash = "https://smba.trafficmanager.net/amer"
    assert not service_url_allowed("https://smba.trafficmanager.net/amerx/", [no_slash])
    assert service_url_allowed("https://smba.trafficmanager.net/amer/x/", [no_slash])


def test_the_default_list_accepts_microsofts_hosts_only() -> None:
    allowed = load_settings(TEAMS_SERVICE_URLS=DEFAULT_TEAMS_SERVICE_URLS).service_url_prefixes
    assert service_url_allowed("https://smba.trafficmanager.net/emea/", allowed)
    assert not service_url_allowed("https://smba.trafficmanager.net.evil.example/", allowed)
    assert not service_url_allowed("https://smba.trafficmanager.net@evil.example/", allowed)


@pytest.mark.parametrize(
    "entry", ["http://localhost:5000@evil.example/", "localhost:5000", "http://h/?q=1"]
)
def test_an_entry_that_is_not_a_plain_url_is_refused_at_start(entry: str) -> None:
    assert parse_service_url(entry) is None
    with pytest.raises(SettingsError, match=r"^TEAMS_SERVICE_URLS: .*plain http\(s\) URL"):
        load_settings(TEAMS_SERVICE_URLS=f"http://127.0.0.1:9/,{entry}")
