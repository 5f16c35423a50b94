"""``python -m local``: the command line over the local stack. Kept thin: the work is in the packages."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

from local.paths import TEMPLATE


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the stack's APIs over HTTP until interrupted; the first stdout line is the JSON contract."""
    from local.launch import launch_stack
    from local.server import LocalServer

    stack = launch_stack(args)
    server = LocalServer(args.host, args.port, stack=stack).start()
    # The first line on stdout is the contract tools read: one JSON object.
    print(json.dumps({"endpoint": server.endpoint, "console": server.console, "resources": stack.resources}),
          flush=True)
    print(f"Serving the local stack on {server.endpoint} — Ctrl-C to stop.\nConsole: {server.console}",
          file=sys.stderr, flush=True)
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    stopped.wait()
    server.stop()
    stack.stop()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run one execution of a workflow as the console starts it and print its path and output."""
    from local.runner import run_command

    return run_command(args)


def cmd_test_state(args: argparse.Namespace) -> int:
    """TestState one state of a workflow on the local stack; print the response as the AWS CLI does."""
    from local.one_state import run_test_state

    return run_test_state(args)


def cmd_demo(args: argparse.Namespace) -> int:
    """Play every workflow end to end, triggered as in AWS."""
    from local.demo import run_demo

    return run_demo(args)


def cmd_bench(args: argparse.Namespace) -> int:
    """Measure the engine: start-up, each workflow's main path, and the speed-up over stock moto."""
    from local.bench import run_bench

    return run_bench(args)


def cmd_cost(args: argparse.Namespace) -> int:
    """Price each workflow's paths per million business events, Standard against Express."""
    from local.cost import run_cost

    return run_cost(args)


def cmd_report(args: argparse.Namespace) -> int:
    """``report reliability``: fault matrix, bad inputs, duplicates and dead-letter queues, as figures.

    ``report load``: bursts of EC2 events and SMS conversations through a ``serve`` process (:mod:`local.load`).
    """
    if args.kind == "load":
        from local.load import run_report as run_load_report

        return run_load_report(args)
    from local.reliability.report import run_report

    return run_report(args)


def cmd_mock_config(args: argparse.Namespace) -> int:
    """Print every workflow's MockConfigFile test cases merged into one file, as Step Functions Local wants."""
    from local.engine.mock_config import MockConfig
    from local.stack.stack import default_mock_config_files

    merged = MockConfig.from_files(default_mock_config_files(Path(args.template).resolve().parent))
    print(json.dumps(merged.raw, indent=2))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Check the whole project before deploying (see :mod:`local.validation`)."""
    from local.validation import run_validation

    mock_config = args.mock_config or os.environ.get("SFN_MOCK_CONFIG")
    return run_validation(Path(args.template), strict=args.strict, checks=tuple(args.check) if args.check else None,
                          mock_config=Path(mock_config) if mock_config else None)


def cmd_fmt(args: argparse.Namespace) -> int:
    """Rewrite definitions in canonical form; ``--check`` lists the ones that are not and fails."""
    from local.validation.fmt import definition_files, format_files

    root = Path(args.template).resolve().parent
    changed, broken = format_files([Path(f) for f in args.files] or definition_files(root), check=args.check)
    for path, error in broken:
        print(f"{os.path.relpath(path)}: -: not JSON: {error} — fix the JSON syntax")
    for path in changed:
        rel = os.path.relpath(path)
        print(f"{rel}: -: not in canonical form — run python -m local fmt" if args.check else f"formatted {rel}")
    return 1 if broken or (args.check and changed) else 0


def cmd_studio(args: argparse.Namespace) -> int:
    """Workflow Studio round trip: export with deployed values, import back into placeholder form."""
    from local.studio import run_studio

    return run_studio(args)


def cmd_graph(args: argparse.Namespace) -> int:
    """Draw each workflow's diagram.svg and README Mermaid block; ``--check`` fails when one is stale."""
    from local.graph import run_graph

    return run_graph(Path(args.template).resolve().parent, args.workflows, args.check)


