"""Reporting views built from domain events (the projections issue fills this in)."""
