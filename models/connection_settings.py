"""Checking a connection's settings against its connector's form, and splitting out secrets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from models.catalog import Connector
from models.catalog.base import Setting
from models.errors import InvalidInput


@dataclass
class ParsedSettings:
    plain: dict[str, Any]
    secrets: dict[str, str]


def parse_settings(
    connector: Connector,
    values: dict[str, Any] | None,
    *,
    existing: dict[str, Any] | None = None,
    existing_secrets: frozenset[str] = frozenset(),
) -> ParsedSettings:
    """Validate `values` (merged over `existing` on update) and split plain from secret values."""
    if values is not None and not isinstance(values, dict):
        raise InvalidInput(
            "`settings` must be a JSON object of setting names to values.", field=["settings"]
        )
    values = dict(values or {})
    _refuse_unknown(connector, values)
    merged = {**_defaults(connector), **(existing or {}), **values}
    plain: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    for setting in connector.settings:
        value = merged.get(setting.name)
        if _is_blank(value):
            if setting.required and setting.name not in existing_secrets:
                raise InvalidInput(
                    f"{connector.name} needs {setting.label!r} (`{setting.name}`); add it to "
                    "`settings`.",
                    field=["settings", setting.name],
                )
            continue
        checked = _check_value(connector, setting, value)
        if setting.secret:
            secrets[setting.name] = str(checked)
        else:
            plain[setting.name] = checked
    return ParsedSettings(plain=plain, secrets=secrets)


def _defaults(connector: Connector) -> dict[str, Any]:
    return {s.name: s.default for s in connector.settings if s.default is not None}


def _refuse_unknown(connector: Connector, values: dict[str, Any]) -> None:
    known = {s.name for s in connector.settings}
    unknown = sorted(set(values) - known)
    if unknown:
        expected = ", ".join(sorted(known)) or "none"
        raise InvalidInput(
            f"{connector.name} has no setting {unknown[0]!r}; its settings are: {expected}.",
            field=["settings", unknown[0]],
        )


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_value(connector: Connector, setting: Setting, value: Any) -> Any:
    field = ["settings", setting.name]
    if setting.type == "integer":
        return _as_integer(setting, value, field)
    if setting.type == "boolean":
        if not isinstance(value, bool):
            raise InvalidInput(f"{setting.label!r} must be true or false.", field=field)
        return value
    if not isinstance(value, str):
        raise InvalidInput(f"{setting.label!r} must be text.", field=field)
    value = value.strip()
    if setting.choices is not None and value not in setting.choices:
        raise InvalidInput(
            f"{setting.label!r} must be one of: {', '.join(setting.choices)}.", field=field
        )
    if setting.type == "url":
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise InvalidInput(
                f"{setting.label!r} must be a full address such as https://example.com.",
                field=field,
            )
        return value.rstrip("/")
    return value


def _as_integer(setting: Setting, value: Any, field: list[str]) -> int:
    if isinstance(value, bool):
        raise InvalidInput(f"{setting.label!r} must be a whole number.", field=field)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise InvalidInput(f"{setting.label!r} must be a whole number.", field=field)
