"""Graph exports for visualisation tools: views (projections a person asks for) in six formats.

A *view* is computed by SPARQL and built as a networkx graph; the same projection's node and edge counts
are available from :func:`counts` (pure SPARQL), and the tests check that every format, read back by a parser
of that format, has exactly those counts.

Views (``scope`` optionally narrows a view to one document, agency or district IRI):

* ``responsibility`` — agencies and roles → measures they are responsible for (edge: ``role``, ``method``);
  the measures' documents are nodes too, as groups (Cytoscape.js compound parents).
* ``followup`` — district measures → city measures they follow up (edge: ``score``), nodes coloured by district.
* ``legal`` — documents and cited acts: issues, based-on, repeals, interprets, revises (cited acts resolved
  to documents of the store).
* ``full`` — every resource of the asserted graphs and every object-property edge (rdf:type becomes the
  node's ``type``).

Formats: ``graphml`` (keys declared: yEd, Cytoscape), ``gexf`` (colours and sizes per type: Gephi),
``cytoscape`` (Cytoscape.js JSON), ``csv`` (nodes and edges), ``dot`` (Graphviz), ``jsonld``.
"""
from __future__ import annotations

import csv
import io
import json

import networkx as nx

from policykg.csvsafe import cell

from policykg.iri import Minter, term as _t
from policykg.queries import rows as _rows

VIEWS = ("responsibility", "followup", "legal", "full")
FORMATS = ("graphml", "gexf", "cytoscape", "csv", "dot", "jsonld")
COLOURS = {  # per node type (Gephi), RGB
    "Agency": (31, 119, 180), "GenericRole": (158, 202, 225), "Measure": (44, 160, 44), "Document": (255, 127, 14),
    "ExternalAct": (214, 39, 40), "Article": (148, 103, 189), "District": (140, 86, 75),
}
DISTRICT_COLOURS = [(228, 26, 28), (55, 126, 184), (77, 175, 74), (152, 78, 163), (255, 127, 0), (166, 86, 40)]
PKG = "https://policykg.org/ontology#"
GENERAL_TYPES = {"Provision", "Actor", "DeonticStatement", "Place"}  # superclasses: a subclass names the node better
SIZES = {"Document": 20, "Agency": 14, "ExternalAct": 14, "GenericRole": 10, "Measure": 6}


def _scope_filter(var: str, scope: str | None, kind: str) -> str:
    if not scope:
        return ""
    if kind == "doc":
        return f"FILTER(?{var} = {_t(scope)})"
    return ""


# ---------------------------------------------------------------------- view queries
def _responsibility(store, scope):
    s = f"""{{ ?m pkg:inDocument {_t(scope)} }} UNION {{ ?m pkg:hasResponsibility/pkg:responsibleUnit {_t(scope)} }}
            UNION {{ ?m pkg:inDocument/pkg:district {_t(scope)} }}""" if scope else ""
    return _rows(store, f"""SELECT DISTINCT ?unit ?unitType ?unitLabel ?m ?mText ?mPath ?doc ?docTitle ?role ?method WHERE {{
        ?m pkg:hasResponsibility ?r . ?r pkg:responsibleUnit ?unit ; pkg:role ?role ; pkg:method ?method .
        ?m pkg:inDocument ?doc ; pkg:text ?mText ; pkg:path ?mPath . ?doc dct:title ?docTitle .
        OPTIONAL {{ ?unit skos:prefLabel ?unitLabel }}
        BIND(IF(EXISTS {{ ?unit a pkg:GenericRole }}, "GenericRole", "Agency") AS ?unitType)
        {s} }} ORDER BY ?unit ?m""")


def _followup(store, scope):
    s = f"""{{ ?dm pkg:inDocument/pkg:district {_t(scope)} }} UNION {{ ?dm pkg:inDocument {_t(scope)} }}
            UNION {{ ?cm pkg:inDocument {_t(scope)} }}""" if scope else ""
    return _rows(store, f"""SELECT ?dm ?dText ?cm ?cText ?score ?district WHERE {{
        ?f a pkg:FollowUp ; pkg:districtMeasure ?dm ; pkg:cityMeasure ?cm ; pkg:score ?score .
        ?dm pkg:text ?dText ; pkg:inDocument/pkg:district/skos:prefLabel ?district . ?cm pkg:text ?cText .
        {s} }} ORDER BY ?dm ?cm""")


