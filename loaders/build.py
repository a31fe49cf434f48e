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
from policykg.store import Store

from .emit import Emitter
from .model import ParsedSource
from .parse import parse_source
from .read import read_file

_SKIP_NAMES = ("readme", "license", "licence", "changelog", ".")
_BULK_BATCH = 500_000  # quads per bulk load


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
    measures: int = 0
    articles: int = 0
    provisions: int = 0
    triples: int = 0
    errors: list[PolicyKGError] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per stage

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


def collect_paths(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[PolicyKGError]]:
    """Files named, and files under folders named (recursively, sorted; README/LICENSE and hidden files skipped)."""
    out: list[Path] = []
    errors: list[PolicyKGError] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for f in sorted(path.rglob("*")):
                rel = f.relative_to(path)
                if f.is_file() and not any(part.lower().startswith(_SKIP_NAMES) for part in rel.parts):
                    out.append(f)
        elif path.exists():
            out.append(path)
        else:
            errors.append(ReadError("does not exist", str(path)))
    return out, errors


def _meta_sources(store: Store, meta: str) -> dict[str, dict]:
    """Sources recorded in the metadata graph: IRI → {paths, sha, count, docs}."""
    res = store.query(
        f"""SELECT ?src ?path ?sha ?count ?doc WHERE {{ GRAPH <{meta}> {{
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


_WORKER_EMITTER: Emitter | None = None


def _init_worker(base: str) -> None:
    global _WORKER_EMITTER
    _WORKER_EMITTER = Emitter(base)


def _parse_file(path: str, emitter: Emitter | None = None):
    """Read, parse and extract the knowledge of one file (pure; runs in a worker process when ``jobs`` > 1).

    Returns ``(parsed, knowledge per document, None)`` or ``(None, None, error fields)``: errors travel as plain
    fields because a dataclass exception does not survive pickling.
    """
    emitter = emitter or _WORKER_EMITTER
    try:
        p = parse_source(read_file(path))
        if not p.documents:
            raise PolicyKGError("no policy document found in the text", path, kind="parse-error")
        return p, [emitter.knowledge(d) for d in p.documents], None
    except PolicyKGError as exc:
        return None, None, (exc.reason, exc.source, exc.place, exc.kind, exc.details)
    except Exception as exc:  # a loader bug must not stop the other files
        return None, None, (f"could not be parsed ({type(exc).__name__}: {exc})", path, "", "parse-error", {})


def _parse_all(files: list[Path], base: str, emitter: Emitter, jobs: int, show: bool):
    """Yield (file, parsed, knowledge, error) in the order of ``files``, parsing on ``jobs`` processes."""
    if jobs > 1 and len(files) >= 2 * jobs:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker, initargs=(base,)) as pool:
            results = pool.map(_parse_file, [str(f) for f in files], chunksize=max(1, min(16, len(files) // (8 * jobs))))
            for i, (f, r) in enumerate(zip(files, results), start=1):
                if show:
                    _progress(i, len(files), f.name, sys.stderr)
                yield (f, *r)
    else:
        for i, f in enumerate(files, start=1):
            if show:
                _progress(i, len(files), f.name, sys.stderr)
            yield (f, *_parse_file(str(f), emitter))


def _progress(i: int, n: int, name: str, stream) -> None:
    width = 24
    done = int(width * i / max(n, 1))
    stream.write(f"\r[{'#' * done}{'.' * (width - done)}] {i}/{n} {name[:40]:<40}")
    stream.flush()


def build(
    paths: Iterable[str | os.PathLike],
    store: Store,
    base: str,
    progress: bool | None = None,
    debug_dir: str | os.PathLike | None = None,
    on_error: Callable[[PolicyKGError], None] | None = None,
    jobs: int | None = None,
) -> BuildSummary:
    """Build the given files and folders into ``store`` (see the module docstring).

    ``jobs``: processes that read and parse files (default: one per CPU); the writes are one transaction per
    file in the order of the files, whatever ``jobs`` is, so the store does not depend on it.
    """
    mint = Minter(base)
    emitter = Emitter(base)
    meta = mint.meta_graph
    summary = BuildSummary()
    files, errors = collect_paths(paths)
    for e in errors:
        summary.errors.append(e)
        if on_error:
            on_error(e)
    show = sys.stderr.isatty() if progress is None else progress

    # 1. read and parse every file (pure; nothing written yet), on ``jobs`` processes
    clock = time.perf_counter()
    parsed: list[tuple[Path, ParsedSource]] = []
    knowledge: dict[int, list] = {}
    for f, p, know, err in _parse_all(files, base, emitter, jobs or os.cpu_count() or 1, show):
        if err is not None:
            exc = PolicyKGError(*err)
            summary.errors.append(exc)
            summary.files.append(FileReport(path=str(f), ok=False, error=exc.as_dict()))
            if on_error:
                on_error(exc)
            continue
        knowledge[id(p)] = know
        parsed.append((f, p))
    if show:
        sys.stderr.write("\n")
    if debug_dir:
        _dump_debug(parsed, Path(debug_dir))
    clock = _lap(summary, "read+parse+extract", clock)

    # 2. decide, per document, which source its graph is built from
    existing = _meta_sources(store, meta)
    rebuilt_paths = {str(f) for f, _ in parsed}
    # sources that will no longer exist: recorded only under paths being rebuilt with other content
    new_sources = {mint.source(p.source.sha256): p for _, p in parsed}
    vanishing = {
        s for s, rec in existing.items()
        if s not in new_sources and rec["paths"] and rec["paths"] <= rebuilt_paths
    }
    candidates: dict[str, list[tuple[int, str, str]]] = {}  # doc IRI → [(count, sha, source IRI)]
    for s, rec in existing.items():
        if s in vanishing or s in new_sources:
            continue
        for d in rec["docs"]:
            candidates.setdefault(d, []).append((rec["count"], rec["sha"], s))
    for s, p in new_sources.items():
        for doc in p.documents:
            candidates.setdefault(mint.document(doc.key), []).append((len(p.documents), p.source.sha256, s))
    canonical = {d: min(c)[2] for d, c in candidates.items()}

    # 3. the ontology, in a graph of its own (type codes and labels for queries). A build into an empty store
    # whose files all differ writes in bulk (no transaction per file; on failure the store is emptied again)
    bulk = hasattr(store, "bulk_insert") and len(new_sources) == len(parsed) and store.is_empty()
    buffer: list[Quad] = []
    changed: set[str] = set()  # documents written or dropped: their follow-ups are matched again
    _load_ontology(store, mint)

    # 4. write, one transaction per file
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    for f, p in parsed:
        src = mint.source(p.source.sha256)
        report = FileReport(path=str(f), ok=True, documents=[d.key for d in p.documents], warnings=list(p.warnings))
        for d in p.documents:
            report.warnings.extend(f"{d.key}: {w}" for w in d.warnings)
        replacements: dict[str, list[Quad]] = {}
        meta_quads: list[Quad] = []
        shared: dict[str, list[Quad]] = {}
        delete: list[str] = []
        mg = NamedNode(meta)
        srcn = NamedNode(src)
        for doc, know in zip(p.documents, knowledge.pop(id(p))):
            d_iri = mint.document(doc.key)
            g_iri = mint.graph(doc.key)
            if canonical.get(d_iri) == src:
                replacements[g_iri] = emitter.document_quads(p, doc, src, know)
                for graph_iri, quads in emitter.shared_quads(doc, know).items():
                    shared.setdefault(graph_iri, []).extend(quads)
                report.written.append(doc.key)
                changed.add(d_iri)
                delete.append(f"GRAPH <{meta}> {{ <{g_iri}> ?p ?o }}")
                meta_quads += [
                    Quad(NamedNode(g_iri), NamedNode(PKG + "canonicalSource"), srcn, mg),
                    Quad(NamedNode(g_iri), NamedNode(PROV + "generatedAtTime"), Literal(now, datatype=NamedNode(XSD + "dateTime")), mg),
                    Quad(NamedNode(g_iri), NamedNode(PKG + "policykgVersion"), Literal(__version__), mg),
                ]
                # every source (already recorded, or in this batch) that holds the document
                for _, _, s in candidates.get(d_iri, []):
                    meta_quads.append(Quad(NamedNode(g_iri), NamedNode(PROV + "wasDerivedFrom"), NamedNode(s), mg))
            else:
                # not canonical: the graph stays as built from its canonical source; record this source too
                meta_quads.append(Quad(NamedNode(g_iri), NamedNode(PROV + "wasDerivedFrom"), srcn, mg))
            meta_quads.append(Quad(srcn, NamedNode(PKG + "containsDocument"), NamedNode(d_iri), mg))
        # the source's own record (replaces any record of the same content)
        delete.append(f"GRAPH <{meta}> {{ <{src}> ?p ?o }}")
        meta_quads += _source_quads(p, src, str(f), now, mg)
        # older content of this path: forget it, and drop documents nobody holds any more
        drops: list[str] = []
        for s, rec in existing.items():
            if str(f) not in rec["paths"] or s == src:
                continue
            delete.append(f'GRAPH <{meta}> {{ <{s}> pkg:filePath "{_esc(str(f))}" }}')
            if s in vanishing:
                delete.append(f"GRAPH <{meta}> {{ <{s}> ?p ?o }}")
                delete.append(f"GRAPH <{meta}> {{ ?g <{PROV}wasDerivedFrom> <{s}> }}")
                for d_iri in rec["docs"]:
                    if d_iri not in canonical:
                        key = d_iri[len(mint.document("")):]
                        drops.append(mint.graph(key))
                        changed.add(d_iri)
                        delete.append(f"GRAPH <{meta}> {{ <{mint.graph(key)}> ?p ?o }}")
        try:
            if bulk:  # nothing to drop or delete in a store that was empty
                for graph_iri, quads in sorted({**replacements, **shared, meta: meta_quads}.items()):
                    gn = NamedNode(graph_iri)
                    buffer.extend(Quad(q.subject, q.predicate, q.object, gn) for q in quads)
                if len(buffer) >= _BULK_BATCH:
                    store.bulk_insert(buffer)
                    buffer.clear()
            else:
                store.apply(
                    replacements,
                    drops=drops,
                    delete_where=_with_prefixes(delete),
                    inserts={meta: meta_quads, **shared},
                )
        except PolicyKGError as exc:
            if bulk:
                store.clear()  # it was empty: leave nothing half-written
                raise
            report.ok = False
            report.error = exc.as_dict()
            summary.errors.append(exc)
            if on_error:
                on_error(exc)
        summary.files.append(report)
    if buffer:
        try:
            store.bulk_insert(buffer)
        except PolicyKGError:
            store.clear()
            raise
        buffer.clear()
    clock = _lap(summary, "write", clock)
    resolve_links(store, mint)
    clock = _lap(summary, "links", clock)
    from .followup import link_followups

    link_followups(store, mint, changed=changed)
    clock = _lap(summary, "follow-ups", clock)
    store.flush()
    _count(store, summary, mint)
    _lap(summary, "flush+count", clock)
    summary.files.sort(key=lambda r: r.path)
    return summary


def _lap(summary: BuildSummary, stage: str, since: float) -> float:
    now = time.perf_counter()
    summary.seconds[stage] = summary.seconds.get(stage, 0.0) + now - since
    return now


def _load_ontology(store: Store, mint: Minter) -> None:
    """The ontology, the agency authority list and the places, each in a graph of its own."""
    from pyoxigraph import RdfFormat, parse

    from policykg.ontology import ontology_text

    from .authority import Authority

    auth = Authority(mint.base)
    graphs = {
        mint.ontology_graph: list(parse(ontology_text(), format=RdfFormat.TURTLE)),
        mint.authority_graph: auth.agency_triples,
        mint.places_graph: auth.place_triples,
    }
    store.apply({g: [Quad(t.subject, t.predicate, t.object, NamedNode(g)) for t in triples] for g, triples in graphs.items()})


def resolve_links(store: Store, mint: Minter) -> int:
    """Cited acts → documents of the store (same title; same number when the citation gives one).

    Recomputed over the whole store at the end of every build, into ``graph/links``, so a document
    built later resolves the citations of documents built before it without rebuilding them.
    """
    from .patterns import title_key

    docs = {}
    for row in store.query(
        """SELECT ?doc ?title ?number ?issuing WHERE { ?doc a pkg:Document ; dct:title ?title .
           OPTIONAL { ?doc eli:id_local ?number } OPTIONAL { ?doc pkg:promulgatedBy/eli:id_local ?issuing } }"""
    ):
        numbers = {t.value for t in (row["number"], row["issuing"]) if t is not None}
        docs.setdefault(title_key(row["title"].value), []).append((row["doc"].value, numbers))
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
    return len(quads)


def _esc(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


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


def _count(store: Store, summary: BuildSummary, mint: Minter) -> None:
    row = next(iter(store.query(
        """SELECT (COUNT(DISTINCT ?d) AS ?docs) (COUNT(DISTINCT ?m) AS ?meas)
                  (COUNT(DISTINCT ?a) AS ?arts) (COUNT(DISTINCT ?p) AS ?provs)
           WHERE { { ?d a pkg:Document } UNION { ?m a pkg:Measure } UNION { ?a a pkg:Article }
                   UNION { ?p pkg:inDocument ?doc } }"""
    )))
    summary.documents = int(row["docs"].value)
    summary.measures = int(row["meas"].value)
    summary.articles = int(row["arts"].value)
    summary.provisions = int(row["provs"].value)
    summary.triples = len(store)


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
