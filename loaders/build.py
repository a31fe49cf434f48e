"""The write side end to end: files → documents → named graphs in the store.

Guarantees of :func:`build`:

* Each file is read and parsed completely before anything is written; its
  documents and metadata are then written in **one transaction**. A file that
  cannot be read or parsed is reported (file, place, reason) and skipped: nothing
  of it is written, nothing already in the store is touched, the other files go on.
* One named graph per document, keyed by the document's identity (its number,
  else year and title). Re-building a document replaces its graph; building one
  file changes no other document's graph.
* A document found in several files (沪府办发〔2024〕1号 is in 000 and in the gazette
  003) is one document. Its graph is built from the *canonical* source: the file
  holding the fewest documents (the document's own file rather than a gazette),
  then the smallest SHA-256 — so the result does not depend on the order of files
  or of builds. Every file holding it is recorded in the metadata graph.
* Build metadata (file paths, checksums, times) lives in the metadata graph only,
  so the document graphs are byte-stable across builds.
* When a file changes and no longer holds a document it held, that document's
  graph is dropped unless another file still holds it.
"""
from __future__ import annotations

import datetime
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from pyoxigraph import Literal, NamedNode, Quad

from policykg import __version__
from policykg.errors import PolicyKGError, ReadError
from policykg.iri import Minter
from policykg.ontology import PKG, PROV, RDF, XSD
from policykg.ontology.rules import ModuleResult
from policykg.store import BULK_BATCH, BulkLoader, Store

from .emit import Emitter
from .followup import plan_measures_of_quads
from .limits import time_budget
from .model import ParsedSource
from .inforce import write_in_force
from .dates_order import write_dates_order
from .links_order import write_links_order
from .order import write_order
from .parse import parse_source
from .read import is_sidecar, read_file
from .summary import WorkloadDelta, workload_in_graph, workload_of
from policykg import search
from policykg.search import entries_of_quads

_SKIP_NAMES = ("readme", "license", "licence", "changelog", ".")
_TARGETED_MAX = 32  # builds of at most this many files look up only the metadata records they concern


@dataclass
class FileReport:
    path: str
    ok: bool
    documents: list[str] = field(default_factory=list)  # keys found
    written: list[str] = field(default_factory=list)  # keys whose graph this file wrote
    error: dict | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class BuildSummary:
    files: list[FileReport] = field(default_factory=list)
    documents: int = 0
    measures: int | None = 0  # None after a small re-build (see _count)
    articles: int = 0
    provisions: int | None = 0  # None after a small re-build
    triples: int | None = 0  # None after a small re-build (counting every quad scans the store)
    errors: list[PolicyKGError] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per stage
    reasoning_problems: list[str] = field(default_factory=list)  # inconsistencies (build with reason=True)
    inferred: int = 0

    def as_dict(self) -> dict:
        return {
            "documents": self.documents,
            "measures": self.measures,
            "articles": self.articles,
            "provisions": self.provisions,
            "triples": self.triples,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "files": [asdict(f) for f in self.files],
            "errors": [e.as_dict() for e in self.errors],
        }


#: data files that sit beside documents in a folder (a collection's index, a crawl's table): not documents
#: A JSON file in a folder is a sidecar (read with its document) or data (a crawl's index, a ground truth); named
#: on its own it is refused with the reason.
DATA_SUFFIXES = {".tsv", ".csv", ".xlsx", ".xls", ".sql", ".yaml", ".yml", ".toml", ".ini", ".log", ".json"}


def _bad_name(path: Path) -> ReadError | None:
    """A file name policykg cannot store as text: bytes that are not UTF-8, or control characters (a newline)."""
    name = str(path)
    shown = os.fsencode(path).decode("utf-8", "backslashreplace")
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in shown)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return ReadError("has a name that is not valid UTF-8; rename it", shown)
    if any(not c.isprintable() for c in name):
        return ReadError("has a control character (a newline?) in its name; rename it", shown)
    return None


def collect_paths(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[PolicyKGError]]:
    """Files named, and files under folders named (recursively, sorted; README/LICENSE, hidden files, data
    files (:data:`DATA_SUFFIXES`) and JSON sidecars of documents skipped). A folder that cannot be listed, and a
    file whose name is not UTF-8 text, are errors naming them."""
    out: list[Path] = []
    errors: list[PolicyKGError] = []

    def add(f: Path) -> None:
        bad = _bad_name(f)
        if bad:
            errors.append(bad)
        else:
            out.append(f)

    for p in paths:
        path = Path(p)
        if path.is_dir():
            found: list[Path] = []

            def unreadable(exc: OSError) -> None:
                errors.append(ReadError(f"is a folder that cannot be read ({exc.strerror})", str(exc.filename)))

            for top, dirs, names in os.walk(path, onerror=unreadable):
                dirs[:] = [d for d in dirs if not d.lower().startswith(_SKIP_NAMES)]
                found += [Path(top) / n for n in names if not n.lower().startswith(_SKIP_NAMES)]
            for f in sorted(found):
                if f.is_file() and not is_sidecar(f) and f.suffix.lower() not in DATA_SUFFIXES:
                    add(f)
        elif path.exists():
            add(path)
        else:
            errors.append(ReadError("does not exist", str(path)))
    return out, errors


