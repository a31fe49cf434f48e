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

A key depends on the rows of its relation and day only, so the graph is the same whatever the order of files
and builds. A first build (or a bigger one, or a store without the graph) computes every row (0.8 s at 10,000
documents, 8,000 links); a re-build of a few documents recomputes the rows whose from is one of them or leads to
one of them, before or now, ranks again the cells (relation and day) these rows leave or join, and writes the
rows whose key changed (35 ms at 10,000; ``_update`` says why no other row can change).
``tests/test_links_order.py`` checks the rows against the live query, and after re-builds against a fresh build.
"""
from __future__ import annotations

import hashlib

from policykg.iri import Minter
from policykg.ontology import PKG, XSD

from .order import DAY_BITS, around_only, day_in_key, day_of, write_whole

ELI = "http://data.europa.eu/eli/ontology#"
RELATIONS = ((PKG + "promulgates", "issues"), (ELI + "based_on", "based-on"), (ELI + "repeals", "repeals"),
             (PKG + "interprets", "interprets"), (PKG + "revises", "revises"))


def links_graph(mint: Minter) -> str:
    return f"{mint.base}graph/summary/links"


def row_iri(mint: Minter, row: tuple[str, str, str]) -> str:
    return f"{mint.base}link/" + hashlib.sha256("\t".join(row).encode("utf-8")).hexdigest()[:24]


def _vals(var: str, iris) -> str:
    return f"VALUES ?{var} {{ " + " ".join(f"<{i}>" for i in sorted(iris)) + " }"


def _resolutions(store, acts: set[str] | None) -> dict[str, set[str]]:
    """Act → the documents it resolves to (``acts`` None: every act)."""
    if acts is not None and not acts:
        return {}
    scope = "" if acts is None else _vals("a", acts)
    out: dict[str, set[str]] = {}
    for r in store.query(f"SELECT DISTINCT ?a ?d WHERE {{ {scope} ?a <{PKG}resolvesTo> ?d }}"):
        out.setdefault(r["a"].value, set()).add(r["d"].value)
    return out


def _raw(store, scope: str = "", relations=RELATIONS) -> list[tuple[str, str, str]]:
    """The link triples (f, relation name, t) of ``relations`` that ``scope`` (query text binding ?f or ?t,
    written first so that the engine starts from it) selects; IRIs only."""
    values = " ".join(f'(<{p}> "{name}")' for p, name in relations)
    out = []
    for r in store.query(f"SELECT DISTINCT ?f ?relation ?t WHERE {{ {scope} VALUES (?p ?relation) {{ {values} }} ?f ?p ?t }}"):
        if type(r["f"]).__name__ == "NamedNode" and type(r["t"]).__name__ == "NamedNode":
            out.append((r["f"].value, r["relation"].value, r["t"].value))
    return out


def _resolve(raw: list[tuple[str, str, str]], resolved: dict[str, set[str]]) -> set[tuple[str, str, str]]:
    out = set()
    for f, relation, t in raw:
        for a in resolved.get(f) or {f}:
            for b in resolved.get(t) or {t}:
                out.add((a, relation, b))
    return out


def rows(store) -> set[tuple[str, str, str]]:
    """Every (from, relation, to) of the store, as the query defines them (IRIs; a literal or blank end is
    left out, as no link has one)."""
    return _resolve(_raw(store), _resolutions(store, None))


CODE = {name: i for i, name in enumerate(sorted(name for _, name in RELATIONS))}
CELL_SHIFT = 40  # bits of the rank within a cell (relation and day)


def _cell(row: tuple[str, str, str], signed: dict[str, str]) -> int:
    return CODE[row[1]] << DAY_BITS | day_in_key(signed.get(row[0]))


def _keys(rows, signed: dict[str, str]) -> dict[tuple, int]:
    """Each row's key (module docstring); ``signed``: document → its least date signed."""
    return _ranked({row: _cell(row, signed) for row in rows})


def _ranked(cell_of: dict[tuple, int]) -> dict[tuple, int]:
    """Keys of rows in their cells (row → cell); ``cell_of`` must hold every row of each cell it touches."""
    cells: dict[int, list[tuple]] = {}
    for row, cell in cell_of.items():
        cells.setdefault(cell, []).append(row)
    out = {}
    for cell, members in cells.items():
        for rank, row in enumerate(sorted(members, key=lambda r: (r[0], r[2])), start=1):
            out[row] = cell << CELL_SHIFT | rank
    return out


def _signed(store, docs: set[str] | None = None) -> dict[str, str]:
    """Document → its least date signed (``docs`` None: every document)."""
    out: dict[str, str] = {}
    if docs is not None and not docs:
        return out
    scope = "" if docs is None else _vals("d", docs)
    for r in store.query(f"SELECT ?d ?date WHERE {{ {scope} ?d <{ELI}date_document> ?date }}"):
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


