"""The application: use cases, persistence, settings, the command line."""