def _legal(store, scope):
    # Virtuoso 7.2's compiler fails ("sparp_check_field_mapping_spo(): field is neither variable nor literal") on
    # EXISTS over a BIND-ed variable and on VALUES over a variable predicate: OPTIONAL + BOUND and UNION instead
    s = f"FILTER(?from = {_t(scope)} || ?to = {_t(scope)})" if scope else ""
    return _rows(store, f"""SELECT DISTINCT ?from ?fromType ?fromTitle ?relation ?to ?toType ?toTitle WHERE {{
        {{ ?f pkg:promulgates ?t BIND("issues" AS ?relation) }} UNION {{ ?f eli:based_on ?t BIND("based-on" AS ?relation) }}
        UNION {{ ?f eli:repeals ?t BIND("repeals" AS ?relation) }} UNION {{ ?f pkg:interprets ?t BIND("interprets" AS ?relation) }}
        UNION {{ ?f pkg:revises ?t BIND("revises" AS ?relation) }}
        OPTIONAL {{ ?f pkg:resolvesTo ?fd }} OPTIONAL {{ ?t pkg:resolvesTo ?td }}
        BIND(COALESCE(?fd, ?f) AS ?from) BIND(COALESCE(?td, ?t) AS ?to)
        OPTIONAL {{ ?from a ?fromClass FILTER(?fromClass = pkg:Document) }} OPTIONAL {{ ?to a ?toClass FILTER(?toClass = pkg:Document) }}
        BIND(IF(BOUND(?fromClass), "Document", "ExternalAct") AS ?fromType)
        BIND(IF(BOUND(?toClass), "Document", "ExternalAct") AS ?toType)
        OPTIONAL {{ ?from dct:title ?fromTitle }} OPTIONAL {{ ?to dct:title ?toTitle }}
        {s} }} ORDER BY ?from ?relation ?to""")


def _full_graphs(store, base):
    mint = Minter(base)
    keep = {mint.agencies_graph, mint.authority_graph, mint.places_graph, mint.acts_graph, mint.links_graph}
    return [g for g in store.named_graphs()
            if mint.doc_key_of_graph(g) is not None or g in keep or mint.is_followups_graph(g)]


def _full(store, base, scope):
    graphs = " ".join(_t(g) for g in _full_graphs(store, base))
    s = f"FILTER(STRSTARTS(STR(?s), STR({_t(scope)})) || STRSTARTS(STR(?o), STR({_t(scope)})))" if scope else ""
    return _rows(store, f"""SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?g {{ {graphs} }} GRAPH ?g {{ ?s ?p ?o }}
        FILTER(isIRI(?o) && ?p != rdf:type) {s} }} ORDER BY ?s ?p ?o""")


# ---------------------------------------------------------------------- networkx
def build_view(store, base: str, view: str, scope: str | None = None) -> nx.MultiDiGraph:
    """The view as a networkx graph: node attrs type, label, document, district; edge attrs relation (+ role/score)."""
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; views: {', '.join(VIEWS)}")
    g = nx.MultiDiGraph(view=view)

    def node(iri, type_, label=None, **attrs):
        if iri not in g:
            g.add_node(iri, type=type_, label=label or iri.rsplit("/", 1)[-1], **{k: v for k, v in attrs.items() if v})
        else:
            for k, v in attrs.items():
                if v and k not in g.nodes[iri]:
                    g.nodes[iri][k] = v

    if view == "responsibility":
        for r in _responsibility(store, scope):
            node(r["doc"], "Document", r["docTitle"])
            node(r["m"], "Measure", r["mText"][:40], document=r["doc"], path=r["mPath"])
            node(r["unit"], r["unitType"], r["unitLabel"])
            g.add_edge(r["unit"], r["m"], key=f"{r['role']}|{r['method']}", relation="responsible-for",
                       role=r["role"], method=r["method"])
    elif view == "followup":
        for r in _followup(store, scope):
            node(r["dm"], "Measure", r["dText"][:40], district=r["district"])
            node(r["cm"], "Measure", r["cText"][:40], district="city")
            g.add_edge(r["dm"], r["cm"], key="follows-up", relation="follows-up", score=float(r["score"]))
    elif view == "legal":
        for r in _legal(store, scope):
            node(r["from"], r["fromType"], r["fromTitle"])
            node(r["to"], r["toType"], r["toTitle"])
            g.add_edge(r["from"], r["to"], key=r["relation"], relation=r["relation"])
    else:
        # a node's type: its most specific policykg class (Article before Provision, Agency before org:Organization)
        candidates: dict[str, list] = {}
        for t in _rows(store, "SELECT ?s ?t WHERE { ?s a ?t }"):
            name = t["t"].rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            rank = (not t["t"].startswith(PKG), name in GENERAL_TYPES, name)
            candidates.setdefault(t["s"], []).append((rank, name))
        types = {s: min(c)[1] for s, c in candidates.items()}
        # the label is the Chinese (or untagged) one where there is one; label_en is added below
        labels: dict[str, str] = {}
        # the language tag, not a boolean column: stores spell booleans differently (Virtuoso: 1/0)
        for r in sorted(_rows(store, """SELECT ?s ?x (LANG(?x) AS ?lang) WHERE {
                { ?s dct:title ?x } UNION { ?s skos:prefLabel ?x } UNION { ?s rdfs:label ?x } UNION { ?s pkg:path ?x } }"""),
                        key=lambda r: (r["s"], r["lang"].lower().split("-")[0] == "en", r["x"])):
            labels.setdefault(r["s"], r["x"])
        for r in _full(store, base, scope):
            for x in (r["s"], r["o"]):
                node(x, types.get(x, "Resource"), labels.get(x))
            rel = r["p"].rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            g.add_edge(r["s"], r["o"], key=r["p"], relation=rel)
    _english_labels(store, g)
    return g