def cmd_new(args: argparse.Namespace) -> int:
    """Scaffold a new workflow (folder, schemas, template resources, driver, tests) that works at once."""
    from local.scaffold import run_new

    return run_new(args)


def _add_project_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """``new``, ``fmt``, ``studio export|import`` and ``graph``: the project files' tools."""
    new = commands.add_parser("new", parents=[common], help="add a workflow that works at once (then change it)")
    new.add_argument("name", help="the workflow's folder name: lower-case words joined by hyphens")
    new.set_defaults(func=cmd_new)

    fmt = commands.add_parser("fmt", parents=[common], help="write definitions in canonical (Workflow Studio) form")
    fmt.add_argument("files", nargs="*", help="definitions (default: every workflows/*/statemachine.asl.json)")
    fmt.add_argument("--check", action="store_true", help="only list unformatted files; exit 1 if any")
    fmt.set_defaults(func=cmd_fmt)

    studio = commands.add_parser("studio", help="Workflow Studio round trip (export / import)")
    studio_actions = studio.add_subparsers(dest="action", required=True)
    export = studio_actions.add_parser("export", parents=[common], help="definition with deployed values filled in")
    export.add_argument("workflow", help="workflow folder name (or state machine logical id)")
    export.add_argument("--outputs", action="append", required=True, metavar="FILE",
                        help="describe-stacks / describe-stack-resources JSON, or a {LogicalIdOrOutputKey: value} map")
    export.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    export.set_defaults(func=cmd_studio)
    import_ = studio_actions.add_parser("import", parents=[common], help="edited definition back to placeholders")
    import_.add_argument("file", help="the definition exported from Workflow Studio")
    import_.add_argument("workflow", help="workflow folder name (or state machine logical id)")
    import_.add_argument("--outputs", action="append", required=True, metavar="FILE", help="as for export")
    import_.set_defaults(func=cmd_studio)

    graph = commands.add_parser("graph", parents=[common], help="draw the workflows' diagrams (SVG and Mermaid)")
    graph.add_argument("workflows", nargs="*", help="workflow folder names (default: all)")
    graph.add_argument("--check", action="store_true", help="only check they are up to date; exit 1 if not")
    graph.set_defaults(func=cmd_graph)


