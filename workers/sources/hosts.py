"""Where a connection may send requests: user-supplied hosts are checked before any request.

A Zendesk subdomain, a Jira site, a Snowflake account or a Google token URI is typed (or
pasted) by a user, so it must not become a way to reach this service's own network. Such a
host must belong to the system's own domains; loopback and private addresses are allowed only
when the operator turns `allow_private_hosts` on. The operator's `api_url` override is trusted
as it is: the operator wrote it.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from models import settings as config
from models.errors import InvalidInput

_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def check_url(url: str, domains: tuple[str, ...], what: str) -> str:
    """`url` unchanged if its host may be reached; InvalidInput naming `what` otherwise."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in {"https", "http"} or not host:
        raise InvalidInput(f"The {what} {url!r} is not an http(s) address; check the setting.")
    if _private_allowed(host):
        return url
    if parts.scheme != "https":
        raise InvalidInput(f"The {what} must use https, got {url!r}.")
    if not _valid_name(host) or not any(_within(host, domain) for domain in domains):
        raise InvalidInput(
            f"The {what} {host!r} is not an address of this system (expected a host under "
            f"{' or '.join(domains)}); check the setting.",
        )
    return url


def check_label(value: str, what: str) -> str:
    """One DNS label a user typed (a subdomain, an account identifier)."""
    label = value.strip().lower()
    if not _LABEL.match(label):
        raise InvalidInput(
            f"{value!r} is not a valid {what}: use letters, digits and hyphens only.",
            field=["settings"],
        )
    return label


def _within(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def _valid_name(host: str) -> bool:
    return all(_LABEL.match(label) for label in host.split("."))


def _private_allowed(host: str) -> bool:
    if not config.current().allow_private_hosts:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private
