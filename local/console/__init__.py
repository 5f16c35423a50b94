"""The local console: state machines, executions and the graph inspector in the browser (``<endpoint>/_console/``).

Static HTML, CSS and JavaScript shipped in ``static/`` (no build step, nothing fetched from elsewhere), served
with a few read-only helpers by :class:`ConsoleApp`; the pages act through the Step Functions API itself.
"""

from local.console.app import PREFIX, ConsoleApp

__all__ = ["PREFIX", "ConsoleApp"]
