"""Who is calling: the user, their tenant and roles, and what each role may do."""

from __future__ import annotations

from dataclasses import dataclass

from models.errors import Forbidden

ROLES = frozenset({"admin", "viewer", "support"})
SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    user: str
    tenant: str
    roles: frozenset[str]

    @classmethod
    def system(cls, tenant: str) -> Actor:
        """Scheduled and background work, recorded as actor "system"."""
        return cls(user=SYSTEM, tenant=tenant, roles=frozenset({"admin"}))

    def require_read(self) -> None:
        if not self.roles & ROLES:
            raise Forbidden("Your token has no role that may read connections; ask for viewer.")

    def require_admin(self) -> None:
        if "admin" not in self.roles:
            raise Forbidden("Only an admin of this organization may change connections and jobs.")

    def require_support(self) -> None:
        if "support" not in self.roles:
            raise Forbidden("Only platform support staff may change connection limits.")
