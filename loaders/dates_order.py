"""The order of the ``document-dates`` list, materialised (``graph/summary/dates-order``).

``document-dates`` lists documents by the label of their place, then date signed, title and IRI — SPARQL's
``ORDER BY ?placeLabel ?signed ?title ?doc``, a document without a place (or whose place has no label) first,
then those without a date signed. Computed by the engine, that order joins every document's place, label, date
and title and compares strings: 500 ms for the first page at 10,000 documents. So each document with a title
and a type gets ``pkg:datesOrder``:

    key = group << 50 | day << 30 | rank    (with up to 8,191 labels)

``group`` is the place label's rank (from 1) among the labels of all documents' places (0: no place, or no
label; 13 bits, more when there are more labels, taken from the rank's), ``day`` the date signed as a day
number (``date.toordinal()``, 0: none; 20 bits), ``rank``
the document's place (from 1) among the documents of its group and day by (title, IRI). Each place gets
``pkg:datesGroup``, its label's group, so that a build can tell whether the groups are still those it stored.
A document with several places, or several values of one of these properties, is placed by the least (its rows
stay together, by place).

A re-build of a few documents, when the documents' places and their labels give the groups stored, ranks again
only the documents of the groups and days it touches (those of the changed documents' old keys and of their
places and dates now). A re-build that brings a new label, or removes the last document of a place, changes
the groups: it ranks every document again (0.5 s at 10,000), as does a bigger build or a store without the
graph. ``tests/test_dates_order.py`` checks the materialised order against the live ``ORDER BY``.
"""
from __future__ import annotations

from policykg.iri import Minter
from policykg.ontology import PKG, XSD

from .order import DAY_BITS, DCT, ELI, around_only, day_in_key, keys, write_whole

SKOS = "http://www.w3.org/2004/02/skos/core#"
GROUP_BITS = 13  # 8,191 labels; more take bits from the rank (a key stays within 63 bits)


def dates_order_graph(mint: Minter) -> str:
    return f"{mint.base}graph/summary/dates-order"


def _values(iris) -> str:
    return "VALUES ?doc { " + " ".join(f"<{i}>" for i in sorted(iris)) + " }"


def _rows(store, scope: str) -> dict[str, tuple]:
    """Document → (place label or None, date signed or None, title), each the least of its values, for the
    listed documents ``scope`` selects (query text binding ?doc first)."""
    out: dict[str, list] = {}
    for r in store.query(f"""SELECT ?doc ?label ?signed ?title WHERE {{ {scope}
            ?doc a <{PKG}Document> ; <{DCT}title> ?title ; <{PKG}documentType> ?type .
            OPTIONAL {{ ?doc <{PKG}place> ?place . ?place <{SKOS}prefLabel> ?label }}
            OPTIONAL {{ ?doc <{ELI}date_document> ?signed }} }}"""):
        values = [None if r[k] is None else r[k].value for k in ("label", "signed", "title")]
        old = out.setdefault(r["doc"].value, values)
        for i, v in enumerate(values):
            if v is not None and (old[i] is None or v < old[i]):
                old[i] = v
    return {d: tuple(v) for d, v in out.items()}


def _groups(store) -> dict[str, int]:
    """Place IRI → its label's group (rank among all labels of documents' places, from 1), for every labelled
    place of a document; a place with several labels by its least."""
    labels: dict[str, str] = {}
    for r in store.query(f"""SELECT ?place ?label WHERE {{
            {{ SELECT DISTINCT ?place WHERE {{ ?doc <{PKG}place> ?place }} }} ?place <{SKOS}prefLabel> ?label }}"""):
        p, label = r["place"].value, r["label"].value
        labels[p] = min(labels.get(p, label), label)
    rank = {label: i for i, label in enumerate(sorted(set(labels.values())), start=1)}
    return {p: rank[label] for p, label in labels.items()}


def _label_groups(store, groups: dict[str, int]) -> dict[str, int]:
    labels = {}
    if groups:
        places = " ".join(f"<{p}>" for p in sorted(groups))
        for r in store.query(f"SELECT ?place ?label WHERE {{ VALUES ?place {{ {places} }} ?place <{SKOS}prefLabel> ?label }}"):
            if groups[r["place"].value]:
                labels[r["label"].value] = groups[r["place"].value]
    return labels


