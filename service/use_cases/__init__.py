"""One use case per command: load, decide, save; each takes plain values and returns a Result."""
