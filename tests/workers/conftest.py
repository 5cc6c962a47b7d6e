from __future__ import annotations

# The Mixpanel fake and an ACTIVE Mixpanel connection, as tests/api has them.
from tests.api.conftest import mixpanel, mixpanel_connection  # noqa: F401
