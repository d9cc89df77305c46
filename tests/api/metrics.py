"""Reading GET /metrics in tests, as Prometheus would: samples by name and labels."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import Client

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parsed(text: str) -> Samples:
    """Every sample of a text exposition, keyed by its name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(api: Client | httpx.Client) -> Samples:
    response = api.get("/metrics")
    assert response.status_code == 200, response.text
    return parsed(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample's value; 0 if it has not been seen (a counter that has not counted yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def series(samples: Samples, name: str) -> Mapping[frozenset[tuple[str, str]], float]:
    return {labels: found for (named, labels), found in samples.items() if named == name}