def _cell(row: tuple, by_label: dict[str, int]) -> int:
    """The (group, day) of a row (label, signed, title), as the high bits of its key."""
    label, signed, _ = row
    group = by_label.get(label, 0) if label is not None else 0
    return group << DAY_BITS | day_in_key(signed)


def _rank_bits(by_label: dict[str, int]) -> int:
    """The bits of the rank within a cell: what the group and the day leave of 63."""
    return 63 - DAY_BITS - max(GROUP_BITS, max(by_label.values(), default=0).bit_length())


def _keys(rows: dict[str, tuple], by_label: dict[str, int]) -> dict[str, int]:
    """Keys for whole cells (group and day): ``rows`` must hold every document of each cell it touches."""
    cells = {d: _cell(row, by_label) for d, row in rows.items()}
    # within a cell: by title, then IRI (keys() orders a day's rows by (number present, number, title, IRI):
    # given no number, that is by title, then IRI)
    return keys({d: (cells[d], None, row[2]) for d, row in rows.items()}, day=lambda cell: cell, shift=_rank_bits(by_label))


def _quads(mint: Minter, keyed: dict[str, int], groups: dict[str, int] | None = None) -> list:
    from pyoxigraph import Literal, NamedNode, Quad

    g, integer = NamedNode(dates_order_graph(mint)), NamedNode(XSD + "integer")
    p, pg = NamedNode(PKG + "datesOrder"), NamedNode(PKG + "datesGroup")
    out = [Quad(NamedNode(d), p, Literal(str(k), datatype=integer), g) for d, k in sorted(keyed.items())]
    return out + [Quad(NamedNode(pl), pg, Literal(str(n), datatype=integer), g) for pl, n in sorted((groups or {}).items())]


def _stored_groups(store, graph: str) -> dict[str, int]:
    return {r["p"].value: int(r["n"].value) for r in store.query(
        f"SELECT ?p ?n WHERE {{ GRAPH <{graph}> {{ ?p <{PKG}datesGroup> ?n }} }}")}


def write_dates_order(store, mint: Minter, changed: set[str] | None = None, bulk: bool = False) -> None:
    """Rank the documents: all of them (``changed`` None, many, no graph yet, or groups that changed; ``bulk``: a
    first build, bulk-loaded), or the groups and days of the ``changed`` documents (IRIs written or dropped by
    this build)."""
    graph = dates_order_graph(mint)
    groups = _groups(store)
    if around_only(store, graph, changed, bulk) and groups == _stored_groups(store, graph):
        _rerank(store, mint, changed, groups)
        return
    write_whole(store, graph, _quads(mint, _keys(_rows(store, ""), _label_groups(store, groups)), groups), bulk)


def _rerank(store, mint: Minter, changed: set[str], groups: dict[str, int]) -> None:
    if not changed:
        return
    graph = dates_order_graph(mint)
    by_label = _label_groups(store, groups)
    old = {r["doc"].value: int(r["k"].value) for r in store.query(
        f"SELECT ?doc ?k WHERE {{ {_values(changed)} GRAPH <{graph}> {{ ?doc <{PKG}datesOrder> ?k }} }}")}
    now = _rows(store, _values(changed))
    bits = _rank_bits(by_label)
    touched = {k >> bits for k in old.values()} | {_cell(r, by_label) for r in now.values()}
    stored: dict[str, int] = dict(old)
    for cell in sorted(touched):
        # the documents stored in that cell (their keys lie in its range), read again, and the changed ones now
        found = {r["doc"].value: int(r["k"].value) for r in store.query(
            f"SELECT ?doc ?k WHERE {{ GRAPH <{graph}> {{ ?doc <{PKG}datesOrder> ?k }} "
            f"FILTER(?k >= {cell << bits} && ?k < {(cell + 1) << bits}) }}")}
        stored.update(found)
    rest = set(stored) - set(changed)
    rows = dict(now)
    if rest:
        rows.update(_rows(store, _values(rest)))
    keyed = _keys(rows, by_label)
    moved = {d for d in set(stored) | set(keyed) if stored.get(d) != keyed.get(d)}
    if not moved:
        return
    delete = [f"GRAPH <{graph}> {{ <{d}> <{PKG}datesOrder> ?k }}" for d in sorted(moved)]
    store.apply({}, delete_where=delete, inserts={graph: _quads(mint, {d: keyed[d] for d in moved if d in keyed})})