def _meta_sources(store: Store, meta: str, paths: Iterable[str] | None = None,
                  docs: Iterable[str] | None = None) -> dict[str, dict]:
    """Sources recorded in the metadata graph: IRI → {paths, sha, count, docs}. All of them, or only those
    recorded under ``paths`` or holding one of ``docs`` (a small build in a large store)."""
    scope = ""
    if paths is not None or docs is not None:
        keys = [str(Literal(p)) for p in (paths or [])]
        held = [f"<{d}>" for d in (docs or [])]
        if not keys and not held:
            return {}
        branches = []
        if keys:
            branches.append(f"{{ VALUES ?key {{ {' '.join(keys)} }} ?src pkg:filePath ?key }}")
        if held:
            branches.append(f"{{ VALUES ?held {{ {' '.join(held)} }} ?src pkg:containsDocument ?held }}")
        scope = f"{{ SELECT DISTINCT ?src WHERE {{ {' UNION '.join(branches)} }} }}"
    res = store.query(
        f"""SELECT ?src ?path ?sha ?count ?doc WHERE {{ GRAPH <{meta}> {{ {scope}
            ?src a pkg:SourceFile ; pkg:sha256 ?sha ; pkg:documentCount ?count .
            OPTIONAL {{ ?src pkg:filePath ?path }}
            OPTIONAL {{ ?src pkg:containsDocument ?doc }} }} }}"""
    )
    out: dict[str, dict] = {}
    for row in res:
        src = row["src"].value
        rec = out.setdefault(src, {"paths": set(), "sha": row["sha"].value, "count": int(row["count"].value), "docs": set()})
        if row["path"] is not None:
            rec["paths"].add(row["path"].value)
        if row["doc"] is not None:
            rec["docs"].add(row["doc"].value)
    return out


@dataclass
class Emitted:
    """One document as a worker emits it: N-Triples text per graph, ready to write (strings pickle cheaply)."""

    key: str
    graph: str  # N-Triples of the document's named graph
    shared: dict[str, str]  # shared graph IRI → N-Triples (agencies not in the list, roles, cited acts)
    inferred: str | None  # N-Triples of its entailments (None: not reasoned, or inconsistent)
    foreign: list[tuple[str, str, str]]  # entailed links about other modules' individuals
    problems: list[str]  # inconsistencies the rules found in it
    triples: int
    foreign_types: dict  # for the check across modules (see RuleReasoner.check_across)
    root_types: dict
    workload: dict  # unit IRI → (measures, lead, explicit): the document's share (loaders/summary.py)
    plan: tuple | None = None  # a plan's measures and headings, for the follow-up stage (followup.plan_measures_of_quads)
    entries: list | None = None  # its measure and provision rows of the search index (policykg.search.entries_of_quads)


_WORKER: dict = {}


def _init_worker(base: str, reason: bool, entries: bool = False) -> None:
    from policykg.ontology.rules import RuleReasoner

    _WORKER.update(emitter=Emitter(base), mint=Minter(base), reasoner=RuleReasoner() if reason else None,
                   entries=entries)


def _nt(quads) -> str:
    return "".join(f"{q.subject} {q.predicate} {q.object} .\n" for q in quads)


def _emit(p: ParsedSource, emitter: Emitter, mint: Minter, reasoner, entries: bool = False) -> list[Emitted]:
    """Each document's quads as text, with what the writer needs besides; ``entries``: its search index rows."""
    from policykg.ontology.reasoning import doc_owner
    from policykg.ontology.rules import nt_lines

    src = mint.source(p.source.sha256)
    out = []
    for doc in p.documents:
        know = emitter.knowledge(doc)
        quads = emitter.document_quads(p, doc, src, know)
        shared = {g: _nt(qs) for g, qs in emitter.shared_quads(doc, know).items()}
        inferred, foreign, problems, ftypes, rtypes = None, [], [], {}, {}
        if reasoner is not None:
            d_iri = mint.document(doc.key)
            result = reasoner.module(quads, doc_owner(d_iri), roots={d_iri})
            problems, ftypes, rtypes = result.problems, result.foreign_types, result.root_types
            if not problems:
                inferred = "".join(line + "\n" for line in nt_lines(result.own))
                foreign = sorted(result.foreign)
        out.append(Emitted(doc.key, _nt(quads), shared, inferred, foreign, problems, len(quads), ftypes, rtypes,
                           workload_of(know.responsibilities), plan_measures_of_quads(mint.document(doc.key), quads),
                           entries_of_quads(quads) if entries else None))
    return out


def _light(p: ParsedSource, keep_text: bool) -> ParsedSource:
    """What the writer needs of a parsed file: no source text or offsets unless debugging."""
    if keep_text:
        return p
    from dataclasses import replace

    for d in p.documents:
        d.provisions = []
    return replace(p, source=replace(p.source, text=""), normal=None)


def _parse_file(path: str, keep_text: bool = False, worker: dict | None = None):
    """Read, parse, extract, emit and reason one file (pure; runs in a worker process when ``jobs`` > 1).

    Returns ``(parsed, emitted documents, None)`` or ``(None, None, error fields)``: errors travel as plain
    fields because a dataclass exception does not survive pickling.
    """
    w = worker or _WORKER
    try:
        with time_budget(path):  # a file that takes too long is reported, and the build goes on
            p = parse_source(read_file(path))
            if not p.documents:
                raise PolicyKGError("no policy document found in the text", path, kind="parse-error")
            emitted = _emit(p, w["emitter"], w["mint"], w["reasoner"], w.get("entries", False))
        return _light(p, keep_text), emitted, None
    except PolicyKGError as exc:
        return None, None, (exc.reason, exc.source, exc.place, exc.kind, exc.details)
    except Exception as exc:  # a loader bug must not stop the other files
        return None, None, (f"could not be parsed ({type(exc).__name__}: {exc})", path, "", "parse-error", {})


