"""Credentials at rest: AES-GCM bound to tenant, connection and field, with rotating keys."""

from __future__ import annotations

import pytest

from models.vault import Vault, VaultError

WHERE = {"tenant": "acme", "connection_id": "c1", "field": "api_key"}


def test_a_sealed_value_opens_where_it_was_sealed() -> None:
    vault = Vault(["key-one"])
    sealed = vault.seal("s3cr3t", **WHERE)
    assert "s3cr3t" not in str(sealed)
    assert vault.open(sealed, **WHERE) == "s3cr3t"


def test_each_seal_uses_a_fresh_nonce() -> None:
    vault = Vault(["key-one"])
    assert vault.seal("same", **WHERE) != vault.seal("same", **WHERE)


@pytest.mark.parametrize(
    "elsewhere",
    [
        {**WHERE, "tenant": "other"},
        {**WHERE, "connection_id": "c2"},
        {**WHERE, "field": "password"},
    ],
)
def test_a_value_copied_to_another_row_or_field_does_not_open(elsewhere: dict) -> None:
    vault = Vault(["key-one"])
    sealed = vault.seal("s3cr3t", **WHERE)
    with pytest.raises(VaultError, match="does not belong"):
        vault.open(sealed, **elsewhere)


def test_tampering_is_detected() -> None:
    vault = Vault(["key-one"])
    sealed = vault.seal("s3cr3t", **WHERE)
    sealed["ct"] = sealed["ct"][:-4] + ("AAAA" if not sealed["ct"].endswith("AAAA") else "BBBB")
    with pytest.raises(VaultError):
        vault.open(sealed, **WHERE)


def test_keys_rotate_newest_first() -> None:
    old = Vault(["key-old"])
    sealed_before = old.seal("kept", **WHERE)
    rotated = Vault(["key-new", "key-old"])
    assert rotated.open(sealed_before, **WHERE) == "kept"
    assert rotated.needs_reseal(sealed_before)
    sealed_after = rotated.seal("new", **WHERE)
    assert sealed_after["kid"] != sealed_before["kid"]
    assert not rotated.needs_reseal(sealed_after)


def test_a_value_sealed_with_a_removed_key_says_which_key_to_add_back() -> None:
    sealed = Vault(["key-old"]).seal("x", **WHERE)
    with pytest.raises(VaultError, match="CONNECTORS_ENCRYPTION_KEYS"):
        Vault(["key-new"]).open(sealed, **WHERE)
