"""The AWS services behind the tasks, as far as moto lacks them or answers unlike AWS.

Each module patches one service of moto: :mod:`~local.emulation.lambda_runtime` (with
:mod:`~local.emulation.lambda_zip_runtime`), :mod:`~local.emulation.eventbridge`,
:mod:`~local.emulation.s3_events`, :mod:`~local.emulation.dynamodb`, :mod:`~local.emulation.service_answers`
(S3, SNS, SQS, Secrets Manager) and :mod:`~local.emulation.sfn_api` (the Step Functions API);
:mod:`~local.emulation.optimised_integrations` shapes what the optimised integrations return;
:mod:`~local.emulation.standin_routing` routes the APIs moto lacks to the stand-ins of :mod:`local.standins`.
It builds on the interpreter fixes of :mod:`local.engine`; the stack (:mod:`local.stack`) builds on both.
"""

from __future__ import annotations

import threading

from local import engine, standins

_applied = False
_apply_lock = threading.Lock()


def apply() -> None:
    """Install the interpreter fixes and every service emulation (idempotent)."""
    global _applied  # noqa: PLW0603 - installed once per process
    engine.apply()
    with _apply_lock:
        if _applied:
            return
        from local.emulation import (
            dynamodb,
            eventbridge,
            fast_paths,
            lambda_runtime,
            optimised_integrations,
            s3_events,
            service_answers,
            sfn_api,
            standin_routing,
        )

        fast_paths.install()  # first: the other patches wrap what it installs
        standin_routing.install()
        lambda_runtime.install()
        eventbridge.install()
        s3_events.install()
        dynamodb.install()
        optimised_integrations.install()
        service_answers.install()
        sfn_api.install()
        _applied = True


def reset() -> None:
    """One reset of all engine, emulation and stand-in state (the stack calls it when it stops)."""
    from local.emulation import dynamodb, eventbridge, lambda_runtime

    lambda_runtime.reset()
    dynamodb.reset()
    eventbridge.reset()
    standins.reset()
    engine.reset()


__all__ = ["apply", "reset"]