def _parse_all(files: list[Path], base: str, jobs: int, show: bool, reason: bool, keep_text: bool,
               entries: bool = False):
    """Yield (file, parsed, emitted, error) in the order of ``files``; parsing runs on ``jobs`` processes,
    at most a window of files ahead of the writer, so memory does not grow with the corpus."""
    if jobs > 1 and len(files) >= 2 * jobs:
        import multiprocessing
        from collections import deque
        from concurrent.futures import ProcessPoolExecutor

        ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
        window = 16 * jobs
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                                 initargs=(base, reason, entries)) as pool:
            pending: deque = deque()
            it = iter(files)
            for f in it:
                pending.append((f, pool.submit(_parse_file, str(f), keep_text)))
                if len(pending) >= window:
                    break
            i = 0
            while pending:
                f, fut = pending.popleft()
                nxt = next(it, None)
                if nxt is not None:
                    pending.append((nxt, pool.submit(_parse_file, str(nxt), keep_text)))
                i += 1
                if show:
                    _progress(i, len(files), f.name, sys.stderr)
                yield (f, *fut.result())
    else:
        from policykg.ontology.rules import RuleReasoner

        worker = {"emitter": Emitter(base), "mint": Minter(base), "reasoner": RuleReasoner() if reason else None,
                  "entries": entries}
        for i, f in enumerate(files, start=1):
            if show:
                _progress(i, len(files), f.name, sys.stderr)
            yield (f, *_parse_file(str(f), keep_text, worker))


def _progress(i: int, n: int, name: str, stream) -> None:
    width = 24
    done = int(width * i / max(n, 1))
    stream.write(f"\r[{'#' * done}{'.' * (width - done)}] {i}/{n} {name[:40]:<40}")
    stream.flush()


