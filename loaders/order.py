"""The documents list's order, materialised (``graph/summary/order``).

The ``documents`` query lists documents by date signed, then number (发文字号), then title, then IRI — SPARQL's
``ORDER BY ?date ?docNumber ?title ?doc``, where a missing date or number comes first and strings compare code
point by code point. Computed by the engine, that order makes it join four properties of every document and
compare strings read from its dictionary: 260 ms for the first page at 10,000 documents, most of it before the
first row. So each document with a title gets ``pkg:listOrder``, an integer whose order is that order:

    key = day << 32 | rank

``day`` is the date signed as a day number (``date.toordinal()``; 0 for no date, which sorts first), ``rank``
the document's place (from 1) among the documents of the same day by (number, title, IRI). The engine sorts
integers without reading strings, and the first page starts from one property (``queries/documents.rq``).

A re-build of a few documents re-ranks only the days it touches — the days of the changed documents' old keys
and of their new dates, read by the date itself (an index lookup) — not the store. A bigger build, or a store
without the graph (built by an earlier version), ranks every document again (0.3 s at 10,000).
``tests/test_list_order.py`` checks the materialised order against the live ``ORDER BY``.
"""
from __future__ import annotations

import datetime as _dt

from policykg.iri import Minter
from policykg.ontology import PKG, XSD

SHIFT = 32  # bits of the rank within a day
_LOOKUP_MAX = 32  # builds that changed at most this many documents recompute a materialised list around them only
ELI = "http://data.europa.eu/eli/ontology#"
DCT = "http://purl.org/dc/terms/"


def order_graph(mint: Minter) -> str:
    return f"{mint.base}graph/summary/order"


def _rows(store, scope: str) -> dict[str, tuple]:
    """Document IRI → (date or None, number or None, title) for the documents ``scope`` selects (query text that
    binds ?doc first). A document with several values of one property is placed by the least, as its first
    row would be."""
    out: dict[str, list] = {}
    query = f"""SELECT ?doc ?date ?number ?title WHERE {{ {scope}
        ?doc a <{PKG}Document> ; <{DCT}title> ?title .
        OPTIONAL {{ ?doc <{ELI}date_document> ?date }} OPTIONAL {{ ?doc <{ELI}id_local> ?number }} }}"""
    for r in store.query(query):
        doc = r["doc"].value
        values = [None if r[k] is None else r[k].value for k in ("date", "number", "title")]
        if doc not in out:
            out[doc] = values
            continue
        old = out[doc]
        for i, v in enumerate(values):
            if v is not None and (old[i] is None or v < old[i]):
                old[i] = v
    return {d: tuple(v) for d, v in out.items()}


def day_of(date: str | None) -> int:
    """The day number of an ``xsd:date`` lexical form (0: no date, or one that is not a date)."""
    if not date:
        return 0
    try:
        return _dt.date.fromisoformat(date[:10]).toordinal()
    except ValueError:
        return 0


DAY_BITS = 20  # a day number in a key with other fields: year 2870 at most (a later date counts as that day)


def day_in_key(date: str | None) -> int:
    """:func:`day_of`, at most ``2**DAY_BITS - 1``, for keys that pack the day with other fields."""
    return min(day_of(date), (1 << DAY_BITS) - 1)


def _within_day(doc: str, row: tuple) -> tuple:
    _, number, title = row
    return (number is not None, number or "", title, doc)


def keys(rows: dict[str, tuple], day=day_of, shift: int = SHIFT) -> dict[str, int]:
    """Keys for whole days: ``rows`` must hold every document of each day it touches; ``day`` numbers a date,
    ``shift`` the bits of the rank."""
    days: dict[int, list[str]] = {}
    for doc, row in rows.items():
        days.setdefault(day(row[0]), []).append(doc)
    out = {}
    for day, docs in days.items():
        for rank, doc in enumerate(sorted(docs, key=lambda d: _within_day(d, rows[d])), start=1):
            out[doc] = day << shift | rank
    return out


def _quads(mint: Minter, keyed: dict[str, int]) -> list:
    from pyoxigraph import Literal, NamedNode, Quad

    g, p, integer = NamedNode(order_graph(mint)), NamedNode(PKG + "listOrder"), NamedNode(XSD + "integer")
    return [Quad(NamedNode(d), p, Literal(str(k), datatype=integer), g) for d, k in sorted(keyed.items())]


def around_only(store, graph: str, changed: set[str] | None, bulk: bool) -> bool:
    """Whether a build may recompute a materialised list around the ``changed`` documents only: a few of them,
    not a first build, and the list's ``graph`` already there (else it is computed whole)."""
    from .followup import store_has_graph

    return changed is not None and len(changed) <= _LOOKUP_MAX and not bulk and store_has_graph(store, graph)


def write_whole(store, graph: str, quads: list, bulk: bool) -> None:
    """Replace ``graph`` with ``quads`` — in a first build (``bulk``), where it is not there yet, by a bulk load."""
    from .followup import store_has_graph

    if bulk and not store_has_graph(store, graph):
        store.bulk_load_quads(quads)
    else:
        store.apply({graph: quads})


def write_order(store, mint: Minter, changed: set[str] | None = None, bulk: bool = False) -> None:
    """Rank the documents: all of them (``changed`` None, many, or no order graph yet; ``bulk``: a first build,
    bulk-loaded), or the days of the ``changed`` documents (IRIs written or dropped by this build)."""
    graph = order_graph(mint)
    if around_only(store, graph, changed, bulk):
        _rerank(store, mint, changed)
        return
    write_whole(store, graph, _quads(mint, keys(_rows(store, ""))), bulk)


def _rerank(store, mint: Minter, changed: set[str]) -> None:
    if not changed:
        return
    graph = order_graph(mint)
    values = " ".join(f"<{d}>" for d in sorted(changed))
    old = {r["doc"].value: int(r["k"].value) for r in store.query(
        f"SELECT ?doc ?k WHERE {{ VALUES ?doc {{ {values} }} GRAPH <{graph}> {{ ?doc <{PKG}listOrder> ?k }} }}")}
    now = _rows(store, f"VALUES ?doc {{ {values} }}")
    days = {k >> SHIFT for k in old.values()} | {day_of(row[0]) for row in now.values()}
    rows: dict[str, tuple] = {}
    for day in sorted(days):
        # the documents of that day (by any of their dates; a document is placed by its least) — or, for day 0,
        # those without a date (or with one that is not a date)
        found = _rows(store, f'?doc <{ELI}date_document> "{_dt.date.fromordinal(day).isoformat()}"^^<{XSD}date> .'
                      if day else "")
        rows.update({d: r for d, r in found.items() if day_of(r[0]) == day})
    keyed = keys(rows)
    before = dict(old)  # the stored keys of the changed documents, and of the others of their days
    others = sorted(set(keyed) - set(old))
    if others:
        before.update({r["doc"].value: int(r["k"].value) for r in store.query(
            f"SELECT ?doc ?k WHERE {{ VALUES ?doc {{ {' '.join(f'<{d}>' for d in others)} }} "
            f"GRAPH <{graph}> {{ ?doc <{PKG}listOrder> ?k }} }}")})
    moved = {d for d in set(before) | set(keyed) if before.get(d) != keyed.get(d)}
    if not moved:
        return
    delete = [f"GRAPH <{graph}> {{ <{d}> <{PKG}listOrder> ?k }}" for d in sorted(moved)]
    store.apply({}, delete_where=delete, inserts={graph: _quads(mint, {d: keyed[d] for d in moved if d in keyed})})
