"""One line per problem: what several checks say about one mistake is said once, with its likely fix.

Two checks read the graph of a definition (statelint and the ASL language service), and a mistake in it has
consequences other checks see too. So, before printing:

* a ``Next`` (or ``Default``, a choice's ``Next``, a catcher's ``Next``) naming no state is one line, even when
  both checks report it; when a state of a close name is left unreachable by it, that is the typo: the line
  says so and the unreachable state is not reported on its own;
* a state reported unreachable by both checks is one line;
* a diagram is not reported stale while its definition's graph is broken: redrawing it would draw the broken
  graph.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from local.validation.common import Problem, Project

_STATELINT_MISSING = re.compile(r'^statelint: No state found named "(?P<target>[^"]*)", referenced at (?P<where>.+)$')
_STATELINT_UNREACHABLE = re.compile(r"^statelint: No transition found to state ")
_ASL_MISSING = re.compile(r"^ASL language service \w+ at .*must be the name of an existing state")
_ASL_UNREACHABLE = re.compile(r"^ASL language service \w+ at .*The state cannot be reached")
#: Problems that mean the definition's graph (what the diagram draws) is broken.
_GRAPH = re.compile(r"^(statelint: |ASL language service |not valid JSON|the definition is not a JSON object|"
                    r"the ASL interpreter rejects)")


def _field(where: str, state: str) -> str:
    """``State Machine.States.CheckEvent.Next`` → ``Next``; ``….Choices[0].Next`` → ``Choices[0].Next``."""
    marker = f"States.{state}."
    return where.split(marker, 1)[1] if marker in where else "Next"


def _states_of(project: Project) -> dict[str, set[str]]:
    return {w.file: set(w.states()) for w in project.workflows if w.definition is not None}


def one_line_per_problem(project: Project, problems: list[Problem]) -> list[Problem]:
    """The problems, each mistake once (see the module's docstring), in their order."""
    states_of = _states_of(project)
    missing = {(p.file, p.state): p for p in problems if _STATELINT_MISSING.match(p.message)}
    unreachable = {(p.file, p.state) for p in problems if _STATELINT_UNREACHABLE.match(p.message)}
    reported_unreachable = unreachable | {(p.file, p.state) for p in problems if _ASL_UNREACHABLE.match(p.message)}
    folded: dict[tuple[str, str], Problem] = {}
    explained: set[tuple[str, str]] = set()
    for (file, state), problem in missing.items():
        match = _STATELINT_MISSING.match(problem.message)
        target, field = match["target"], _field(match["where"], state)
        names = states_of.get(file, set())
        close = difflib.get_close_matches(target, sorted(names - {state}), n=1, cutoff=0.6)
        if close and (file, close[0]) in reported_unreachable:
            explained.add((file, close[0]))
            folded[(file, state)] = Problem(file, state, f'{field} names "{target}", which is not a state, so '
                                                         f"{close[0]} is never reached", f'write "{close[0]}"')
        else:
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            folded[(file, state)] = Problem(file, state, f'{field} names "{target}", which is not a state{hint}',
                                            f"point {field} at an existing state, or add a state named {target}")
    broken = {str(Path(p.file).parent) for p in problems if _GRAPH.match(p.message)}
    kept: list[Problem] = []
    for problem in problems:
        key = (problem.file, problem.state)
        if key in folded:
            if _STATELINT_MISSING.match(problem.message):
                kept.append(folded[key])
            continue  # the language service's version of the same missing target
        if key in explained and (_STATELINT_UNREACHABLE.match(problem.message)
                                 or _ASL_UNREACHABLE.match(problem.message)):
            continue
        if _ASL_UNREACHABLE.match(problem.message) and key in unreachable:
            continue
        if _ASL_MISSING.match(problem.message) and key in missing:
            continue
        if problem.message.startswith("the diagram is stale") and str(Path(problem.file).parent) in broken:
            continue
        kept.append(problem)
    return kept
