"""The README's Operating section names every setting and every metric the service has."""

from __future__ import annotations

from prometheus_client import REGISTRY

from models.settings import Settings
from tests.conftest import ROOT

OPERATING = ROOT.joinpath("README.md").read_text().split("## Operating", 1)[1].split("\n## ")[0]


def test_every_setting_is_in_the_configuration_table() -> None:
    for name in Settings.model_fields:
        assert f"| {name} | `CONNECTORS_{name.upper()}" in OPERATING, name


def test_every_metric_is_documented() -> None:
    import models.metrics  # noqa: F401  (registers the series)

    names = {family.name for family in REGISTRY.collect() if family.name.startswith("connectors_")}
    assert names
    for name in names:
        documented = name + ("_total" if f"`{name}_total`" in OPERATING else "")
        assert f"`{documented}`" in OPERATING, name
