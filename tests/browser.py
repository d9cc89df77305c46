"""The system Chromium every browser test drives, and how it is started."""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("POLARITY_CHROMIUM", "/usr/bin/chromium"))
# Headless, and nothing fetched from outside: no updates, no sync, no field trials.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
