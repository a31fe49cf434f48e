"""The store handle: pyoxigraph on disk, one named graph per document.

Writes are transactional: :meth:`Store.apply` runs one SPARQL Update made of
graph replacements and metadata edits, so a file's documents are either all
written or not at all. Queries see the union of the named graphs as their
default graph.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from policykg.errors import QueryError, StoreError
from policykg.ontology import PREFIXES


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
BULK_BATCH = 64_000_000  # characters of N-Quads per bulk load: about 0.1–0.2 GB of text, and the engine's own buffers


def rdflib_term(t):
    """A pyoxigraph term as an rdflib term (xsd:string literals become plain: the same in RDF 1.1,
    but rdflib compares them apart, so sh:in ("city") would not match "city"^^xsd:string)."""
    import rdflib

    if isinstance(t, ox.NamedNode):
        return rdflib.URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return rdflib.BNode(t.value)
    if t.language:
        return rdflib.Literal(t.value, lang=t.language)
    if t.datatype.value == _XSD_STRING:
        return rdflib.Literal(t.value)
    return rdflib.Literal(t.value, datatype=rdflib.URIRef(t.datatype.value))


def _nt(quads: Iterable[ox.Quad]) -> str:
    """Triples of quads as N-Triples lines (for INSERT DATA)."""
    return "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in quads)


def _short(message: str) -> str:
    """pyoxigraph lists every expected token; the position and the first few are enough."""
    first = message.splitlines()[0]
    return first if len(first) <= 200 else first[:200] + "…"


def update_text(replacements: dict[str, list[ox.Quad]], drops: Iterable[str] = (),
                delete_where: Iterable[str] = (), inserts: dict[str, list[ox.Quad]] | None = None) -> str:
    """One SPARQL Update: drop graphs, run DELETE WHERE patterns, insert quads (empty string if nothing to do)."""
    parts: list[str] = []
    for g in sorted(set(drops) | set(replacements)):
        parts.append(f"DROP SILENT GRAPH <{g}>")
    for pattern in delete_where:
        parts.append(f"DELETE WHERE {{ {pattern} }}")
    blocks = []
    for g, quads in sorted(replacements.items()) + sorted((inserts or {}).items()):
        if quads:  # quads, or N-Triples text
            blocks.append(f"GRAPH <{g}> {{\n{quads if isinstance(quads, str) else _nt(quads)}\n}}")
    if blocks:
        parts.append("INSERT DATA {\n" + "\n".join(blocks) + "\n}")
    return " ;\n".join(parts)


GENERATION_FILE = "policykg-generation"


def mark_generation(path: str | Path) -> None:
    """Say that a completed state of the store is on disk (atomically: a new file renamed over the old)."""
    import os
    import time

    path = Path(path)
    if not path.is_dir():
        return
    tmp = path / f".{GENERATION_FILE}.{os.getpid()}"
    tmp.write_text(f"{time.time_ns()} {os.getpid()}\n")
    os.replace(tmp, path / GENERATION_FILE)


def generation(path: str | Path) -> str | None:
    """The store's current generation (None before the first completed build)."""
    try:
        return (Path(path) / GENERATION_FILE).read_text().strip()
    except OSError:
        return None


class BulkLoader:
    """Bulk loads into ``store`` on a thread of their own (the engine releases the GIL), so that the caller
    writes the next batch of N-Quads text while RocksDB builds its files; one batch queued at most. The first
    error (as a :class:`StoreError`) is raised by the next :meth:`put` or by :meth:`close`."""

    def __init__(self, store: "Store") -> None:
        import queue
        import threading

        self.store = store
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.error: StoreError | None = None
        self.dropped = False  # abandoned: batches still queued are not loaded
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            text = self.queue.get()
            if text is None:
                return
            if self.error is None and not self.dropped:
                try:
                    self.store.bulk_load_nquads(text)
                except BaseException as exc:  # kept for the caller (an engine panic too): this thread must go on
                    # draining the queue, or the caller's next put would wait for ever
                    self.error = exc if isinstance(exc, StoreError) else \
                        StoreError(f"bulk write failed ({type(exc).__name__}: {exc})", str(self.store.path))

    def put(self, text: str) -> None:
        if self.error:
            raise self.error
        self.queue.put(text)

    def close(self) -> None:
        """Wait for the batches queued; raise the first error."""
        self.queue.put(None)
        self.thread.join()
        if self.error:
            raise self.error

    def abandon(self) -> None:
        """Stop without loading the batches still queued (the caller is failing anyway); the one being loaded
        is finished."""
        self.dropped = True
        self.queue.put(None)
        self.thread.join()


