"""Getting the data out: the whole store as N-Quads or TriG, streamed graph by graph in a stable order.

The order is total and does not depend on how the store was built: the store's own default graph first (a
policykg build writes nothing there), then the named graphs sorted by IRI; within a graph the statements
sorted by their N-Quads text. Only one graph is held in memory at a time (to sort it). Terms are written as
pyoxigraph's ``str()`` forms (N-Triples syntax, the same as :meth:`policykg.store.Store.dump_sorted`), so the
same store gives the same bytes. Used by ``policykg dump`` and by the server's ``/dump.nq.gz`` and ``/store``.
"""
from __future__ import annotations

import gzip
from typing import BinaryIO, Iterable, Iterator

import pyoxigraph as ox

FORMATS = ("nquads", "trig")


def _handle(store):
    """The pyoxigraph store behind a policykg Store (or the pyoxigraph store itself); None for a remote one."""
    handle = getattr(store, "_store", store)
    return handle if isinstance(handle, ox.Store) else None


def graph_names(store) -> list[str]:
    """The named graphs, sorted by IRI."""
    handle = _handle(store)
    if handle is None:
        return sorted(store.named_graphs())
    return sorted(g.value for g in handle.named_graphs() if isinstance(g, ox.NamedNode))


def has_graph(store, graph: str) -> bool:
    handle = _handle(store)
    if handle is None:
        return graph in store.named_graphs()
    return handle.contains_named_graph(ox.NamedNode(graph))


def quads(store, graph: str | None) -> Iterable[ox.Quad]:
    """The quads of one named graph, or of the store's own default graph (``None``; always empty remotely)."""
    handle = _handle(store)
    if handle is None:
        return store.quads(graph) if graph is not None else []
    name = ox.NamedNode(graph) if graph is not None else ox.DefaultGraph()
    return handle.quads_for_pattern(None, None, None, name)


def triple_line(q) -> str:
    return f"{q.subject} {q.predicate} {q.object} .\n"


def sorted_triples(store, graph: str | None) -> list[ox.Triple]:
    """One graph's statements as triples, sorted by their N-Triples text."""
    items = [(triple_line(q), q) for q in quads(store, graph)]
    items.sort(key=lambda x: x[0])
    return [ox.Triple(q.subject, q.predicate, q.object) for _, q in items]


def iter_nquads(store) -> Iterator[str]:
    """N-Quads text, one chunk per graph."""
    for graph in [None] + graph_names(store):
        suffix = "" if graph is None else f" {ox.NamedNode(graph)}"
        lines = sorted(f"{q.subject} {q.predicate} {q.object}{suffix} .\n" for q in quads(store, graph))
        if lines:
            yield "".join(lines)


def iter_trig(store) -> Iterator[str]:
    """TriG text, one chunk per graph: the default graph's triples, then one ``GRAPH <g> { … }`` block per
    named graph (statements in N-Triples syntax, which TriG includes)."""
    for graph in [None] + graph_names(store):
        lines = sorted(triple_line(q) for q in quads(store, graph))
        if graph is None:
            if lines:
                yield "".join(lines)
        elif lines:
            yield f"GRAPH {ox.NamedNode(graph)} {{\n" + "".join(lines) + "}\n"


def write(store, out: BinaryIO, fmt: str = "nquads") -> int:
    """Write the whole store to a binary stream as it is read; returns the number of bytes written."""
    chunks = iter_nquads(store) if fmt == "nquads" else iter_trig(store)
    n = 0
    for chunk in chunks:
        data = chunk.encode("utf-8")
        out.write(data)
        n += len(data)
    return n


def gzip_writer(raw: BinaryIO) -> gzip.GzipFile:
    """A gzip stream with a fixed header (no file name, time 0): the same input gives the same bytes."""
    return gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)


def write_file(store, path: str, fmt: str = "nquads") -> int:
    """Write to a file, gzip-compressed when its name ends in ``.gz``."""
    with open(path, "wb") as raw:
        if path.endswith(".gz"):
            with gzip_writer(raw) as gz:
                return write(store, gz, fmt)
        return write(store, raw, fmt)
