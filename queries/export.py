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

Every node has ``type`` and ``label`` — at most LABEL_LIMIT (60) characters, ending in "…" when cut, the whole
text then in ``text`` — and ``label_en``, ``document``, ``district``, ``path`` where they apply.

Formats (each the same bytes for the same store):

* ``graphml`` — keys declared (Cytoscape desktop, Gephi, networkx read the plain attributes) plus yEd's own
  graphics (yEd shows nothing else): a ``y:ShapeNode`` with one ``y:NodeLabel`` per node, a ``y:PolyLineEdge``
  with a ``y:EdgeLabel`` per edge. Edge ids are unique: ``<source id>-<target id>-<relation>-<ordinal>``.
* ``gexf`` — GEXF 1.2 for Gephi: colours and sizes per type (per district in ``followup``), a follow-up's score
  as the edge ``weight``, no date in the file.
* ``cytoscape`` (Cytoscape.js JSON), ``csv`` (nodes and edges), ``dot`` (Graphviz).
* ``jsonld`` — the view in the store's own terms, only terms the ontology declares plus rdf:type, rdfs:label and
  rdfs:Resource (see :func:`_jsonld`).
"""
from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from xml.sax.saxutils import escape

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
LEGAL = {  # the legal view's relations and the properties they are (JSON-LD writes these)
    "issues": PKG + "promulgates", "based-on": "http://data.europa.eu/eli/ontology#based_on",
    "repeals": "http://data.europa.eu/eli/ontology#repeals", "interprets": PKG + "interprets", "revises": PKG + "revises",
}
LABEL_LIMIT = 60  # characters of a node label, "…" included; a longer label's whole text is the node's `text`
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
        ?dm eli:ensures_implementation_of ?cm .  # follow-ups proper: not the cross-plan comparisons
        ?dm pkg:text ?dText ; pkg:inDocument/pkg:district/skos:prefLabel ?district . ?cm pkg:text ?cText .
        {s} }} ORDER BY ?dm ?cm""")


