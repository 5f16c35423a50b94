"""Writing a report's figures (``bench``, ``cost``, ``report``): one writer for every ``--json FILE``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_figures(path: str | None, figures: Any) -> None:
    """Write the figures as JSON when ``--json FILE`` was given, and say where."""
    if path:
        Path(path).write_text(json.dumps(figures, indent=2, default=str) + "\n")
        print(f"\nWrote {path}")
