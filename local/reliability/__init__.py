"""Reliability, measured: faults, bad input, duplicates and triggers that cannot start a workflow.

Business events must not be lost: a throttled API, a malformed event, a duplicate delivery must each end in a
known, recorded outcome. Four checks prove it on the local stack; the tests (``tests/reliability/``) and
``python -m local report reliability`` run the same code, so the report's figures are the tests' figures.
What each workflow brings to them (its scenarios and designed outcomes, its input contract, its duplicate
checks, how its triggers fire) is in its driver, ``local/workflows/<name>.py``.

* **Fault matrix** (:mod:`local.reliability.errors` generates it, :mod:`local.reliability.faults` runs it):
  every Task state of every workflow by every class of error its API really returns.
* **Bad input** (:mod:`local.reliability.inputs`): Hypothesis generates inputs that break the workflow's
  input schema; each must fail at once with the workflow's invalid-input error naming the field.
* **Duplicates** (:mod:`local.reliability.duplicates`): the same trigger delivered twice must not give two
  records or advance a conversation twice.
* **Triggers** (:mod:`local.reliability.triggers`): a trigger that cannot start its workflow puts the event in
  its dead-letter queue.

:mod:`local.reliability.report` runs them all and prints the figures.
"""