def write_links_order(store, mint: Minter, changed: set[str] | None = None, bulk: bool = False) -> None:
    """Bring the stored rows in line with the store's links: every row (``changed`` None, many, or no graph yet;
    ``bulk``: a first build, bulk-loaded), or those around the ``changed`` documents (IRIs written or dropped by
    this build; module docstring)."""
    from .followup import store_has_graph

    graph = links_graph(mint)
    if around_only(store, graph, changed, bulk):
        _update(store, mint, changed)
        return
    keyed = _keys(rows(store), _signed(store))
    if not store_has_graph(store, graph):
        write_whole(store, graph, _quads(mint, keyed), bulk)
        return
    # the row node's IRI is a hash of the row: its key is all there is to compare
    stored = {r["row"].value: int(r["k"].value) for r in store.query(
        f"SELECT ?row ?k WHERE {{ GRAPH <{graph}> {{ ?row <{PKG}linkOrder> ?k }} }}")}
    _write(store, mint, stored, keyed, whole=True)


def _write(store, mint: Minter, stored: dict[str, int], keyed: dict[tuple, int], whole: bool = False) -> None:
    """Write the rows of ``keyed`` whose key differs from ``stored`` (row IRI → key), drop the stored ones that
    ``keyed`` lacks; ``whole``: they are every row of the graph."""
    graph = links_graph(mint)
    by_iri = {row_iri(mint, row): row for row in keyed}
    changed = {iri for iri in by_iri if stored.get(iri) != keyed[by_iri[iri]]}
    gone = set(stored) - set(by_iri)
    if not changed and not gone:
        return
    if whole and len(changed) + len(gone) > 1000:  # many: one graph replacement beats a delete pattern per row
        store.apply({graph: _quads(mint, keyed)})
        return
    delete = [f"GRAPH <{graph}> {{ <{iri}> ?p ?o }}" for iri in sorted(changed | gone)]
    store.apply({}, delete_where=delete, inserts={graph: _quads(mint, {by_iri[i]: keyed[by_iri[i]] for i in changed})})


def _update(store, mint: Minter, changed: set[str]) -> None:
    """The rows around the changed documents C. A row can only appear, go or move when its link is stated by a
    document of C (its ``from`` is that document, or — ``revises``, stated by an interpretation about two acts — any
    end: those rows are all recomputed), when one of its ends resolves to a document of C now or did before
    (citations resolve by a document's own title and number: a build changes no other resolution), or when its
    from's date changed (a document of C). So every row whose ``from`` is in F — C, the froms of the rows leading
    to C, before (stored) and now, and the froms of every ``revises`` row — is computed again, and the cells
    (relation and day) these rows leave or join are ranked again."""
    if not changed:
        return
    graph = links_graph(mint)
    froms = set(changed)
    for r in store.query(f"""SELECT DISTINCT ?from WHERE {{ GRAPH <{graph}> {{
            {{ {_vals("to", changed)} ?row <{PKG}linkTo> ?to ; <{PKG}linkFrom> ?from }}
            UNION {{ ?row <{PKG}linkRelation> "revises" ; <{PKG}linkFrom> ?from }} }} }}"""):
        froms.add(r["from"].value)
    leading = _raw(store, _vals("t", changed)) + _raw(store, f"{_vals('c', changed)} ?t <{PKG}resolvesTo> ?c .")
    leading += _raw(store, relations=[r for r in RELATIONS if r[1] == "revises"])
    resolved = _resolutions(store, {f for f, _, _ in leading})
    froms |= {a for f, _, _ in leading for a in resolved.get(f) or {f}}
    # the links from F now: stated by a member of F, or by an act resolving to one
    raw = _raw(store, _vals("f", froms))
    raw += _raw(store, f"{{ SELECT DISTINCT ?f WHERE {{ {_vals('x', froms)} ?f <{PKG}resolvesTo> ?x }} }}")
    resolved = _resolutions(store, {f for f, _, _ in raw} | {t for _, _, t in raw})
    now = {row for row in _resolve(raw, resolved) if row[0] in froms}
    old: dict[tuple, int] = {}
    for r in store.query(f"""SELECT ?from ?rel ?to ?k WHERE {{ {_vals("from", froms)} GRAPH <{graph}> {{
            ?row <{PKG}linkFrom> ?from ; <{PKG}linkRelation> ?rel ; <{PKG}linkTo> ?to ; <{PKG}linkOrder> ?k }} }}"""):
        old[(r["from"].value, r["rel"].value, r["to"].value)] = int(r["k"].value)
    signed = _signed(store, froms)
    cells = {k >> CELL_SHIFT for k in old.values()} | {_cell(row, signed) for row in now}
    # every stored row of those cells (their keys lie in its range), and its key
    ranges = " || ".join(f"(?k >= {c << CELL_SHIFT} && ?k < {(c + 1) << CELL_SHIFT})" for c in sorted(cells))
    stored: dict[tuple, int] = dict(old)
    if ranges:
        for r in store.query(f"""SELECT ?from ?rel ?to ?k WHERE {{ GRAPH <{graph}> {{ ?row <{PKG}linkOrder> ?k
                FILTER({ranges}) ?row <{PKG}linkFrom> ?from ; <{PKG}linkRelation> ?rel ; <{PKG}linkTo> ?to }} }}"""):
            stored[(r["from"].value, r["rel"].value, r["to"].value)] = int(r["k"].value)
    # the rows of those cells now: the stored ones whose from is not in F (their cell is in their key), and F's
    cell_of = {row: k >> CELL_SHIFT for row, k in stored.items() if row not in old}
    cell_of.update({row: _cell(row, signed) for row in now})
    keyed = _ranked({row: c for row, c in cell_of.items() if c in cells})
    _write(store, mint, {row_iri(mint, row): k for row, k in stored.items()}, keyed)