def _sha(path: Path) -> str | None:
    import hashlib

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def build(
    paths: Iterable[str | os.PathLike],
    store: Store,
    base: str,
    progress: bool | None = None,
    debug_dir: str | os.PathLike | None = None,
    on_error: Callable[[PolicyKGError], None] | None = None,
    jobs: int | None = None,
    reason: bool = False,
    matching: str | None = None,
    optimize: bool | None = None,
) -> BuildSummary:
    """Build the given files and folders into ``store`` (see the module docstring).

    ``jobs``: processes that read, parse, emit and reason (default: one per CPU); the writes are one
    transaction per file in the order of the files, whatever ``jobs`` is, so the store does not depend on it.
    ``reason``: materialise each written document's entailments (OWL 2 RL rules, :mod:`policykg.ontology.rules`)
    in ``graph/inferred/doc/<key>`` in the same transaction, and the shared graphs' at the end; without it,
    the entailments of re-built documents are dropped (they would describe the old text).
    ``optimize``: compact the embedded store at the end (:meth:`Store.optimize`); ``None`` (default): when the
    build bulk-loaded an empty store or wrote more than a few files, not after a small re-build.
    """
    mint = Minter(base)
    meta = mint.meta_graph
    summary = BuildSummary()
    files, errors = collect_paths(paths)
    for e in errors:
        summary.errors.append(e)
        if on_error:
            on_error(e)
    show = sys.stderr.isatty() if progress is None else progress
    clock = time.perf_counter()

    # 1. what the store holds, and which recorded sources this build replaces: those recorded only under paths
    # being built, whose content is not among the new files (checksums are cheap; parsing comes later)
    # A few files (a re-build) look up only the records they concern; many files read all records at once.
    targeted = len(files) <= _TARGETED_MAX
    all_paths = {str(f) for f in files}
    existing = _meta_sources(store, meta, paths=sorted(all_paths) if targeted else None)
    new_iris = {mint.source(sha) for sha in (_sha(f) for f in files) if sha}
    replaced = {s for s, rec in existing.items() if s not in new_iris and rec["paths"] and rec["paths"] <= all_paths}
    candidates: dict[str, list[tuple[int, str, str]]] = {}  # doc IRI → [(count, sha, source IRI)]

    def add_candidates(records: dict[str, dict]) -> None:
        for s, rec in records.items():
            if s in replaced or s in new_iris:
                continue
            for d in rec["docs"]:
                c = candidates.setdefault(d, [])
                if (rec["count"], rec["sha"], s) not in c:
                    c.append((rec["count"], rec["sha"], s))

    add_candidates(existing)

    # 2. the ontology, in a graph of its own (type codes and labels for queries). A build into an empty store
    # writes in bulk (no transaction per file; on failure the store is emptied again)
    # a store that held no document before (a server store may hold its own graphs): its totals are worth
    # counting even after a build of a few files
    had_documents = bool(store.query("ASK { ?d a pkg:Document }"))
    # (files of the same content may repeat — a crawl's duplicates: the second copy writes its documents again
    # as one transaction, as a better source does, and the rest of the build stays a bulk load)
    bulk = hasattr(store, "bulk_insert") and store.is_empty()
    buffer: list[str] = []
    buffered = 0
    loader = BulkLoader(store) if bulk else None
    # a first build into the embedded store fills a new search index as it writes (policykg/search.py: Prepared)
    prepared = search.Prepared(store) if bulk and isinstance(store, Store) else None
    bulk_graphs: set[str] = set()  # graphs written by bulk loads in this build
    changed: set[str] = set()  # documents written or dropped: their follow-ups are matched again
    foreign: set[tuple[str, str, str]] = set()
    mentions: list = []  # per written document: the types it gives to individuals of other modules
    written_graphs: list[str] = []
    workload = WorkloadDelta()  # the workload totals this build changes (loaders/summary.py)
    plans: dict[str, tuple] = {}  # plan IRI → its measures and headings as written (for the follow-up stage)
    _load_ontology(store, mint)
    clock = _lap(summary, "prepare", clock)

    # 3. parse on every core; write each file as it comes, one transaction per file, in file order. A document
    # is written when its source is the best candidate so far (fewest documents, then smallest SHA-256), so the
    # last write of every document is from its canonical source whatever the order of files
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    parsed_ok: list[tuple[Path, ParsedSource]] = []
    mg = NamedNode(meta)
    for f, p, emitted, err in _parse_all(files, base, jobs or os.cpu_count() or 1, show, reason, bool(debug_dir),
                                         entries=prepared is not None):
        if err is not None:
            exc = PolicyKGError(*err)
            summary.errors.append(exc)
            summary.files.append(FileReport(path=str(f), ok=False, error=exc.as_dict()))
            if on_error:
                on_error(exc)
            continue
        parsed_ok.append((f, p))
        src = mint.source(p.source.sha256)
        report = FileReport(path=str(f), ok=True, documents=[d.key for d in p.documents], warnings=list(p.warnings))
        for d in p.documents:
            report.warnings.extend(f"{d.key}: {w}" for w in d.warnings)
        if targeted:  # the other sources holding this file's documents
            add_candidates(_meta_sources(store, meta, docs=[mint.document(d.key) for d in p.documents]))
        replacements: dict[str, str] = {}
        drops: list[str] = []
        meta_quads: list[Quad] = []
        shared: dict[str, list[str]] = {}
        delete: list[str] = []
        srcn = NamedNode(src)
        wrote: list[str] = []
        index_rows: list[tuple[str, list]] = []  # (document, its search index rows) written by this file
        shares: dict[str, dict] = {}  # graph → the new share of the document it holds
        for doc, em in zip(p.documents, emitted):
            d_iri = mint.document(doc.key)
            g_iri = mint.graph(doc.key)
            cands = candidates.setdefault(d_iri, [])
            mine = (len(p.documents), p.source.sha256, src)
            if mine not in cands:
                cands.append(mine)
            if min(cands) == mine:
                replacements[g_iri] = em.graph
                inferred_g = mint.inferred_graph_for(doc.key)
                if reason and em.inferred is not None:
                    replacements[inferred_g] = em.inferred
                    foreign.update(em.foreign)
                    mentions.append(ModuleResult(foreign_types=em.foreign_types, root_types=em.root_types))
                    summary.inferred += em.inferred.count("\n")
                else:
                    drops.append(inferred_g)
                for problem in em.problems:
                    summary.reasoning_problems.append(f"{doc.key}: {problem}")
                for graph_iri, text in em.shared.items():
                    shared.setdefault(graph_iri, []).append(text)
                wrote.append(doc.key)
                index_rows.append((d_iri, em.entries))
                shares[g_iri] = em.workload
                if em.plan is not None:
                    plans[d_iri] = em.plan
                else:
                    plans.pop(d_iri, None)
                changed.add(d_iri)
                delete.append(f"GRAPH <{meta}> {{ <{g_iri}> ?p ?o }}")
                meta_quads += [
                    Quad(NamedNode(g_iri), NamedNode(PKG + "canonicalSource"), srcn, mg),
                    Quad(NamedNode(g_iri), NamedNode(PROV + "generatedAtTime"), Literal(now, datatype=NamedNode(XSD + "dateTime")), mg),
                    Quad(NamedNode(g_iri), NamedNode(PKG + "policykgVersion"), Literal(__version__), mg),
                ]
                # every source (already recorded, or in this build so far) that holds the document
                for _, _, s in sorted(cands):
                    meta_quads.append(Quad(NamedNode(g_iri), NamedNode(PROV + "wasDerivedFrom"), NamedNode(s), mg))
            else:
                # not canonical: the graph stays as built from a better source; record this source too
                meta_quads.append(Quad(NamedNode(g_iri), NamedNode(PROV + "wasDerivedFrom"), srcn, mg))
            meta_quads.append(Quad(srcn, NamedNode(PKG + "containsDocument"), NamedNode(d_iri), mg))
        # the source's own record (replaces any record of the same content)
        delete.append(f"GRAPH <{meta}> {{ <{src}> ?p ?o }}")
        meta_quads += _source_quads(p, src, str(f), now, mg)
        # older content of this path: forget the path (sources left with no path are dropped at the end)
        for s, rec in existing.items():
            if str(f) in rec["paths"] and s != src:
                delete.append(f'GRAPH <{meta}> {{ <{s}> pkg:filePath {Literal(str(f))} }}')
        inserts = {meta: _nt(meta_quads), **{g: "".join(t) for g, t in shared.items()}}
        try:
            if bulk and set(replacements) & bulk_graphs:
                # a document this build already wrote gets a better source: a bulk load cannot drop the first
                # copy (both would end up in one graph), so the loads so far are finished and this file is
                # written as one transaction, as into a non-empty store
                if buffer:
                    loader.put("".join(buffer))
                    buffer.clear()
                    buffered = 0
                loader.close()
                store.apply(replacements, drops=drops, delete_where=_with_prefixes(delete), inserts=inserts)
                loader = BulkLoader(store)
                bulk_graphs.update(replacements)
                workload.fresh.update(shares)
                _prepare_rows(prepared, index_rows)
            elif bulk:  # nothing to drop or delete in a store that was empty
                bulk_graphs.update(replacements)
                for graph_iri, text in sorted({**replacements, **inserts}.items()):
                    buffer.append(text.replace(" .\n", f" <{graph_iri}> .\n"))
                    buffered += len(text)
                if buffered >= BULK_BATCH:
                    loader.put("".join(buffer))
                    buffer.clear()
                    buffered = 0
                workload.fresh.update(shares)
                _prepare_rows(prepared, index_rows)
            else:
                old = {g: workload_in_graph(store, g) for g in shares}
                store.apply(replacements, drops=drops, delete_where=_with_prefixes(delete), inserts=inserts)
                for g, share in shares.items():
                    workload.add(old[g], -1)
                    workload.add(share)
        except PolicyKGError as exc:
            if bulk:
                loader.abandon()
                store.clear()  # it was empty: leave nothing half-written
                if prepared is not None:
                    prepared.discard()
                raise
            report.ok = False
            report.error = exc.as_dict()
            summary.errors.append(exc)
            if on_error:
                on_error(exc)
            wrote = []
        report.written = wrote
        written_graphs += [mint.graph(k) for k in wrote]
        summary.files.append(report)
    if bulk:
        try:
            if buffer:
                loader.put("".join(buffer))
                buffer.clear()
            loader.close()
        except PolicyKGError:
            store.clear()  # it was empty: leave nothing half-written
            if prepared is not None:
                prepared.discard()
            raise
    if show:
        sys.stderr.write("\n")
    if debug_dir:
        _dump_debug(parsed_ok, Path(debug_dir))
    clock = _lap(summary, "parse+write", clock)

    try:
        # 4. sources this build replaced: forget them, and drop the documents no source holds any more
        ok_paths = {str(f) for f, _ in parsed_ok}
        gone = {s for s in replaced if existing[s]["paths"] <= ok_paths}
        if gone:
            delete, drops = [], []
            for s in sorted(gone):
                delete.append(f"GRAPH <{meta}> {{ <{s}> ?p ?o }}")
                delete.append(f"GRAPH <{meta}> {{ ?g <{PROV}wasDerivedFrom> <{s}> }}")
                for d_iri in sorted(existing[s]["docs"]):
                    if not candidates.get(d_iri):
                        key = d_iri[len(mint.document("")):]
                        drops += [mint.graph(key), mint.inferred_graph_for(key)]
                        workload.add(workload_in_graph(store, mint.graph(key)), -1)
                        changed.add(d_iri)
                        delete.append(f"GRAPH <{meta}> {{ <{mint.graph(key)}> ?p ?o }}")
            store.apply({}, drops=drops, delete_where=_with_prefixes(delete))
        resolve_links(store, mint, changed=changed if targeted and not bulk else None)
        clock = _lap(summary, "links", clock)
        from .followup import link_followups, matching as followup_matching, store_has_graph

        link_followups(store, mint, how=followup_matching(matching), changed=changed, bulk=bulk, known=plans)
        workload.write(store, mint, bulk)
        write_order(store, mint, changed=changed if targeted else None, bulk=bulk)
        clock = _lap(summary, "follow-ups", clock)
        if reason:
            _reason_shared(store, mint, foreign, mentions, written_graphs, summary)
        elif any(store_has_graph(store, g) for g in (mint.inferred_shared_graph, mint.inferred_links_graph)):
            store.apply({}, drops=[mint.inferred_shared_graph, mint.inferred_links_graph])
        clock = _lap(summary, "reason (shared)", clock)
        # the lists' materialised answers, from the graphs as they now stand (entailments included)
        write_in_force(store, mint, changed=changed if targeted else None, bulk=bulk)
        write_dates_order(store, mint, changed=changed if targeted else None, bulk=bulk)
        write_links_order(store, mint, changed=changed if targeted else None, bulk=bulk)
        clock = _lap(summary, "lists", clock)
        _flush_with_search_index(store, changed if targeted and not bulk else None, prepared)
        clock = _lap(summary, "search index+flush", clock)
        if (bulk or not targeted) if optimize is None else optimize:
            _optimize(store)
            clock = _lap(summary, "optimize", clock)
        _count(store, summary, mint, triples=bulk or not targeted or not had_documents)
        _lap(summary, "count", clock)
    except BaseException:
        if prepared is not None:
            prepared.discard()  # not swapped in: no stray file
        raise
    summary.files.sort(key=lambda r: r.path)
    return summary


