"""The credential vault: secrets sealed with AES-GCM before they reach the database.

Each value gets a random 96-bit nonce and is bound, as associated data, to its tenant,
connection and field name, so a ciphertext copied to another row or field does not open.
Every sealed value names the key that sealed it; keys come from `encryption_keys`, newest
first: new values use the newest, old ones open with whichever key they name (rotation).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SealedValue = dict[str, str]


class VaultError(Exception):
    """A sealed value that no configured key opens (wrong row, rotated-out key, tampering)."""


@dataclass(frozen=True)
class _Key:
    id: str
    aead: AESGCM


def _derive(material: str) -> _Key:
    # Operators give any high-entropy string; HKDF-like derivation via SHA-256 gives 32 bytes.
    raw = hashlib.sha256(material.encode()).digest()
    key_id = hashlib.sha256(b"key-id:" + raw).hexdigest()[:12]
    return _Key(id=key_id, aead=AESGCM(raw))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


class Vault:
    def __init__(self, key_materials: list[str]) -> None:
        if not key_materials:
            raise ValueError("Vault needs at least one key: set CONNECTORS_ENCRYPTION_KEYS.")
        self._keys = [_derive(material) for material in key_materials]
        self._by_id = {key.id: key for key in self._keys}

    @staticmethod
    def _aad(tenant: str, connection_id: str, field: str) -> bytes:
        return f"{tenant}\x1f{connection_id}\x1f{field}".encode()

    def seal(self, value: str, *, tenant: str, connection_id: str, field: str) -> SealedValue:
        key = self._keys[0]
        nonce = os.urandom(12)
        aad = self._aad(tenant, connection_id, field)
        ciphertext = key.aead.encrypt(nonce, value.encode(), aad)
        return {"kid": key.id, "nonce": _b64(nonce), "ct": _b64(ciphertext)}

    def open(self, sealed: SealedValue, *, tenant: str, connection_id: str, field: str) -> str:
        key = self._by_id.get(sealed.get("kid", ""))
        if key is None:
            raise VaultError(
                f"Secret {field!r} was sealed with key {sealed.get('kid')!r}, which is not in "
                "CONNECTORS_ENCRYPTION_KEYS; add that key back (after the newest) to read it."
            )
        try:
            plain = key.aead.decrypt(
                base64.urlsafe_b64decode(sealed["nonce"]),
                base64.urlsafe_b64decode(sealed["ct"]),
                self._aad(tenant, connection_id, field),
            )
        except (InvalidTag, KeyError, ValueError) as exc:
            raise VaultError(f"Secret {field!r} does not belong to this connection.") from exc
        return plain.decode()

    def needs_reseal(self, sealed: SealedValue) -> bool:
        return sealed.get("kid") != self._keys[0].id
