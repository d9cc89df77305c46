"""Polarity's pure domain: the two paths of improvement work, their aggregates, events and rules."""