def _prepare_rows(prepared, rows: list[tuple[str, list]]) -> None:
    if prepared is not None:
        for doc, entries in rows:
            prepared.add(doc, entries)


def _flush_with_search_index(store, changed: set[str] | None, prepared=None) -> None:
    """Flush the store (a new generation) with the search index beside it brought in step: the rows of the
    documents written or dropped (``None``: all), committed with that generation (policykg/search.py). A remote
    store has no place for an index: ``policykg search-index --endpoint … --index FILE`` writes one."""
    from policykg.store import Store

    if isinstance(store, Store):
        from policykg import search

        search.sync(store, changed, store.flush, prepared)
    else:
        store.flush()


def _optimize(store) -> None:
    """Compact the embedded store (a server store compacts itself: nothing to do)."""
    if hasattr(store, "optimize"):
        store.optimize()


def _reason_shared(store, mint: Minter, foreign: set, mentions: list, written: list[str],
                   summary: BuildSummary) -> None:
    """The shared graphs' module, the entailed links across modules, and the check across modules of what
    this build wrote against the shared graphs (``policykg reason`` checks every module against every other).
    On an inconsistency the inferred graphs of this build are taken back."""
    from policykg.ontology.reasoning import asserted_among, module_quads, shared_module
    from policykg.ontology.rules import RuleReasoner

    reasoner = RuleReasoner()
    result = shared_module(store, mint, reasoner)
    summary.reasoning_problems += result.problems
    summary.reasoning_problems += reasoner.check_across(mentions + [result])
    if summary.reasoning_problems:
        keys = [mint.doc_key_of_graph(g) for g in written]
        store.apply({}, drops=[mint.inferred_graph_for(k) for k in keys if k] + [mint.inferred_shared_graph])
        return
    # the links graph holds every document's entailed links about other modules' individuals: those of the
    # documents this build did not write stay valid; those of the documents it wrote are replaced
    old = {(q.subject.value, q.predicate.value, q.object.value) for q in store.quads(mint.inferred_links_graph)}
    written_docs = {mint.document(k) for k in (mint.doc_key_of_graph(g) for g in written) if k}
    keep = {t for t in old if not any(t[2] == d or t[2].startswith(d + "/") for d in written_docs)}
    links = (keep | foreign) - asserted_among(store, mint, keep | foreign)
    g = NamedNode(mint.inferred_links_graph)
    shared = module_quads(mint.inferred_shared_graph, result)
    store.apply({
        mint.inferred_shared_graph: shared,
        mint.inferred_links_graph: [Quad(NamedNode(s), NamedNode(p), NamedNode(o), g) for s, p, o in sorted(links)],
    })
    summary.inferred += len(shared) + len(links)


