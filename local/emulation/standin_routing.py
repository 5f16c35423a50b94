"""In-process SDK calls to APIs moto lacks go to the stand-ins of :mod:`local.standins`."""

from __future__ import annotations

from local import standins


def _route_standins() -> None:
    """Moto lacks Translate, DetectModerationLabels, End User Messaging SMS…: route them to stand-ins.

    See :mod:`local.standins`. In-process SDK calls are intercepted before moto's own dispatch.
    """
    from moto.core.botocore_stubber import BotocoreStubber

    standins.load()
    original = BotocoreStubber.process_request

    def process_request(self, request):
        target = request.headers.get("X-Amz-Target")
        if isinstance(target, bytes):
            target = target.decode()
        found = standins.resolve(target)
        if found is not None:
            return standins.dispatch(found[2], request.body)
        return original(self, request)

    BotocoreStubber.process_request = process_request


def install() -> None:
    """Route the stand-ins' APIs."""
    _route_standins()
