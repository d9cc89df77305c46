"""Benchmarks of Polarity's write path beside the bare eventsourcing library, and their results."""
