"""Screenshots of the pages, in headless Chromium (Debian's `chromium`, driven by Playwright's Python package).

    python -m policykg.server.screenshots URL OUTDIR     # a running server, e.g. http://127.0.0.1:8000

``scripts/screenshots`` builds the bundled corpus, starts a server and calls this. One PNG per page: the
SPARQL editor, the graph view (responsibility, scoped to a document), the legal-links graph, the audit view with
a cell opened, a document page, an entity page, the document list with filters, an agency's page, a measure's
page, the responsibility graph of an agency (its node outlined), the search results and a named query as a table. Fails if a page
reports a JavaScript error.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import quote

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
FOREST = "https://policykg.org/id/doc/2024/上海市森林管理规定"
AGENCY = "https://policykg.org/id/agency/上海市财政局"
PAGES = [  # (file name, path, JavaScript condition that says the page is drawn — a function: the pages' CSP forbids eval —, action after it is)
    ("sparql", "/sparql-editor", "() => window.policykgReady === true", None),
    ("graph-responsibility", f"/graph?view=responsibility&scope={quote(FOREST, safe='')}", "() => window.policykgGraphReady === true", None),
    ("graph-legal", "/graph?view=legal", "() => window.policykgGraphReady === true", None),
    ("audit", "/audit-view", "() => window.policykgAuditReady === true", "td.cell[data-heading]"),
    ("document", f"/document?iri={quote(FOREST, safe='')}", None, None),
    ("entity", "/id/doc/2024/上海市森林管理规定/art_28__para_1", None, None),
    ("documents", "/?type=notice&in_force=yes&on=2024-06-01", None, None),
    ("agency", "/id/agency/上海市人民政府", None, None),
    ("measure", "/id/doc/2024/上海市坚持对标改革持续打造国际一流营商环境行动方案/sec_1__subsec_1__meas_1", None, None),
    ("graph-agency", f"/graph?view=responsibility&scope={quote(AGENCY, safe='')}", "() => window.policykgGraphReady === true", None),
    ("search", "/search?q=森林防火", None, None),
    ("query-table", f"/queries/measures?format=html&limit=20&docNumber={quote('沪府办发〔2024〕1号')}", None, None),
]


def take(url: str, outdir: str | Path, executable: str = CHROMIUM) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    written, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=ARGS)
        try:
            for name, path, ready, click in PAGES:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.on("pageerror", lambda e, name=name: errors.append(f"{name}: {e}"))
                page.on("console", lambda m, name=name: errors.append(f"{name}: {m.text}") if m.type == "error" else None)
                page.goto(url.rstrip("/") + path)
                if ready:
                    page.wait_for_function(ready, timeout=60000)
                if click:
                    page.locator(click).first.click()
                target = out / f"{name}.png"
                page.screenshot(path=str(target), full_page=name in ("audit",))
                written.append(target)
                page.close()
        finally:
            browser.close()
    if errors:
        raise RuntimeError("pages reported errors:\n" + "\n".join(errors))
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Screenshot the policykg pages of a running server into a directory.")
    ap.add_argument("url", help="the server's address, e.g. http://127.0.0.1:8000")
    ap.add_argument("outdir", help="directory for the PNG files")
    ap.add_argument("--chromium", default=CHROMIUM, help=f"Chromium executable (default {CHROMIUM})")
    a = ap.parse_args(argv)
    for path in take(a.url, a.outdir, a.chromium):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
