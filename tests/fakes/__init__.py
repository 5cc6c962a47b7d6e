"""Fakes of source systems: real HTTP servers on loopback that speak each vendor's protocol."""