def _english_labels(store, g: nx.MultiDiGraph) -> None:
    """``label_en`` for the nodes that have an English label (the data's labels are Chinese; terms are both)."""
    iris = sorted(n for n in g.nodes if n.startswith("http"))
    for i in range(0, len(iris), 500):
        values = " ".join(_t(x) for x in iris[i:i + 500])
        for r in _rows(store, f"""SELECT ?s (MIN(STR(?l)) AS ?en) WHERE {{ VALUES ?s {{ {values} }}
                {{ ?s skos:prefLabel|rdfs:label|dct:title ?l }} FILTER(LANGMATCHES(LANG(?l), "en")) }} GROUP BY ?s"""):
            g.nodes[r["s"]]["label_en"] = r["en"]


def counts(store, base: str, view: str, scope: str | None = None) -> tuple[int, int]:
    """(nodes, edges) of a view, by SPARQL alone — what every export of it must contain."""
    if view == "responsibility":
        rows = _responsibility(store, scope)
        nodes = {r["unit"] for r in rows} | {r["m"] for r in rows} | {r["doc"] for r in rows}
        return len(nodes), len({(r["unit"], r["m"], r["role"], r["method"]) for r in rows})
    if view == "followup":
        rows = _followup(store, scope)
        return len({r["dm"] for r in rows} | {r["cm"] for r in rows}), len({(r["dm"], r["cm"]) for r in rows})
    if view == "legal":
        rows = _legal(store, scope)
        return len({r["from"] for r in rows} | {r["to"] for r in rows}), len({(r["from"], r["relation"], r["to"]) for r in rows})
    rows = _full(store, base, scope)
    return len({r["s"] for r in rows} | {r["o"] for r in rows}), len(rows)


# ---------------------------------------------------------------------- formats
def _ids(g: nx.MultiDiGraph) -> dict[str, str]:
    """Short stable node ids (n0, n1 …) by IRI order; the IRI stays as an attribute."""
    return {iri: f"n{i}" for i, iri in enumerate(sorted(g.nodes))}


def _plain(g: nx.MultiDiGraph, ids: dict[str, str]) -> nx.MultiDiGraph:
    h = nx.MultiDiGraph()
    for n, d in g.nodes(data=True):
        h.add_node(ids[n], iri=n, **{k: v for k, v in d.items()})
    for u, v, k, d in g.edges(keys=True, data=True):
        h.add_edge(ids[u], ids[v], key=str(k), **d)
    return h


def _district_colour(g) -> dict[str, tuple]:
    districts = sorted({d.get("district") for _, d in g.nodes(data=True) if d.get("district") not in (None, "city")})
    return {d: DISTRICT_COLOURS[i % len(DISTRICT_COLOURS)] for i, d in enumerate(districts)}