class Store:
    """A policykg store in a directory (created on first write)."""

    @classmethod
    def wrap(cls, handle: ox.Store, path: str | Path = "") -> "Store":
        """A Store around an open pyoxigraph handle (the server's query workers)."""
        self = cls.__new__(cls)
        self.path, self._store = Path(path), handle
        return self

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = Path(path)
        try:
            if read_only:
                if not (self.path / "CURRENT").exists():
                    raise StoreError("is not a policykg store (run `policykg build` first)", str(self.path))
                self._store = ox.Store.read_only(str(self.path))
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(self.path))
        except StoreError:
            raise
        except OSError as exc:
            raise StoreError(f"cannot be opened as a store ({exc})", str(self.path))
        self.read_only = read_only

    # ---------------------------------------------------------------- writing
    def apply(self, replacements: dict[str, list[ox.Quad] | str], drops: Iterable[str] = (),
              delete_where: Iterable[str] = (), inserts: dict[str, list[ox.Quad]] | None = None) -> None:
        """One transaction: replace graphs, drop graphs, run DELETE WHERE patterns, insert quads."""
        text = update_text(replacements, drops, delete_where, inserts)
        if not text:
            return
        try:
            self._store.update(text)
        except (OSError, SyntaxError, ValueError) as exc:
            raise StoreError(f"write failed, nothing was changed ({exc})", str(self.path))

    def is_empty(self) -> bool:
        return next(iter(self._store.quads_for_pattern(None, None, None, None)), None) is None

    def bulk_insert(self, quads: Iterable[ox.Quad]) -> None:
        """Insert without a transaction (RocksDB bulk load, ~4x faster). Only for a store that was empty before
        the build: on failure the caller clears it, so nothing is ever half-written over earlier content."""
        try:
            self._store.bulk_extend(quads)
        except (OSError, ValueError) as exc:
            raise StoreError(f"bulk write failed ({exc})", str(self.path))

    def bulk_load_nquads(self, text: str) -> None:
        """Like :meth:`bulk_insert`, from N-Quads text (parsed by the store itself, not by Python)."""
        try:
            self._store.bulk_load(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS)
        except (OSError, SyntaxError, ValueError) as exc:
            raise StoreError(f"bulk write failed ({_short(str(exc))})", str(self.path))

    def bulk_load_quads(self, quads: Iterable[ox.Quad], batch: int | None = None) -> None:
        """Like :meth:`bulk_load_nquads`, from quads, in loads of at most ``batch`` characters of N-Quads, so
        that no more than a batch or two of text is held at a time (the follow-up and coverage graphs of a first
        build at 10,000 documents are about a million quads; held whole, they took the build's peak from 1.5 to
        4.1 GiB). A batch is loaded on a thread of its own while the next is written. ``batch``: default
        :data:`BULK_BATCH`."""
        batch = batch or BULK_BATCH
        loader = BulkLoader(self)
        lines: list[str] = []
        size = 0
        try:
            for q in quads:
                line = f"{q} .\n"
                lines.append(line)
                size += len(line)
                if size >= batch:
                    loader.put("".join(lines))
                    lines, size = [], 0
            if lines:
                loader.put("".join(lines))
        except BaseException:
            loader.abandon()
            raise
        loader.close()

    def clear(self) -> None:
        self._store.clear()

    def optimize(self) -> None:
        """Compact the store on disk (RocksDB's full compaction). A build that wrote much (a first build's bulk
        loads, then the follow-up and summary transactions) leaves many overlapping files; compacted, the 10,000-
        document benchmark store is a third smaller and answers its named queries 1.1–2.5 times faster
        (docs/benchmarks.md). Readers may keep reading meanwhile."""
        try:
            self._store.optimize()
        except OSError as exc:
            raise StoreError(f"could not be compacted ({exc})", str(self.path))

    def flush(self) -> None:
        """Write everything to disk and start a new *generation*: the server's query workers (read-only
        handles are snapshots) reopen the store, all together, at the next request (server/execution.py)."""
        self._store.flush()
        mark_generation(self.path)

    # ---------------------------------------------------------------- reading
    def query(self, sparql: str, substitutions: dict | None = None, source: str = "query"):
        try:
            return self._store.query(
                sparql,
                use_default_graph_as_union=True,
                prefixes=PREFIXES,
                substitutions=substitutions or None,
            )
        except SyntaxError as exc:
            raise QueryError(f"malformed SPARQL: {_short(str(exc))}", source)
        except OSError as exc:
            raise StoreError(f"read failed ({exc})", str(self.path))

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs())

    def quads(self, graph: str | None = None) -> list[ox.Quad]:
        g = ox.NamedNode(graph) if graph else None
        return list(self._store.quads_for_pattern(None, None, None, g))

    def dump_sorted(self, graphs: Iterable[str]) -> str:
        """N-Quads of the given graphs, lines sorted: a byte-stable view for comparisons."""
        lines = []
        for g in graphs:
            for q in self._store.quads_for_pattern(None, None, None, ox.NamedNode(g)):
                lines.append(f"{q.subject} {q.predicate} {q.object} {q.graph_name} .")
        return "\n".join(sorted(lines)) + ("\n" if lines else "")

    def __len__(self) -> int:
        return len(self._store)
