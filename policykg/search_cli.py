"""``policykg search`` and ``policykg search-index`` (the engine is :mod:`policykg.search`)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from policykg.errors import PolicyKGError

SEARCH_HELP = """Keyword search over documents, measures, provisions (articles) and agencies.

The query is literal text (quotes, *, AND, NEAR( are searched for as written); terms separated by spaces must
all occur. Chinese needs no spaces: 海绵城市 finds the phrase. A term of 3 or more characters uses the
full-text index (trigrams, ranked by BM25, a title hit above a text hit); a term of 1 or 2 characters is
matched as a substring. The index is <store>/search.sqlite, kept in step by `policykg build`.

--place keeps documents (and their parts) whose place is, or lies within, the place named (label, short name,
GB/T 2260 code or IRI). --in-force-on DATE keeps those in force on DATE: started (entry into force, else date
of issue, else publication, else the promulgating notice's) on or before it, not expired before it, not
repealed by a document of the store started on or before it; a document without any date is left out, and
so are agencies, which belong to no document, under either filter."""


def add_parsers(sub, common, epilog: str) -> None:
    s = sub.add_parser("search", help="keyword search over documents, measures, provisions and agencies",
                       description=SEARCH_HELP, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(s)
    s.add_argument("text", metavar="QUERY", help="the words to find (at most 200 characters)")
    s.add_argument("--kind", choices=["document", "measure", "provision", "agency"], help="only hits of this kind")
    s.add_argument("--place", metavar="PLACE", help="only documents of this place or a place within it (广州市, 440100)")
    s.add_argument("--in-force-on", metavar="YYYY-MM-DD", help="only documents in force on this date (and their parts)")
    s.add_argument("--limit", type=int, default=20, metavar="N", help="hits shown (default 20, at most 500)")
    s.add_argument("--offset", type=int, default=0, metavar="N", help="hits skipped (paging)")
    s.add_argument("--format", choices=["table", "json"], default="table", help="table (default) or json")
    s.add_argument("--index", metavar="FILE", help="the index file (default: <store>/search.sqlite)")

    si = sub.add_parser("search-index", help="rebuild the search index from the store",
                        description="Rebuild the search index from what the store holds (read with SPARQL): for a "
                                    "store built before search existed, after SPARQL Updates through the server, or "
                                    "for a remote store (--endpoint with --index FILE). `policykg build` keeps the "
                                    "index of the embedded store in step by itself.",
                        epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(si)
    si.add_argument("--index", metavar="FILE", help="where to write it (default: <store>/search.sqlite; required with --endpoint)")


def _index_file(args) -> Path:
    from policykg import search
    from policykg.settings import Settings

    if args.index:
        return Path(args.index)
    if getattr(args, "endpoint", None):
        raise PolicyKGError("a remote store has no folder for the index: give --index FILE", "--index", kind="usage")
    return search.index_path(Settings.from_env(args.store, getattr(args, "base", None)).store)


def cmd_search_index(args) -> int:
    from policykg import search
    from policykg.cli import open_store
    from policykg.store import generation

    path = _index_file(args)
    store = open_store(args, read_only=True)
    gen = None if getattr(args, "endpoint", None) else generation(store.path)
    counts = search.rebuild(store, path, gen)
    print(f"search index {path}: " + ", ".join(f"{counts.get(k, 0)} {k.replace('cy', 'cie')}s" for k in search.KINDS))
    return 0


def cmd_search(args) -> int:
    from policykg import search
    from policykg.settings import Settings
    from policykg.store import generation

    path = _index_file(args)
    if not path.exists():
        raise PolicyKGError("there is no search index here: run `policykg search-index` (or `policykg build`)", str(path))
    con = search.open_index(path)
    try:
        res = search.search(con, args.text, kind=args.kind, place=args.place, in_force_on=args.in_force_on,
                            limit=args.limit, offset=args.offset)
    except search.SearchError as exc:
        raise PolicyKGError(str(exc), "search", kind="usage")
    finally:
        con.close()
    if not args.index and not getattr(args, "endpoint", None):
        store_gen = generation(Settings.from_env(args.store, getattr(args, "base", None)).store)
        if store_gen and res.generation != store_gen:
            sys.stderr.write("policykg: warning: the search index is from another state of the store "
                             "(run `policykg search-index`)\n")
    if args.format == "json":
        out = {"query": res.query, "total": res.total, "offset": args.offset, "limit": args.limit,
               "filters": {"kind": args.kind, "place": args.place, "inForceOn": args.in_force_on},
               "hits": [h.as_dict() for h in res.hits]}
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    shown = f"{args.offset + 1}–{args.offset + len(res.hits)}" if res.hits else "none"
    print(f"{res.total} hit(s) for {res.query!r} (showing {shown})")
    for i, h in enumerate(res.hits, args.offset + 1):
        where = " · ".join(x for x in (h.doc_number, h.place, h.path) if x)
        label = h.title if h.kind in ("document", "agency") else (h.doc_title or "")
        print(f"{i:>3}. {h.kind:<9} {label}" + (f"  [{where}]" if where else ""))
        print(f"     {h.marked('«', '»').replace(chr(10), ' ')}")
        print(f"     {h.iri}")
    return 0