def _lap(summary: BuildSummary, stage: str, since: float) -> float:
    now = time.perf_counter()
    summary.seconds[stage] = summary.seconds.get(stage, 0.0) + now - since
    return now


_SHARED_INPUTS = ("policykg.ttl", "agencies.ttl", "agencies-national.ttl", "places.ttl")


def _load_ontology(store: Store, mint: Minter) -> None:
    """The ontology, the agency authority list and the places, each in a graph of its own. Skipped when the
    metadata graph records that they were written from the same files (``pkg:inputsSha256`` of the ontology
    graph, over these files and the base IRI) and the ontology graph is there: a re-build of one document does
    not parse and rewrite them (0.25 s)."""
    import hashlib
    from importlib import resources

    from pyoxigraph import RdfFormat, parse

    from policykg.ontology import ontology_text

    from .authority import Authority

    digest = hashlib.sha256(mint.base.encode("utf-8"))
    for name in _SHARED_INPUTS:
        digest.update(b"\0" + resources.files("policykg.ontology").joinpath(name).read_bytes())
    sha = Literal(digest.hexdigest())
    onto, meta = NamedNode(mint.ontology_graph), NamedNode(mint.meta_graph)
    if store.query(f"ASK {{ GRAPH {meta} {{ {onto} pkg:inputsSha256 {sha} }} GRAPH {onto} {{ ?s ?p ?o }} }}"):
        return
    auth = Authority(mint.base)
    graphs = {
        mint.ontology_graph: list(parse(ontology_text(), format=RdfFormat.TURTLE)),
        mint.authority_graph: auth.agency_triples,
    }
    # the places graph also holds the gazetteer's places that documents named (written with each document),
    # so the listed places are added to it, never replacing it
    places = [Quad(t.subject, t.predicate, t.object, NamedNode(mint.places_graph)) for t in auth.place_triples]
    store.apply({g: [Quad(t.subject, t.predicate, t.object, NamedNode(g)) for t in triples] for g, triples in graphs.items()},
                delete_where=[f"GRAPH {meta} {{ {onto} <{PKG}inputsSha256> ?sha }}"],
                inserts={mint.places_graph: places, mint.meta_graph: [Quad(onto, NamedNode(PKG + "inputsSha256"), sha, meta)]})


def resolve_links(store: Store, mint: Minter, changed: set[str] | None = None) -> int:
    """Cited acts → documents of the store (same title; same number when the citation gives one).

    Recomputed at the end of every build, into ``graph/links``, so a document built later resolves the
    citations of documents built before it without rebuilding them: over the whole store, or — ``changed``,
    the documents a re-build of a few files wrote or dropped — for the acts they concern only (those they cite,
    those resolving to them, those with their title key), through the stored title keys (``pkg:titleKey``).
    """
    from .patterns import title_key

    if changed is not None:
        done = _resolve_some(store, mint, changed)
        if done is not None:
            link_editions(store, mint, changed)
            return done

    # three plain queries: an OPTIONAL property path per document cost 0.8 s on 1,000 documents, these 0.08 s
    numbers: dict[str, set[str]] = {}
    for row in store.query("SELECT ?doc ?number WHERE { ?doc a pkg:Document ; eli:id_local ?number }"):
        numbers.setdefault(row["doc"].value, set()).add(row["number"].value)
    for row in store.query("SELECT ?doc ?issuing WHERE { ?doc pkg:promulgatedBy ?n . ?n eli:id_local ?issuing }"):
        numbers.setdefault(row["doc"].value, set()).add(row["issuing"].value)
    docs: dict[str, list[tuple[str, set[str]]]] = {}
    for row in store.query("SELECT ?doc ?title WHERE { ?doc a pkg:Document ; dct:title ?title }"):
        doc = row["doc"].value
        docs.setdefault(title_key(row["title"].value), []).append((doc, numbers.get(doc, set())))
    g = NamedNode(mint.links_graph)
    quads = set()
    for row in store.query(
        f"""SELECT ?act ?title ?number WHERE {{ GRAPH <{mint.acts_graph}> {{ ?act a pkg:ExternalAct ; dct:title ?title .
            OPTIONAL {{ ?act eli:id_local ?number }} }} }}"""
    ):
        number = row["number"].value if row["number"] is not None else None
        for doc, numbers in docs.get(title_key(row["title"].value), []):
            if number is None or number in numbers:
                quads.add(Quad(row["act"], NamedNode(PKG + "resolvesTo"), NamedNode(doc), g))
    store.apply({mint.links_graph: sorted(quads, key=str)}, drops=[mint.links_graph])
    link_editions(store, mint)
    return len(quads)


