"""User-supplied hosts: only the system's own domains, private ones only when allowed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from models.errors import InvalidInput
from models.settings import Settings
from workers.sources.hosts import check_url


@pytest.fixture
def private_off(settings: Settings) -> Iterator[None]:
    settings.allow_private_hosts = False
    yield
    settings.allow_private_hosts = True


@pytest.mark.parametrize(
    "url",
    ["https://acme.zendesk.com", "https://zendesk.com/api", "https://a-b.eu.zendesk.com"],
)
def test_the_systems_own_hosts_pass(url: str, private_off: None) -> None:
    assert check_url(url, ("zendesk.com",), "Zendesk address") == url


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.com",
        "https://zendesk.com.evil.com",
        "https://x@evil.com/.zendesk.com",
        "http://acme.zendesk.com",
        "https://127.0.0.1",
        "https://10.0.0.8",
        "ftp://acme.zendesk.com",
    ],
)
def test_other_hosts_are_refused(url: str, private_off: None) -> None:
    with pytest.raises(InvalidInput):
        check_url(url, ("zendesk.com",), "Zendesk address")


def test_private_addresses_pass_only_when_allowed(settings: Settings) -> None:
    assert settings.allow_private_hosts
    assert check_url("http://127.0.0.1:8080", ("zendesk.com",), "x") == "http://127.0.0.1:8080"
    assert check_url("http://10.1.2.3", ("zendesk.com",), "x") == "http://10.1.2.3"
