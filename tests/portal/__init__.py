"""The portal, tested in a real browser."""
