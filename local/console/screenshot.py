"""``python -m local.console.screenshot [FILE]`` (``make console-screenshot``): the README's picture of the console.

Starts ``serve`` on a free port, runs the image catalog's ``RetryOnThrottling`` test case with its sample input
(Rekognition throttles twice, then answers), opens the execution's page in headless Chromium, selects the state
that was retried and saves the page as a PNG (default ``docs/console-execution.png``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import quote

from local.console.browser import launch, unavailable
from local.load import clients, served
from local.stack.stack import PROJECT_ROOT

DEFAULT = PROJECT_ROOT / "docs" / "console-execution.png"
SAMPLE = PROJECT_ROOT / "workflows" / "image-catalog" / "events" / "console-start.json"
WAIT_MS = 30_000


def main(argv: list[str] | None = None) -> int:
    """Write the screenshot; exit code 2 when no browser can run here."""
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else DEFAULT
    reason = unavailable()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    with served() as first:
        sfn = clients(first["endpoint"])("stepfunctions")
        arn = sfn.start_execution(stateMachineArn=first["resources"]["ImageCatalogStateMachine"] + "#RetryOnThrottling",
                                  input=json.dumps(json.loads(SAMPLE.read_text())))["executionArn"]
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport={"width": 1440, "height": 1300})
            page.goto(f"{first['console']}executions/{quote(arn, safe='')}")
            page.wait_for_selector('main[data-loaded="final"]', timeout=WAIT_MS)
            page.click('svg.graph g.state[data-state="CheckModeration"]')
            page.wait_for_selector('.inspector-body[data-selected-state="CheckModeration"]', timeout=WAIT_MS)
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
            browser.close()
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