def _add_test_state_command(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """``test-state``: one state of a workflow through the TestState API."""
    test_state = commands.add_parser("test-state", parents=[common],
                                     help="run one state of a workflow with the TestState API (mocks, inspection)")
    test_state.add_argument("workflow", help="workflow folder name under workflows/")
    test_state.add_argument("state", help="the state to test (its name in the definition)")
    test_state.add_argument("--input", metavar="FILE", required=True, help="the state's JSON input")
    test_state.add_argument("--mock", metavar="FILE",
                            help='mock: {"result": JSON} or {"errorOutput": {"error", "cause"}}, '
                                 'optional "fieldValidationMode" STRICT|PRESENT|NONE')
    test_state.add_argument("--inspection-level", choices=["INFO", "DEBUG", "TRACE"], default="INFO")
    test_state.add_argument("--variables", metavar="FILE", help="JSON object of the variables the state sees")
    test_state.add_argument("--context", metavar="FILE", help="the context object ($$) the state sees (with --mock)")
    test_state.add_argument("--state-configuration", metavar="FILE",
                            help="JSON: retrierRetryCount, mapIterationFailureCount, errorCausedByState, …")
    test_state.set_defaults(func=cmd_test_state)


def build_parser() -> argparse.ArgumentParser:
    """Build the ``python -m local`` argument parser."""
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--template", default=str(TEMPLATE), help="SAM template")
    common.add_argument("--mock-config", metavar="FILE",
                        help="MockConfigFile (default: $SFN_MOCK_CONFIG, else every workflow's mock-config.json)")
    common.add_argument("--parameter", action="append", metavar="NAME=VALUE", help="template parameter override")
    common.add_argument("--wait-time-scale", type=float, default=None,
                        help="real seconds per workflow second for Wait states and retries (default 0)")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", parents=[common], help="serve every API of the local stack over HTTP")
    serve.add_argument("--port", type=int, default=8083)
    serve.add_argument("--host", default="127.0.0.1")
    serve.set_defaults(func=cmd_serve)

    run = commands.add_parser("run", parents=[common], help="run one execution of a workflow")
    run.add_argument("workflow", help="workflow folder name under workflows/")
    run.add_argument("--input", metavar="FILE", help="JSON input (default {})")
    run.add_argument("--case", metavar="TESTCASE", help="MockConfigFile test case")
    run.add_argument("--json", action="store_true", help="print one JSON object (errors too)")
    run.add_argument("--timeout", type=float, default=60.0, help="real seconds to wait for the end")
    run.set_defaults(func=cmd_run)

    demo = commands.add_parser("demo", parents=[common], help="run every workflow end to end")
    demo.add_argument("--only", action="append", metavar="WORKFLOW", help="play only this workflow (repeatable)")
    demo.set_defaults(func=cmd_demo)

    bench = commands.add_parser("bench", parents=[common], help="benchmark the local engine (not a test)")
    bench.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    bench.add_argument("--seconds", type=float, default=2.0, help="measuring time per workflow and mode")
    bench.add_argument("--startup-runs", type=int, default=3, help="fresh interpreters timed for start-up")
    bench.add_argument("--only", action="append", metavar="WORKFLOW", help="measure only this workflow")
    bench.set_defaults(func=cmd_bench)

    cost = commands.add_parser("cost", parents=[common], help="cost per million business events, per workflow")
    cost.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    cost.add_argument("--only", action="append", metavar="WORKFLOW", help="price only this workflow")
    cost.set_defaults(func=cmd_cost)

    report = commands.add_parser("report", parents=[common], help="reliability figures (faults, bad input, …)")
    report.add_argument("kind", choices=["reliability", "load"], help="which report")
    report.add_argument("--events", type=int, default=1000, help="load: EC2 state changes in the burst")
    report.add_argument("--conversations", type=int, default=200, help="load: feedback conversations")
    report.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    report.add_argument("--only", action="append", metavar="WORKFLOW", help="only this workflow (repeatable)")
    report.add_argument("--examples", type=int, default=100, help="bad inputs generated per workflow (default 100)")
    report.set_defaults(func=cmd_report)

    mock_config = commands.add_parser("mock-config", parents=[common],
                                      help="print the merged MockConfigFile for Step Functions Local")
    mock_config.set_defaults(func=cmd_mock_config)

    validate = commands.add_parser("validate", parents=[common], help="check the project before deploying")
    validate.add_argument("--strict", action="store_true", help="mocks must also carry the API's required fields")
    validate.add_argument("--check", action="append", metavar="NAME", help="run only this check (repeatable)")
    validate.set_defaults(func=cmd_validate)

    _add_project_commands(commands, common)
    _add_test_state_command(commands, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; expected errors print one line and exit 2."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # expected failures print one line, never a stack trace
        # An error of a class can only be raised once its module is imported: looking the classes up where they
        # are keeps a command that never needed botocore or the engine (``new``) from importing them to fail.
        client_error, mock_config_error, template_error = (
            getattr(sys.modules.get(module), name, None) for module, name in (
                ("botocore.exceptions", "ClientError"), ("local.engine.mock_config", "MockConfigError"),
                ("local.stack.template", "TemplateError")))
        if client_error and isinstance(error, client_error):  # an AWS API refused the request: code and message
            details = error.response.get("Error", {})
            print(f"error: {details.get('Code')}: {details.get('Message')}", file=sys.stderr)
            return 2
        expected = tuple(c for c in (mock_config_error, template_error) if c)
        if isinstance(error, (*expected, FileNotFoundError, TimeoutError, ValueError)):
            # ValueError includes a bad --parameter, an unknown workflow (--only) and a refused ``new`` name
            print(f"error: {error}", file=sys.stderr)
            return 2
        raise
