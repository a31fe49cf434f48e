"""Getting the data out over HTTP: the dump (/dump.nq.gz), its VoID description (/void, /.well-known/void)
and the read side of the SPARQL 1.1 Graph Store Protocol (/store?graph=IRI, /store?default, and every graph
IRI minted under the base, which dereferences here: see :func:`graph_response`).

These read quads, never query text: a graph is read with pyoxigraph's ``quads_for_pattern`` and a
``NamedNode``, on a read-only handle that this (HTTP) process opens on the embedded store and reopens when
the store's generation changes (:func:`policykg.store.generation`; a completed build or, in update mode, a
completed SPARQL Update marks a new one). No query is evaluated for a request, so nothing can reach the
network, and the answer is streamed graph by graph: the query workers' sandbox, time limit and row cap,
made for arbitrary queries, are not needed, and a dump would not fit the worker's answer pipe anyway. The
only query this module runs is a constant one (the VoID subject count). A read-only handle reads files a
writer may compact away meanwhile (an update in update mode, a build beside the server): a read that fails
so is done again on a reopened handle (:meth:`DataOut.read`).

The dump and the VoID counts are computed once per generation, under a lock (a second GET while one is
being computed waits for it), and cached: the dump as a gzip file in the cache folder (``DATA_CACHE``,
``serve --cache-dir``; default a folder per store under the system temporary folder) named by the
generation, the counts in memory. Both answers carry ``ETag: "<generation key>…"`` and honour
``If-None-Match``.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request, send_file

from policykg import dump

from . import error
from .execution import GRAPH_FORMATS

bp = Blueprint("dataout", __name__)

VOID = "http://rdfs.org/ns/void#"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DEFAULT_LICENSE = "http://creativecommons.org/publicdomain/zero/1.0/"
# what a graph can be sent as: the formats whose per-graph serialisations can be joined into one document
STORE_FORMATS = ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]
VOID_FORMATS = ["text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"]


def default_cache(store: str) -> str:
    digest = hashlib.sha256(os.path.abspath(store).encode("utf-8")).hexdigest()[:16]
    return os.path.join(tempfile.gettempdir(), "policykg-cache", digest)


class DataOut:
    """The read-only handle, keyed by generation, and the per-generation caches of one application."""

    def __init__(self, store: str, cache_dir: str | None) -> None:
        self.path = store
        self.cache_dir = Path(cache_dir or default_cache(store))
        self._open = threading.Lock()
        self._compute = threading.Lock()
        self._gen: object = object()
        self._store: ox.Store | None = None
        self._void: tuple[str, dict] | None = None

    def handle(self, fresh: bool = False) -> tuple[str, ox.Store]:
        """(generation key, read-only handle on that generation or a later one); ``fresh``: reopen it."""
        from policykg.store import generation

        gen = generation(self.path)  # read before opening: the handle is never older than its key
        with self._open:
            if self._store is None or gen != self._gen or fresh:
                self._store, self._gen = _open_read_only(self.path), gen
            return hashlib.sha256((gen or "unmarked").encode("utf-8")).hexdigest()[:20], self._store

    def read(self, fn):
        """``fn(key, store)``, again on a reopened handle if the store's files moved under it: a read-only handle
        reads files that a writer (an update in update mode, a build) may compact away meanwhile."""
        for attempt in range(4):
            key, store = self.handle(fresh=attempt > 0)
            try:
                return fn(key, store)
            except (OSError, RuntimeError):
                if attempt == 3:
                    raise
                time.sleep(0.1 * (attempt + 1))

    def dump_file(self) -> tuple[str, Path]:
        key, _ = self.handle()
        path = self.cache_dir / f"dump-{key}.nq.gz"
        if path.exists():
            return key, path
        with self._compute:
            return self.read(self._write_dump)

    def _write_dump(self, key: str, store) -> tuple[str, Path]:
        path = self.cache_dir / f"dump-{key}.nq.gz"
        if path.exists():  # computed by the request this one waited for
            return key, path
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.cache_dir / f".dump-{key}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            with open(tmp, "wb") as raw, dump.gzip_writer(raw) as gz:
                dump.write(store, gz, "nquads")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        for old in self.cache_dir.glob("dump-*.nq.gz"):  # earlier generations (an open download keeps its file)
            if old != path:
                old.unlink(missing_ok=True)
        return key, path

    def counts(self) -> tuple[str, dict]:
        key, _ = self.handle()
        cached = self._void
        if cached and cached[0] == key:
            return cached
        with self._compute:
            return self.read(self._count)

    def _count(self, key: str, store) -> tuple[str, dict]:
        cached = self._void
        if cached and cached[0] == key:
            return cached
        graphs = [(g, sum(1 for _ in dump.quads(store, g))) for g in dump.graph_names(store)]
        default = sum(1 for _ in dump.quads(store, None))
        [row] = list(store.query("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"))
        counts = {"triples": default + sum(n for _, n in graphs), "subjects": int(row["n"].value), "graphs": graphs}
        self._void = (key, counts)
        return self._void


def _open_read_only(path: str) -> ox.Store:
    for attempt in range(5):
        try:
            return ox.Store.read_only(path)
        except (OSError, RuntimeError):  # a writer replaced a file while the handle opened: open again
            if attempt == 4:
                raise
            time.sleep(0.1 * (attempt + 1))


def state() -> DataOut:
    ext = current_app.extensions
    if "policykg.dataout" not in ext:
        ext["policykg.dataout"] = DataOut(current_app.config["STORE"], current_app.config.get("DATA_CACHE"))
    return ext["policykg.dataout"]


def has_graph(graph: str) -> bool:
    """Whether the embedded store (its current generation) has this named graph."""
    return state().read(lambda _k, st: dump.has_graph(st, graph))


def _remote():
    if current_app.config.get("ENDPOINT"):
        return error("not-implemented", "this server serves a remote SPARQL store: get its data from that store "
                                        "(or run `policykg dump --endpoint URL`)", 501)
    return None


def _root() -> str:
    """The server's address (from the Host header): checked as an IRI before it names anything."""
    from .safety import Refused, iri

    root = request.url_root
    try:
        iri(root, "the server's address (Host header)")
    except Refused:
        return ""
    return root


