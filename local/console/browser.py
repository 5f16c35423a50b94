"""Headless Chromium for the console's browser tests and its README screenshot: the system's, never a download.

Playwright for Python drives the Chromium of Debian's ``chromium`` package (``executable_path``); nothing fetches
a browser build. ``CHROMIUM`` overrides where it is looked for.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

#: Headless, no sandbox (CI runs as root), and nothing that reaches the network on its own.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    """The Chromium executable: ``$CHROMIUM``, else ``chromium`` on the PATH, else Debian's ``/usr/bin/chromium``."""
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def unavailable() -> str | None:
    """Why the browser cannot run here (a sentence), or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    if chromium_path() is None:
        return "no Chromium found (install Debian's chromium package: apt-get install chromium)"
    return None


def launch(playwright: Any) -> Any:
    """Launch the system Chromium headless through a started ``sync_playwright()``."""
    path = chromium_path()
    if path is None:
        raise RuntimeError(unavailable())
    return playwright.chromium.launch(executable_path=path, args=ARGS)
