"""``python -m local report reliability``: the figures of the reliability tests, from the same code."""

from __future__ import annotations

import json

from local.cli import build_parser, cmd_report
from local.reliability.errors import fault_cases
from local.reliability.report import all_handled, format_report, reliability_figures


def test_report_gives_the_figures_of_the_checks(stack):
    """For the EC2 enrichment with 10 bad inputs: every figure is produced and every case held.

    The fault pairs are the generated matrix's, the bad inputs Hypothesis's with the fixed seed, then the
    duplicate check and the trigger's dead-letter check; the text names each figure.
    """
    figures = reliability_figures(stack, ["ec2-enrichment"], examples=10)

    assert figures["workflows"] == ["ec2-enrichment"]
    assert figures["faults"]["pairs"] == figures["faults"]["designed"] == len(fault_cases(["ec2-enrichment"])) == 12
    bad = figures["badInput"]
    assert bad["tried"] == bad["handled"] >= 10  # 10 drawn, plus one of each kind always tried
    assert (figures["duplicates"]["sent"], figures["duplicates"]["applied"]) == (2, 1)
    triggers = figures["triggers"]
    assert (triggers["count"], triggers["deadLettered"], triggers["gaps"]) == (1, 1, [])
    assert all_handled(figures)
    json.dumps(figures)  # --json writes it as is
    text = format_report(figures)
    assert "Fault injection: 12 (Task state, error class) pairs over 3 Task states; 12 ended as designed" in text
    assert (f"Bad input: {bad['tried']} generated inputs (10 drawn per workflow with a fixed seed, and one of each "
            f"kind); {bad['tried']} failed at once") in text
    assert "Duplicates: 1 triggers delivered twice (2 deliveries); 1 applied" in text


def test_report_command_line():
    """``report reliability`` takes --json, --only and --examples like the other figure commands."""
    args = build_parser().parse_args(["report", "reliability", "--json", "out.json", "--only", "image-catalog",
                                      "--examples", "20"])
    assert (args.func, args.kind, args.json, args.only, args.examples) == (
        cmd_report, "reliability", "out.json", ["image-catalog"], 20)