# ---------------------------------------------------------------------- the dump
@bp.get("/dump.nq.gz")
def dump_nquads():
    """The whole store as gzip-compressed N-Quads (the bytes of ``policykg dump -o FILE.nq.gz``)."""
    refused = _remote()
    if refused:
        return refused
    key, path = state().dump_file()
    resp = send_file(path, mimetype="application/gzip", as_attachment=True, download_name="policykg.nq.gz",
                     etag=f"dump-{key}", conditional=True, max_age=0)
    resp.headers["X-PolicyKG-Generation"] = key
    return resp


# ---------------------------------------------------------------------- VoID
@bp.get("/void")
@bp.get("/.well-known/void")
def void():
    """A VoID description of the dataset: counts, endpoint, dump, licence, one subset per named graph."""
    refused = _remote()
    if refused:
        return refused
    root = _root()
    if not root:
        return error("bad-request", "the server's address (Host header) is not a valid IRI", 400)
    accept = request.accept_mimetypes
    media = accept.best_match(VOID_FORMATS, default=None) if accept else "text/turtle"
    if media is None and any(m == "*/*" for m, _ in accept):
        media = "text/turtle"
    if media is None:
        return error("not-acceptable", "VoID is served as Turtle, JSON-LD, N-Triples or RDF/XML", 406)
    key, counts = state().counts()
    etag = hashlib.sha256(f"{key} {media} {root}".encode("utf-8")).hexdigest()[:24]
    if etag in request.if_none_match:
        resp = Response(status=304)
    else:
        resp = Response(ox.serialize(_void_triples(root, counts), format=getattr(ox.RdfFormat, GRAPH_FORMATS[media]),
                                     **({"prefixes": {"void": VOID, "dcterms": DCT}} if media == "text/turtle" else {})),
                        mimetype=media)
    resp.set_etag(etag)
    resp.headers["Vary"] = "Accept"
    resp.headers["X-PolicyKG-Generation"] = key
    return resp


def _void_triples(root: str, counts: dict) -> list[ox.Triple]:
    from urllib.parse import quote

    def n(v):
        return ox.Literal(str(v), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))

    v, dct = (lambda x: ox.NamedNode(VOID + x)), (lambda x: ox.NamedNode(DCT + x))
    ds = ox.NamedNode(root + "void#dataset")
    license_iri = current_app.config.get("DATA_LICENSE") or DEFAULT_LICENSE
    out = [
        ox.Triple(ds, RDF_TYPE, v("Dataset")),
        ox.Triple(ds, dct("title"), ox.Literal("policykg: government policy documents as RDF", language="en")),
        ox.Triple(ds, dct("license"), ox.NamedNode(license_iri)),
        ox.Triple(ds, v("sparqlEndpoint"), ox.NamedNode(root + "sparql")),
        ox.Triple(ds, v("dataDump"), ox.NamedNode(root + "dump.nq.gz")),
        ox.Triple(ds, v("uriSpace"), ox.Literal(current_app.config["BASE"])),
        ox.Triple(ds, v("feature"), ox.NamedNode("http://www.w3.org/ns/formats/N-Quads")),
        ox.Triple(ds, v("triples"), n(counts["triples"])),
        ox.Triple(ds, v("distinctSubjects"), n(counts["subjects"])),
    ]
    for graph, count in counts["graphs"]:
        g = ox.NamedNode(graph)  # the named graph is the subset; its triples can be fetched from the graph store
        out += [ox.Triple(ds, v("subset"), g), ox.Triple(g, RDF_TYPE, v("Dataset")), ox.Triple(g, v("triples"), n(count)),
                ox.Triple(g, v("dataDump"), ox.NamedNode(root + "store?graph=" + quote(graph, safe="")))]
    return out


