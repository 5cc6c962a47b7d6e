"""Revoking a connection's tokens at the source system (filled in by the OAuth work)."""

from __future__ import annotations

from models.tables import Connection


async def revoke_at_source(connection: Connection) -> str:
    """Revoke what the source lets us revoke; returns a sentence for the activity log."""
    return "Tokens were dropped here; revocation at the source system is not wired up yet."