def _legal(store, scope):
    # Virtuoso 7.2's compiler fails ("sparp_check_field_mapping_spo(): field is neither variable nor literal") on
    # EXISTS over a BIND-ed variable and on VALUES over a variable predicate: OPTIONAL + BOUND and UNION instead
    s = f"FILTER(?from = {_t(scope)} || ?to = {_t(scope)})" if scope else ""
    return _rows(store, f"""SELECT DISTINCT ?from ?fromType ?fromTitle ?relation ?to ?toType ?toTitle WHERE {{
        {" UNION ".join(f'{{ ?f <{p}> ?t BIND("{r}" AS ?relation) }}' for r, p in LEGAL.items())}
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
    g = nx.MultiDiGraph(view=view, classes={})

    def node(iri, type_, label=None, **attrs):
        if iri not in g:
            label = label or iri.rsplit("/", 1)[-1]
            if len(label) > LABEL_LIMIT:  # a readable label; the whole text stays as `text`
                attrs["text"] = label
                label = label[:LABEL_LIMIT - 1] + "…"
            g.add_node(iri, type=type_, label=label, **{k: v for k, v in attrs.items() if v})
        else:
            for k, v in attrs.items():
                if v and k not in g.nodes[iri]:
                    g.nodes[iri][k] = v

    if view == "responsibility":
        for r in _responsibility(store, scope):
            node(r["doc"], "Document", r["docTitle"])
            node(r["m"], "Measure", r["mText"], document=r["doc"], path=r["mPath"])
            node(r["unit"], r["unitType"], r["unitLabel"])
            g.add_edge(r["unit"], r["m"], key=f"{r['role']}|{r['method']}", relation="responsible-for",
                       role=r["role"], method=r["method"])
    elif view == "followup":
        for r in _followup(store, scope):
            node(r["dm"], "Measure", r["dText"], district=r["district"])
            node(r["cm"], "Measure", r["cText"], district="city")
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
            candidates.setdefault(t["s"], []).append((rank, name, t["t"]))
        types = {s: min(c)[1] for s, c in candidates.items()}
        classes = {s: min(c)[2] for s, c in candidates.items()}
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
                if x in classes:
                    g.graph["classes"][x] = classes[x]  # the class IRI behind `type` (JSON-LD writes it)
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


def _edges(g: nx.MultiDiGraph, ids: dict[str, str]) -> list[tuple[str, str, str, object, dict]]:
    """Every edge as (id, source, target, key, attributes), in a stable order (source, target, key), with an id unique in
    the file and the same for the same store: ``<source id>-<target id>-<relation>-<ordinal>`` — the ordinal counts
    the edges of one source, target and relation (a unit can be responsible for a measure in two roles)."""
    seen: dict[tuple, int] = {}
    out = []
    for u, v, k, d in sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[1], str(e[2]))):
        kind = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(d.get("relation", "edge"))) or "edge"
        n = seen[(u, v, kind)] = seen.get((u, v, kind), -1) + 1
        out.append((f"{ids[u]}-{ids[v]}-{kind}-{n}", u, v, k, d))
    return out


def _district_colour(g) -> dict[str, tuple]:
    districts = sorted({d.get("district") for _, d in g.nodes(data=True) if d.get("district") not in (None, "city")})
    return {d: DISTRICT_COLOURS[i % len(DISTRICT_COLOURS)] for i, d in enumerate(districts)}


def _node_values(n: str, d: dict, keys: list[str]):
    """(key, value) of a node's attributes as the GraphML and GEXF writers write them: its IRI, then what it has."""
    for k in keys:
        v = n if k == "iri" else d.get(k)
        if v is not None:
            yield k, v


def _colour(d: dict, by_district: dict) -> tuple:
    return by_district.get(d.get("district"), COLOURS.get(d.get("type"), (127, 127, 127)))


def _edge_label(d: dict) -> str:
    """What an edge says on screen: its role, its score, or its relation (as the graph page draws it)."""
    if d.get("role"):
        return str(d["role"])
    if isinstance(d.get("score"), float):
        return f"{d['score']:.2f}"
    return str(d.get("relation", ""))


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(value) -> str:
    """Text for XML content or a double-quoted attribute (characters XML 1.0 cannot hold are dropped)."""
    return escape(_NOT_XML.sub("", str(value)), {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _xml_type(values) -> str:
    vals = [v for v in values if v is not None]
    if vals and all(isinstance(v, float) for v in vals):
        return "double"
    if vals and all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        return "long"
    return "string"


def _graphml(g: nx.MultiDiGraph, ids: dict[str, str]) -> bytes:
    """GraphML with its keys declared (Cytoscape desktop, Gephi, networkx read them) and, for yEd, which shows only
    its own graphics, a ``y:ShapeNode`` with a ``y:NodeLabel`` per node and a ``y:PolyLineEdge`` with a
    ``y:EdgeLabel`` per edge."""
    nodes = sorted(g.nodes(data=True))
    edges = _edges(g, ids)
    nkeys = sorted({k for _, d in nodes for k in d} | {"iri"})
    ekeys = sorted({k for *_, d in edges for k in d})
    nid = {k: k for k in nkeys}
    eid = {k: (k if k not in nid else f"edge_{k}") for k in ekeys}
    by_district = _district_colour(g)
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xmlns:y="http://www.yworks.com/xml/graphml" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
           'http://www.yworks.com/xml/schema/graphml/1.1/ygraphml.xsd">\n']
    for k in nkeys:
        t = "string" if k == "iri" else _xml_type(d.get(k) for _, d in nodes)
        out.append(f'<key id="{_x(nid[k])}" for="node" attr.name="{_x(k)}" attr.type="{t}"/>\n')
    for k in ekeys:
        t = _xml_type(d.get(k) for *_, d in edges)
        out.append(f'<key id="{_x(eid[k])}" for="edge" attr.name="{_x(k)}" attr.type="{t}"/>\n')
    out.append('<key id="yed_node" for="node" yfiles.type="nodegraphics"/>\n'
               '<key id="yed_edge" for="edge" yfiles.type="edgegraphics"/>\n')
    out.append(f'<graph id="{_x(g.graph.get("view", "policykg"))}" edgedefault="directed">\n')
    for n, d in nodes:
        out.append(f'<node id="{ids[n]}">\n')
        out.extend(f'  <data key="{_x(nid[k])}">{_x(v)}</data>\n' for k, v in _node_values(n, d, nkeys))
        label = str(d.get("label", n))
        r, gr, b = _colour(d, by_district)
        width = min(max(12 * len(label) + 16, 40), 12 * LABEL_LIMIT + 16)  # a CJK character is about 12 px at 12 pt
        out.append(f'  <data key="yed_node"><y:ShapeNode><y:Geometry height="30.0" width="{width}.0" x="0.0" y="0.0"/>'
                   f'<y:Fill color="#{r:02X}{gr:02X}{b:02X}" transparent="false"/>'
                   '<y:BorderStyle color="#000000" type="line" width="1.0"/>'
                   f'<y:NodeLabel fontSize="12" textColor="#000000" modelName="internal" modelPosition="c">{_x(label)}</y:NodeLabel>'
                   '<y:Shape type="roundrectangle"/></y:ShapeNode></data>\n</node>\n')
    for i, u, v, _, d in edges:
        out.append(f'<edge id="{_x(i)}" source="{ids[u]}" target="{ids[v]}">\n')
        for k in ekeys:
            if d.get(k) is not None:
                out.append(f'  <data key="{_x(eid[k])}">{_x(d[k])}</data>\n')
        out.append('  <data key="yed_edge"><y:PolyLineEdge><y:LineStyle color="#808080" type="line" width="1.0"/>'
                   '<y:Arrows source="none" target="standard"/>'
                   f'<y:EdgeLabel fontSize="10" textColor="#000000">{_x(_edge_label(d))}</y:EdgeLabel>'
                   '</y:PolyLineEdge></data>\n</edge>\n')
    out.append("</graph>\n</graphml>\n")
    return "".join(out).encode("utf-8")


def _gexf(g: nx.MultiDiGraph, ids: dict[str, str]) -> bytes:
    """GEXF 1.2 for Gephi: node colours and sizes (``viz``), labels of at most LABEL_LIMIT characters (the whole text
    is the ``text`` attribute), a follow-up's score as the edge's ``weight``; no date, so the same store gives the
    same bytes."""
    nodes = sorted(g.nodes(data=True))
    edges = _edges(g, ids)
    nkeys = sorted({k for _, d in nodes for k in d if k != "label"} | {"iri"})
    ekeys = sorted({k for *_, d in edges for k in d if k != "score"})  # the score is the weight
    by_district = _district_colour(g)
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           '<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:viz="http://www.gexf.net/1.2draft/viz" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.gexf.net/1.2draft '
           'http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">\n',
           f'<meta><creator>policykg</creator><description>{_x(g.graph.get("view", ""))} view</description></meta>\n',
           '<graph defaultedgetype="directed" mode="static">\n<attributes class="node" mode="static">\n']
    for k in nkeys:
        t = "string" if k == "iri" else _xml_type(d.get(k) for _, d in nodes)
        out.append(f'  <attribute id="{_x(k)}" title="{_x(k)}" type="{t}"/>\n')
    out.append('</attributes>\n<attributes class="edge" mode="static">\n')
    for k in ekeys:
        out.append(f'  <attribute id="{_x(k)}" title="{_x(k)}" type="{_xml_type(d.get(k) for *_, d in edges)}"/>\n')
    out.append("</attributes>\n<nodes>\n")
    for n, d in nodes:
        out.append(f'<node id="{ids[n]}" label="{_x(d.get("label", n))}"><attvalues>')
        out.extend(f'<attvalue for="{_x(k)}" value="{_x(v)}"/>' for k, v in _node_values(n, d, nkeys))
        r, gr, b = _colour(d, by_district)
        out.append(f'</attvalues><viz:color r="{r}" g="{gr}" b="{b}" a="1.0"/>'
                   f'<viz:size value="{float(SIZES.get(d.get("type"), 8))}"/></node>\n')
    out.append("</nodes>\n<edges>\n")
    for i, u, v, _, d in edges:
        weight = f' weight="{d["score"]!r}"' if isinstance(d.get("score"), float) else ""
        out.append(f'<edge id="{_x(i)}" source="{ids[u]}" target="{ids[v]}" label="{_x(d.get("relation", ""))}"{weight}>'
                   '<attvalues>')
        for k in ekeys:
            if d.get(k) is not None:
                out.append(f'<attvalue for="{_x(k)}" value="{_x(d[k])}"/>')
        out.append("</attvalues></edge>\n")
    out.append("</edges>\n</graph>\n</gexf>\n")
    return "".join(out).encode("utf-8")


CONTEXT = {  # the JSON-LD prefixes: the vocabularies the ontology declares its terms from
    "pkg": PKG, "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#", "eli": "http://data.europa.eu/eli/ontology#",
    "dct": "http://purl.org/dc/terms/", "skos": "http://www.w3.org/2004/02/skos/core#", "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#", "oa": "http://www.w3.org/ns/oa#", "odrl": "http://www.w3.org/ns/odrl/2/",
}


def _curie(iri: str) -> str:
    for prefix, ns in CONTEXT.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def _class_of(g: nx.MultiDiGraph, n: str, d: dict) -> str:
    """The class IRI of a node: the one the full view read from rdf:type, else the policykg class its ``type``
    names; rdfs:Resource for a node with no class."""
    if n in g.graph.get("classes", {}):
        return g.graph["classes"][n]
    t = d.get("type")
    return PKG + t if t and t != "Resource" else "http://www.w3.org/2000/01/rdf-schema#Resource"


def _jsonld(g: nx.MultiDiGraph, ids: dict[str, str]) -> bytes:
    """The view as RDF in the store's own terms (only terms the ontology declares, and rdf:type, rdfs:label,
    rdfs:Resource): nodes with their class, labels, path and document; a responsibility edge as the
    pkg:Responsibility it is, a follow-up as a pkg:FollowUp with its score, a legal or full-view edge as the triple
    of its property."""
    view = g.graph.get("view")
    items: dict[str, dict] = {}
    for n, d in sorted(g.nodes(data=True)):
        item = {"@id": n, "@type": _curie(_class_of(g, n, d))}
        labels = [d.get("text") or d.get("label", n)]
        if d.get("label_en"):
            labels.append({"@value": d["label_en"], "@language": "en"})
        item["rdfs:label"] = labels if len(labels) > 1 else labels[0]
        if d.get("path"):
            item["pkg:path"] = d["path"]
        if d.get("document"):
            item["pkg:inDocument"] = {"@id": d["document"]}
        items[n] = item
    reified = []
    for i, u, v, k, d in _edges(g, ids):
        if view == "responsibility":
            reified.append({"@id": f"_:{i}", "@type": "pkg:Responsibility", "pkg:responsibleUnit": {"@id": u},
                            "pkg:role": d.get("role"), "pkg:method": d.get("method"),
                            "@reverse": {"pkg:hasResponsibility": {"@id": v}}})
        elif view == "followup":
            reified.append({"@id": f"_:{i}", "@type": "pkg:FollowUp", "pkg:districtMeasure": {"@id": u},
                            "pkg:cityMeasure": {"@id": v},
                            "pkg:score": {"@value": str(Decimal(repr(d["score"]))), "@type": "xsd:decimal"}})
        else:
            prop = LEGAL.get(d.get("relation")) if view == "legal" else None
            prop = _curie(prop or str(k))  # the full view's edge key is the property IRI
            items[u].setdefault(prop, []).append({"@id": v})
    doc = {"@context": CONTEXT, "@graph": list(items.values()) + reified}
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def to_format(g: nx.MultiDiGraph, fmt: str) -> dict[str, bytes]:
    """The view in a format: {file suffix: bytes} (CSV gives two files, the others one)."""
    ids = _ids(g)
    if fmt == "graphml":
        return {"graphml": _graphml(g, ids)}
    if fmt == "gexf":
        return {"gexf": _gexf(g, ids)}
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
        return {"jsonld": _jsonld(g, ids)}
    raise ValueError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")


MEDIA = {"graphml": "application/graphml+xml", "gexf": "application/gexf+xml", "json": "application/json",
         "nodes.csv": "text/csv", "edges.csv": "text/csv", "dot": "text/vnd.graphviz", "jsonld": "application/ld+json"}