# ---------------------------------------------------------------------- Graph Store Protocol (read side)
def _negotiate_graph():
    accept = request.accept_mimetypes
    if not accept:
        return "text/turtle"
    media = accept.best_match(STORE_FORMATS, default=None)
    if media is None and any(m == "*/*" for m, _ in accept):
        media = "text/turtle"
    return media


@bp.get("/store")
def graph_store():
    """SPARQL 1.1 Graph Store HTTP Protocol, GET (and HEAD): ``?graph=IRI`` one named graph, ``?default`` the
    default graph as policykg's queries see it (the union of the named graphs and of the store's own default
    graph, sent graph by graph: a statement held by two graphs appears twice, the same graph once parsed)."""
    refused = _remote()
    if refused:
        return refused
    graphs, default = request.args.getlist("graph"), "default" in request.args
    if len(graphs) + default != 1:
        return error("bad-request", "give exactly one of ?graph=IRI (a named graph) or ?default (the union default "
                                    "graph); the whole dataset is at /dump.nq.gz", 400)
    if graphs:
        from .safety import Refused, iri

        try:
            iri(graphs[0], "graph")
        except Refused as exc:
            return error(exc.kind, str(exc), 400)
    return graph_response(graphs[0] if graphs else None)


def graph_response(graph: str | None, forced: str | None = None):
    """One named graph (or the union default graph, ``None``), in the format the Accept header asks for (or the one
    a suffix of the graph IRI's path forces: ``.ttl``, ``.nt``, ``.jsonld``)."""
    media = forced or _negotiate_graph()
    if media is None:
        return error("not-acceptable", "a graph is served as Turtle, N-Triples, JSON-LD or RDF/XML", 406)
    data = state()
    key, names = data.read(lambda k, st: (k, [graph] if graph is not None and dump.has_graph(st, graph) else
                                          [] if graph is not None else [None] + dump.graph_names(st)))
    if graph is not None and not names:
        return error("not-found", f"the store has no graph {graph}", 404)
    if media == "application/rdf+xml" and len(names) > 1:
        return error("not-acceptable", "the union default graph is served as Turtle, N-Triples or JSON-LD "
                                       "(RDF/XML only for one named graph)", 406)
    etag = hashlib.sha256(f"{key} {media} {graph}".encode("utf-8")).hexdigest()[:24]
    headers = {"X-PolicyKG-Generation": key, "ETag": f'"{etag}"'}
    if not forced:
        headers["Vary"] = "Accept"
    if etag in request.if_none_match:
        return Response(status=304, headers=headers)
    if request.method == "HEAD":
        return Response(status=200, mimetype=media, headers=headers)
    if graph is not None:  # one graph: read before answering, so a failed read is an error status, not a cut body
        return Response(b"".join(_stream(data, names, media)), mimetype=media, headers=headers)
    return Response(_stream(data, names, media), mimetype=media, headers=headers)


def _stream(data: DataOut, names: list, media: str):
    """The graphs' statements in one document, written graph by graph (each graph sorted, read on its own: after
    a new generation a long answer may mix it with the one it started on)."""
    from policykg.ontology import PREFIXES

    fmt = getattr(ox.RdfFormat, GRAPH_FORMATS[media])
    first = True
    if media == "application/ld+json":
        yield b"["
    for name in names:
        triples = data.read(lambda _k, st: dump.sorted_triples(st, name))
        if not triples and (len(names) > 1 or media == "application/ld+json"):
            continue
        if media == "text/turtle":
            yield ox.serialize(triples, format=fmt, prefixes=PREFIXES)
        elif media == "application/ld+json":  # one array of node objects per graph, joined into one array
            body = ox.serialize(triples, format=fmt).strip()
            body = body[1:-1].strip() if body.startswith(b"[") else body
            if body:
                yield (b"" if first else b",\n") + body
                first = False
        else:
            yield ox.serialize(triples, format=fmt)
    if media == "application/ld+json":
        yield b"]\n"