EDITION_EXCLUDED_TYPES = {"decree"}  # 上海市人民政府令第9号 of 2009 and of 2024 are two decrees, not two editions


def link_editions(store: Store, mint: Minter, changed: set[str] | None = None) -> int:
    """Successive editions of a document, as ``pkg:previousEdition`` / ``pkg:nextEdition`` in ``graph/links``.

    Documents are editions of one another when they have the same title key (``pkg:titleKey``), the same
    document type (not decrees, whose titles are only their number) and the same places, and they come
    into force on different dates — the entry-into-force date, else the date signed, else published; a
    document with none of these dates is no edition. Each edition is linked to the one of the nearest
    earlier date (all of them when several share that date). This covers a regulation that repeals its
    predecessor of the same title (《上海市森林管理规定》同时废止), a 办法 and its 重新发布 re-issue.

    Over the whole store (``changed`` None), or for the title keys the ``changed`` documents have or had
    (those they are linked with) only: the same links as the whole-store computation."""
    def vals(iris) -> str:
        return " ".join(f"<{i}>" for i in sorted(iris))

    nxt, prev = NamedNode(PKG + "nextEdition"), NamedNode(PKG + "previousEdition")
    g = NamedNode(mint.links_graph)
    key_filter = ""
    if changed is not None:
        if not changed:
            return 0
        linked = {r["x"].value for r in store.query(
            f"""SELECT ?x WHERE {{ VALUES ?d {{ {vals(changed)} }} GRAPH <{mint.links_graph}> {{
                 {{ ?d <{PKG}nextEdition> ?x }} UNION {{ ?d <{PKG}previousEdition> ?x }} }} }}""")}
        keys = {r["k"].value for r in store.query(
            f"SELECT ?k WHERE {{ VALUES ?d {{ {vals(changed | linked)} }} ?d a pkg:Document ; pkg:titleKey ?k }}")}
        key_filter = "VALUES ?k { " + " ".join(str(Literal(k)) for k in sorted(keys)) + " } "
        if not keys:
            key_filter = ""
    rows = [] if changed is not None and not key_filter else store.query(
        f"""SELECT ?doc ?k ?type ?place ?force ?signed ?published WHERE {{ {key_filter}
            ?doc a pkg:Document ; pkg:titleKey ?k ; pkg:documentType ?type .
            OPTIONAL {{ ?doc pkg:place ?place }} OPTIONAL {{ ?doc eli:first_date_entry_in_force ?force }}
            OPTIONAL {{ ?doc eli:date_document ?signed }} OPTIONAL {{ ?doc eli:date_publication ?published }} }}""")
    docs: dict[str, dict] = {}
    for r in rows:
        d = docs.setdefault(r["doc"].value, {"key": r["k"].value, "type": r["type"].value, "places": set(),
                                              "force": set(), "signed": set(), "published": set()})
        for name in ("force", "signed", "published"):
            if r[name] is not None:
                d[name].add(r[name].value)
        if r["place"] is not None:
            d["places"].add(r["place"].value)
    groups: dict[tuple, dict[str, list[str]]] = {}  # (key, type, places) → date → documents
    for doc, d in docs.items():
        start = min(d["force"] or d["signed"] or d["published"] or {""})
        if not start or d["type"].rsplit("#", 1)[-1] in EDITION_EXCLUDED_TYPES:
            continue
        groups.setdefault((d["key"], d["type"], tuple(sorted(d["places"]))), {}).setdefault(start, []).append(doc)
    quads = set()
    for by_date in groups.values():
        dates = sorted(by_date)
        for earlier, later in zip(dates, dates[1:]):
            for e in by_date[earlier]:
                for l in by_date[later]:
                    quads |= {Quad(NamedNode(l), prev, NamedNode(e), g), Quad(NamedNode(e), nxt, NamedNode(l), g)}
    if changed is None:
        store.apply({}, delete_where=[f"GRAPH <{mint.links_graph}> {{ ?d <{PKG}{p}> ?x }}" for p in ("nextEdition", "previousEdition")],
                    inserts={mint.links_graph: sorted(quads, key=str)})
    else:
        touched = set(changed) | set(docs)
        store.apply({}, delete_where=[f"GRAPH <{mint.links_graph}> {{ <{d}> <{PKG}{p}> ?x }}"
                                      for d in sorted(touched) for p in ("nextEdition", "previousEdition")],
                    inserts={mint.links_graph: sorted(quads, key=str)})
    return len(quads)


