"""The rows of the ``document-links`` list, materialised in order (``graph/summary/links``).

``document-links`` lists every link between documents and cited acts — (from, relation, to), the ends replaced
by the documents they resolve to (``pkg:resolvesTo``) — by relation, then the date the ``from`` document was
signed (none first), then from, then to (IRIs compared as strings). Computed by the engine, such an order joins
the resolution of both ends of every link and sorts strings: 410 ms for the first page at 10,000 documents. So
each row is stored as a node (``…/link/<hash of the row>``) with ``pkg:linkFrom``, ``pkg:linkRelation``,
``pkg:linkTo`` and ``pkg:linkOrder``, an integer whose order is the list's:

    key = relation << 60 | day << 40 | rank

``relation`` is the relation's place among the five names in alphabetical order, ``day`` the from document's
date signed as a day number (``date.toordinal()``; 0: none, or an act), ``rank`` the row's place (from 1) among
the rows of that relation and day by (from, to). The query sorts the integers and reads the rest for the page's
rows only.

Every build reads the links (about 0.1 s at 10,000 documents, 8,000 links), computes every key — a key depends
on the rows of its relation and day only, so the graph is the same whatever the order of builds — and writes
only the rows whose key changed, were added or are gone: a re-build of a few documents changes the rows of
their days. ``tests/test_links_order.py`` checks the rows against the live query.
"""
from __future__ import annotations

import hashlib

from policykg.iri import Minter
from policykg.ontology import PKG, XSD

from .order import day_of

ELI = "http://data.europa.eu/eli/ontology#"
RELATIONS = ((PKG + "promulgates", "issues"), (ELI + "based_on", "based-on"), (ELI + "repeals", "repeals"),
             (PKG + "interprets", "interprets"), (PKG + "revises", "revises"))


def links_graph(mint: Minter) -> str:
    return f"{mint.base}graph/summary/links"


def row_iri(mint: Minter, row: tuple[str, str, str]) -> str:
    return f"{mint.base}link/" + hashlib.sha256("\t".join(row).encode("utf-8")).hexdigest()[:24]


def rows(store) -> set[tuple[str, str, str]]:
    """Every (from, relation, to) of the store, as the query defines them (IRIs; a literal or blank end is
    left out, as no link has one)."""
    values = " ".join(f'(<{p}> "{name}")' for p, name in RELATIONS)
    raw = [(r["f"], r["relation"].value, r["t"]) for r in store.query(
        f"SELECT DISTINCT ?f ?relation ?t WHERE {{ VALUES (?p ?relation) {{ {values} }} ?f ?p ?t }}")]
    resolved: dict[str, set[str]] = {}
    for r in store.query(f"SELECT DISTINCT ?a ?d WHERE {{ ?a <{PKG}resolvesTo> ?d }}"):
        resolved.setdefault(r["a"].value, set()).add(r["d"].value)
    out = set()
    for f, relation, t in raw:
        if type(f).__name__ != "NamedNode" or type(t).__name__ != "NamedNode":
            continue
        for a in resolved.get(f.value) or {f.value}:
            for b in resolved.get(t.value) or {t.value}:
                out.add((a, relation, b))
    return out


def _keys(rows: set[tuple[str, str, str]], signed: dict[str, str]) -> dict[tuple, int]:
    """Each row's key (module docstring); ``signed``: document → its least date signed."""
    code = {name: i for i, name in enumerate(sorted(name for _, name in RELATIONS))}
    groups: dict[tuple[int, int], list[tuple]] = {}
    for row in rows:
        groups.setdefault((code[row[1]], day_of(signed.get(row[0]))), []).append(row)
    out = {}
    for (relation, day), members in groups.items():
        for rank, row in enumerate(sorted(members, key=lambda r: (r[0], r[2])), start=1):
            out[row] = relation << 60 | day << 40 | rank
    return out


def _signed(store) -> dict[str, str]:
    out: dict[str, str] = {}
    for r in store.query(f"SELECT ?d ?date WHERE {{ ?d <{ELI}date_document> ?date }}"):
        d, date = r["d"].value, r["date"].value
        if day_of(date) and (d not in out or date < out[d]):
            out[d] = date
    return out


def _quads(mint: Minter, keyed: dict[tuple, int]) -> list:
    from pyoxigraph import Literal, NamedNode, Quad

    g, integer = NamedNode(links_graph(mint)), NamedNode(XSD + "integer")
    p = {n: NamedNode(PKG + n) for n in ("linkFrom", "linkRelation", "linkTo", "linkOrder")}
    out = []
    for row, k in sorted(keyed.items(), key=lambda rk: rk[1]):
        s = NamedNode(row_iri(mint, row))
        out += [Quad(s, p["linkFrom"], NamedNode(row[0]), g), Quad(s, p["linkRelation"], Literal(row[1]), g),
                Quad(s, p["linkTo"], NamedNode(row[2]), g), Quad(s, p["linkOrder"], Literal(str(k), datatype=integer), g)]
    return out


def write_links_order(store, mint: Minter, bulk: bool = False) -> None:
    """Bring the stored rows in line with the store's links (module docstring)."""
    from .followup import store_has_graph

    graph = links_graph(mint)
    keyed = _keys(rows(store), _signed(store))
    has = store_has_graph(store, graph)
    if not has:
        quads = _quads(mint, keyed)
        store.bulk_load_quads(quads) if bulk else store.apply({graph: quads})
        return
    # the row node's IRI is a hash of the row: its key is all there is to compare
    stored = {r["row"].value: int(r["k"].value) for r in store.query(
        f"SELECT ?row ?k WHERE {{ GRAPH <{graph}> {{ ?row <{PKG}linkOrder> ?k }} }}")}
    by_iri = {row_iri(mint, row): row for row in keyed}
    changed = {iri for iri in by_iri if stored.get(iri) != keyed[by_iri[iri]]}
    gone = set(stored) - set(by_iri)
    if not changed and not gone:
        return
    if len(changed) + len(gone) > 1000:  # many: one graph replacement beats a delete pattern per row
        store.apply({graph: _quads(mint, keyed)})
        return
    delete = [f"GRAPH <{graph}> {{ <{iri}> ?p ?o }}" for iri in sorted(changed | gone)]
    store.apply({}, delete_where=delete, inserts={graph: _quads(mint, {by_iri[i]: keyed[by_iri[i]] for i in changed})})
