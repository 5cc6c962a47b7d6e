"""What a connector declares: metadata, its settings form, how it authorizes, what it reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit


class Category(StrEnum):
    CRM = "CRM"
    SUPPORT = "SUPPORT"
    PRODUCT_ANALYTICS = "PRODUCT_ANALYTICS"
    DATA_WAREHOUSE = "DATA_WAREHOUSE"
    FILE_STORAGE = "FILE_STORAGE"
    SURVEY = "SURVEY"
    BILLING = "BILLING"
    CONVERSATION = "CONVERSATION"
    PLATFORM = "PLATFORM"


class AuthMethod(StrEnum):
    OAUTH2 = "OAUTH2"
    API_KEY = "API_KEY"
    BASIC = "BASIC"
    SERVICE_ACCOUNT = "SERVICE_ACCOUNT"
    KEY_PAIR = "KEY_PAIR"
    ACCESS_KEY = "ACCESS_KEY"


class Inbound(StrEnum):
    """How data reaches a connector that is pushed to, not read (models/services/inbound)."""

    WEBHOOK = "WEBHOOK"  # the source posts signed events to a per-connection URL
    ACCESS_KEY = "ACCESS_KEY"  # a partner pushes records with an access key "Authorize" issues


@dataclass(frozen=True)
class Setting:
    name: str
    label: str
    type: str = "string"  # string | secret | choice | url | integer | boolean | text
    required: bool = True
    secret: bool = False
    default: Any = None
    choices: tuple[str, ...] | None = None
    help: str | None = None


def secret(name: str, label: str, *, required: bool = True, type: str = "secret") -> Setting:
    return Setting(name, label, type=type, required=required, secret=True)


def choice(name: str, label: str, choices: tuple[str, ...], default: str) -> Setting:
    return Setting(name, label, type="choice", required=True, default=default, choices=choices)


def vendor_host(setting: str, suffix: str, name: str) -> Callable[[dict[str, str]], dict[str, str]]:
    """A `derive_values` for a host typed in a setting: `acme`, `acme<suffix>` and
    `https://acme<suffix>/` all give `{name: "acme<suffix>"}`; anything else typed stays as it
    is, for the source's host check to judge."""

    def derive(values: dict[str, str]) -> dict[str, str]:
        typed = values.get(setting, "").strip()
        if "://" in typed:
            typed = urlsplit(typed).netloc
        typed = typed.rstrip("/").lower().removesuffix(suffix)
        return {name: typed + suffix} if typed else {}

    return derive


@dataclass(frozen=True)
class SourceField:
    name: str
    type: str = "string"
    label: str | None = None


@dataclass(frozen=True)
class SourceObject:
    name: str
    fields: tuple[SourceField, ...]
    cursor_field: str | None = None  # what an incremental run filters on


def obj(name: str, fields: str, cursor: str | None = None) -> SourceObject:
    """`obj("Account", "Id:id Name Industry SystemModstamp:datetime")`: type defaults to string."""
    parsed = []
    for spec in fields.split():
        field_name, _, field_type = spec.partition(":")
        parsed.append(SourceField(field_name, field_type or "string"))
    return SourceObject(name, tuple(parsed), cursor)


@dataclass(frozen=True)
class OAuthEndpoints:
    """The source system's OAuth 2.0 authorization-code endpoints.

    URLs may name settings in braces (`https://{subdomain}.zendesk.com/...`), filled from the
    connection's settings; per-connector overrides in the service settings replace them.
    """

    authorize_url: str
    token_url: str
    revoke_url: str | None = None
    scopes: tuple[str, ...] = ()
    pkce: bool = False
    authorize_params: dict[str, str] = field(default_factory=dict)
    token_auth: str = "client_secret_post"  # or client_secret_basic
    scope_separator: str = " "


@dataclass(frozen=True)
class DefaultJob:
    name: str
    source_object: str
    destination_object: str
    mappings: tuple[tuple[str, str, bool], ...]  # (source, target, key)


@dataclass(frozen=True)
class Connector:
    key: str
    name: str
    category: Category
    auth_method: AuthMethod
    requires_authorization: bool
    supports_multiple_connections: bool
    settings: tuple[Setting, ...]
    objects: tuple[SourceObject, ...]
    oauth: OAuthEndpoints | None = None
    api_url: str | None = None  # base address of the API; may name settings in braces
    default_jobs: tuple[DefaultJob, ...] = ()
    docs_url: str | None = None
    # Template values computed from settings, for what is really this connector's own.
    derive_values: Callable[[dict[str, str]], dict[str, str]] | None = None
    inbound: Inbound | None = None  # pushed to this service instead of read from the source

    def __post_init__(self) -> None:
        if self.auth_method is AuthMethod.OAUTH2 and self.requires_authorization and not self.oauth:
            raise ValueError(f"{self.key}: an OAuth connector that logs in needs `oauth`.")
        names = [setting.name for setting in self.settings]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.key}: setting names must be unique, got {names}.")

    @property
    def secret_settings(self) -> frozenset[str]:
        return frozenset(s.name for s in self.settings if s.secret)

    def setting(self, name: str) -> Setting | None:
        return next((s for s in self.settings if s.name == name), None)

    def source_object(self, name: str) -> SourceObject | None:
        return next((o for o in self.objects if o.name == name), None)
