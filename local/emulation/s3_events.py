"""S3 → EventBridge: ``Object Created`` on the default bus once the object is stored."""

from __future__ import annotations

import datetime
import functools
import json
import threading
import uuid
from collections.abc import Callable

_s3_request = threading.local()


def _emit_s3_events_on_the_default_bus() -> None:
    """S3 → EventBridge went to the rules of *every* bus, skipped their input transformers, and came too early.

    moto emits ``Object Created`` inside the backend's ``put_object``, before the request handler sets the
    object's metadata (``Content-Language``, ``x-amz-meta-*``): a workflow started by the event could read the
    object without them. As in S3, the event now leaves once the request has stored the whole object.
    """
    from moto.s3 import notifications
    from moto.s3.responses import S3Response

    def send_event_bridge_message(account_id, bucket, event_name, key) -> None:
        pending = getattr(_s3_request, "pending", None)
        if pending is not None:
            pending.append((account_id, bucket, event_name, key))
        else:
            put_s3_event(account_id, bucket, event_name, key)

    def put_s3_event(account_id, bucket, event_name, key) -> None:
        from moto.events.models import events_backends

        detail = {
            "version": "0", "bucket": {"name": bucket.name},
            "object": {"key": key.name, "size": key.size, "etag": key.etag.replace('"', ""),
                       "sequencer": f"{int(datetime.datetime.now().timestamp() * 1e6):016X}"},
            "request-id": uuid.uuid4().hex[:16].upper(), "requester": account_id,
            "source-ip-address": "127.0.0.1", "reason": event_name.split(":")[1],
        }
        if key.version_id:
            detail["object"]["version-id"] = key.version_id
        events_backends[account_id][bucket.region_name].put_events([{
            "Source": "aws.s3", "DetailType": notifications._detail_type(event_name),
            "Detail": json.dumps(detail), "Resources": [bucket.arn],
        }])

    def after_the_request(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def handle(self):
            _s3_request.pending = []
            try:
                return handler(self)
            finally:
                pending, _s3_request.pending = _s3_request.pending, None
                for event in pending:
                    put_s3_event(*event)

        return handle

    notifications._send_event_bridge_message = send_event_bridge_message
    for name in ("put_object", "copy_object"):
        setattr(S3Response, name, after_the_request(getattr(S3Response, name)))


def install() -> None:
    """Install the S3 event emission."""
    _emit_s3_events_on_the_default_bus()