def _resolve_some(store: Store, mint: Minter, changed: set[str]) -> int | None:
    """:func:`resolve_links` for the acts ``changed`` documents concern; None when the store has acts without
    a title key (built by an earlier version): then the whole store is resolved."""
    if store.query(f"ASK {{ GRAPH <{mint.acts_graph}> {{ ?a a pkg:ExternalAct FILTER NOT EXISTS {{ ?a pkg:titleKey ?k }} }} }}"):
        return None
    if not changed:
        return 0

    def vals(iris) -> str:
        return " ".join(f"<{i}>" for i in sorted(iris))

    def col(q: str, var: str) -> set[str]:
        return {r[var].value for r in store.query(q)}

    docs = set(changed) | col(f"SELECT ?p WHERE {{ VALUES ?n {{ {vals(changed)} }} ?p pkg:promulgatedBy ?n }}", "p")
    graphs = vals(mint.graph(d[len(mint.document("")):]) for d in changed if d.startswith(mint.document("")))
    acts = col(f"""SELECT DISTINCT ?act WHERE {{ VALUES ?g {{ {graphs} }} GRAPH ?g {{ ?s ?p ?act }}
                   GRAPH <{mint.acts_graph}> {{ ?act a pkg:ExternalAct }} }}""", "act")
    acts |= col(f"SELECT ?act WHERE {{ VALUES ?d {{ {vals(docs)} }} GRAPH <{mint.links_graph}> {{ ?act pkg:resolvesTo ?d }} }}", "act")
    keys = col(f"SELECT ?k WHERE {{ VALUES ?d {{ {vals(docs)} }} ?d a pkg:Document ; pkg:titleKey ?k }}", "k")
    if keys:
        key_values = " ".join(str(Literal(k)) for k in sorted(keys))
        acts |= col(f"SELECT ?act WHERE {{ VALUES ?k {{ {key_values} }} GRAPH <{mint.acts_graph}> {{ ?act pkg:titleKey ?k }} }}", "act")
    if not acts:
        return 0
    act_rows = list(store.query(f"""SELECT ?act ?k ?number WHERE {{ VALUES ?act {{ {vals(acts)} }}
                                    GRAPH <{mint.acts_graph}> {{ ?act pkg:titleKey ?k OPTIONAL {{ ?act eli:id_local ?number }} }} }}"""))
    candidates: dict[str, dict[str, set[str]]] = {}  # key → document → its numbers
    wanted = " ".join(sorted({str(r["k"]) for r in act_rows}))
    if wanted:
        for r in store.query(f"""SELECT ?k ?doc ?number WHERE {{ VALUES ?k {{ {wanted} }} ?doc a pkg:Document ; pkg:titleKey ?k .
                                 OPTIONAL {{ {{ ?doc eli:id_local ?number }} UNION {{ ?doc pkg:promulgatedBy ?n . ?n eli:id_local ?number }} }} }}"""):
            numbers = candidates.setdefault(r["k"].value, {}).setdefault(r["doc"].value, set())
            if r["number"] is not None:
                numbers.add(r["number"].value)
    g = NamedNode(mint.links_graph)
    quads = set()
    for r in act_rows:
        number = r["number"].value if r["number"] is not None else None
        for doc, numbers in candidates.get(r["k"].value, {}).items():
            if number is None or number in numbers:
                quads.add(Quad(r["act"], NamedNode(PKG + "resolvesTo"), NamedNode(doc), g))
    store.apply({}, delete_where=[f"GRAPH <{mint.links_graph}> {{ <{a}> <{PKG}resolvesTo> ?d }}" for a in sorted(acts)],
                inserts={mint.links_graph: sorted(quads, key=str)})
    return len(quads)


def _with_prefixes(patterns: list[str]) -> list[str]:
    return [p.replace("pkg:filePath", f"<{PKG}filePath>") for p in patterns]


def _source_quads(p: ParsedSource, src: str, path: str, now: str, mg: NamedNode) -> list[Quad]:
    s = NamedNode(src)
    q = [
        Quad(s, NamedNode(RDF + "type"), NamedNode(PKG + "SourceFile"), mg),
        Quad(s, NamedNode(PKG + "filePath"), Literal(path), mg),
        Quad(s, NamedNode(PKG + "sha256"), Literal(p.source.sha256), mg),
        Quad(s, NamedNode(PKG + "format"), Literal(p.source.format), mg),
        Quad(s, NamedNode(PKG + "byteSize"), Literal(str(p.source.size), datatype=NamedNode(XSD + "integer")), mg),
        Quad(s, NamedNode(PKG + "documentCount"), Literal(str(len(p.documents)), datatype=NamedNode(XSD + "integer")), mg),
        Quad(s, NamedNode(PROV + "generatedAtTime"), Literal(now, datatype=NamedNode(XSD + "dateTime")), mg),
    ]
    if p.source.encoding:
        q.append(Quad(s, NamedNode(PKG + "encoding"), Literal(p.source.encoding), mg))
    return q


def _count(store: Store, summary: BuildSummary, mint: Minter, triples: bool = True) -> None:
    """Totals of the store: one COUNT per kind (index scans), and the number of quads — a scan of the whole
    store. After a small re-build (``triples`` false) only documents and articles are counted (milliseconds);
    measures, provisions and quads are left None (0.2 s and more at 10,000 documents; ``policykg stats`` counts
    them)."""
    def count(pattern: str) -> int:
        return int(next(iter(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")))["n"].value)

    summary.documents = count("?d a pkg:Document")
    summary.articles = count("?a a pkg:Article")
    summary.measures = count("?m a pkg:Measure") if triples else None
    summary.provisions = count("?p pkg:inDocument ?doc") if triples else None
    summary.triples = len(store) if triples else None


def _dump_debug(parsed: list[tuple[Path, ParsedSource]], out: Path) -> None:
    """Intermediate records as JSON, one file per source, for debugging the loaders."""
    out.mkdir(parents=True, exist_ok=True)
    for f, p in parsed:
        record = {
            "path": str(f),
            "format": p.source.format,
            "encoding": p.source.encoding,
            "sha256": p.source.sha256,
            "normalised_lines": [p.normal.line(i) for i in range(len(p.normal.lines))],
            "documents": [d.to_json() for d in p.documents],
            "warnings": p.warnings,
        }
        (out / f"{f.name}.json").write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
