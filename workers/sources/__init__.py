"""Source clients: the framework (source, http, auth, paging, hosts, budget, registry) and one
module per source system. Importing this package imports every source module, and each
registers itself and its hooks (registry.register): adding a source is adding its module.
"""

from __future__ import annotations

import importlib
import pkgutil

from workers.sources.registry import SOURCES, register, source_for

FRAMEWORK = frozenset(
    {"auth", "budget", "errors", "hosts", "http", "paging", "registry", "source", "warehouse"}
)

for _module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _module.name not in FRAMEWORK:
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["SOURCES", "register", "source_for"]