def to_format(g: nx.MultiDiGraph, fmt: str) -> dict[str, bytes]:
    """The view in a format: {file suffix: bytes} (CSV gives two files, the others one)."""
    ids = _ids(g)
    h = _plain(g, ids)
    if fmt == "graphml":
        buf = io.BytesIO()
        nx.write_graphml(h, buf, named_key_ids=True)
        return {"graphml": buf.getvalue()}
    if fmt == "gexf":
        by_district = _district_colour(g)
        for n, d in h.nodes(data=True):
            r, gr, b = by_district.get(d.get("district"), COLOURS.get(d.get("type"), (127, 127, 127)))
            d["viz"] = {"color": {"r": r, "g": gr, "b": b, "a": 1.0}, "size": float(SIZES.get(d.get("type"), 8))}
        buf = io.BytesIO()
        nx.write_gexf(h, buf)
        return {"gexf": buf.getvalue()}
    if fmt == "cytoscape":
        elements = {"nodes": [], "edges": []}
        for n, d in sorted(g.nodes(data=True)):
            data = {"id": ids[n], "iri": n, **d}
            if d.get("document") and d["document"] in ids and g.graph.get("view") == "responsibility":
                data["parent"] = ids[d["document"]]  # documents as groups
            elements["nodes"].append({"data": data})
        for i, (u, v, k, d) in enumerate(sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[1], str(e[2])))):
            elements["edges"].append({"data": {"id": f"e{i}", "source": ids[u], "target": ids[v], **d}})
        return {"json": json.dumps({"elements": elements, "data": {"view": g.graph.get("view")}}, ensure_ascii=False,
                                   indent=1).encode("utf-8")}
    if fmt == "csv":
        keys = sorted({k for _, d in g.nodes(data=True) for k in d})
        nodes = io.StringIO()
        w = csv.writer(nodes)
        w.writerow(["id", "iri"] + keys)
        for n, d in sorted(g.nodes(data=True)):
            w.writerow([ids[n], cell(n)] + [cell(d.get(k, "")) for k in keys])
        ekeys = sorted({k for _, _, d in g.edges(data=True) for k in d})
        edges = io.StringIO()
        w = csv.writer(edges)
        w.writerow(["source", "target"] + ekeys)
        for u, v, d in sorted(g.edges(data=True), key=lambda e: (e[0], e[1], e[2].get("relation", ""), str(e[2].get("role", "")))):
            w.writerow([ids[u], ids[v]] + [cell(d.get(k, "")) for k in ekeys])
        return {"nodes.csv": nodes.getvalue().encode("utf-8"), "edges.csv": edges.getvalue().encode("utf-8")}
    if fmt == "dot":
        def q(s) -> str:
            return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'

        lines = [f"digraph {q(g.graph.get('view', 'policykg'))} {{", "  node [shape=box, fontname=\"Noto Sans CJK SC\"];"]
        for n, d in sorted(g.nodes(data=True)):
            lines.append(f"  {ids[n]} [label={q(d.get('label', n))}, type={q(d.get('type'))}, iri={q(n)}];")
        for u, v, d in sorted(g.edges(data=True), key=lambda e: (e[0], e[1], e[2].get("relation", ""), str(e[2].get("role", "")))):
            attrs = ", ".join(f"{k}={q(val)}" for k, val in sorted(d.items()))
            lines.append(f"  {ids[u]} -> {ids[v]} [{attrs}, label={q(d.get('relation'))}];")
        lines.append("}")
        return {"dot": ("\n".join(lines) + "\n").encode("utf-8")}
    if fmt == "jsonld":
        graph = []
        for n, d in sorted(g.nodes(data=True)):
            item = {"@id": n, "@type": f"pkg:{d.get('type')}", "rdfs:label": d.get("label")}
            graph.append(item)
        edges = []
        for i, (u, v, k, d) in enumerate(sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[1], str(e[2])))):
            edges.append({"@id": f"_:e{i}", "@type": "pkg:ViewEdge", "pkg:from": {"@id": u}, "pkg:to": {"@id": v},
                          **{f"pkg:{k2}": val for k2, val in sorted(d.items())}})
        doc = {"@context": {"pkg": "https://policykg.org/ontology#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#"},
               "@graph": graph + edges}
        return {"jsonld": json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")}
    raise ValueError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")


MEDIA = {"graphml": "application/graphml+xml", "gexf": "application/gexf+xml", "json": "application/json",
         "nodes.csv": "text/csv", "edges.csv": "text/csv", "dot": "text/vnd.graphviz", "jsonld": "application/ld+json"}
