"""Launching the stack the command line's common options describe (template, mock config, parameters, time).

The tools (``demo``, ``bench``, ``cost``, ``report``) and ``serve``/``run`` share it; it imports none of them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from local.stack.stack import Stack


def parameters(pairs: list[str] | None) -> dict[str, str]:
    """``--parameter NAME=VALUE`` options as a dict."""
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--parameter takes NAME=VALUE, got {pair!r}")
        out[key] = value
    return out


def launch_stack(args: argparse.Namespace) -> Stack:
    """Launch the stack of ``args.template`` with ``args.mock_config``, ``args.parameter``, ``args.wait_time_scale``."""
    return Stack.launch(Path(args.template), mock_config=args.mock_config, parameters=parameters(args.parameter),
                        time_scale=args.wait_time_scale)
