"""Every export format, read back by a parser of that format, has the node and edge counts that SPARQL gives
for the same view."""
from __future__ import annotations

import csv
import io
import json

import networkx as nx
import pytest
import rdflib

from policykg.queries import export

from helpers import BASE, run_cli

DOC = BASE + "doc/2024/上海市落实-全面对接国际高标准经贸规则推进中国-上海-自由贸易试验区高水平制度型开放总体方案-的实施方案"


def read_back(fmt: str, files: dict[str, bytes], view: str) -> tuple[int, int]:
    if fmt == "graphml":
        g = nx.read_graphml(io.BytesIO(files["graphml"]), force_multigraph=True)
        return g.number_of_nodes(), g.number_of_edges()
    if fmt == "gexf":
        g = nx.read_gexf(io.BytesIO(files["gexf"]))
        return g.number_of_nodes(), g.number_of_edges()
    if fmt == "cytoscape":
        data = json.loads(files["json"])
        return len(data["elements"]["nodes"]), len(data["elements"]["edges"])
    if fmt == "csv":
        nodes = list(csv.DictReader(io.StringIO(files["nodes.csv"].decode("utf-8"))))
        edges = list(csv.DictReader(io.StringIO(files["edges.csv"].decode("utf-8"))))
        return len(nodes), len(edges)
    if fmt == "dot":
        import pydot

        [g] = pydot.graph_from_dot_data(files["dot"].decode("utf-8"))
        nodes = [n for n in g.get_nodes() if n.get_name() not in ("node", "edge", "graph")]
        return len(nodes), len(g.get_edges())
    # JSON-LD in the store's own terms: the view's nodes are the typed IRIs; a responsibility or follow-up edge is a
    # blank pkg:Responsibility / pkg:FollowUp, a legal or full-view edge the triple of its property between two nodes
    g = rdflib.Graph().parse(data=files["jsonld"].decode("utf-8"), format="json-ld")
    nodes = {s for s in g.subjects(rdflib.RDF.type, None) if isinstance(s, rdflib.URIRef)}
    reified = {s for s in g.subjects(rdflib.RDF.type, None) if isinstance(s, rdflib.BNode)}
    if view in ("responsibility", "followup"):
        return len(nodes), len(reified)
    assert not reified
    return len(nodes), len([t for t in g if t[1] != rdflib.RDF.type and t[0] in nodes and t[2] in nodes])


@pytest.mark.parametrize("view, scope", [
    ("responsibility", None), ("followup", None), ("legal", None),
    # the whole full view is 7,000 nodes; pydot takes a minute to parse it, so the round trip uses one document
    ("full", BASE + "doc/沪府规-2024-1"),
])
def test_export_reads_back_with_the_sparql_counts(built, view, scope):
    store, _ = built
    expected = export.counts(store, BASE, view, scope)
    assert expected[0] > 0 and expected[1] > 0
    g = export.build_view(store, BASE, view, scope)
    for fmt in export.FORMATS:
        assert read_back(fmt, export.to_format(g, fmt), view) == expected, fmt


def test_a_view_narrowed_to_one_document(built):
    store, _ = built
    n, e = export.counts(store, BASE, "responsibility", DOC)
    [row] = list(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?m pkg:inDocument <{DOC}> ; pkg:hasResponsibility ?r }}"))
    assert e == int(row["n"].value) > 500  # every responsibility link of the FTZ plan's measures
    data = json.loads(export.to_format(export.build_view(store, BASE, "responsibility", DOC), "cytoscape")["json"])
    docs = [x for x in data["elements"]["nodes"] if x["data"]["type"] == "Document"]
    assert [d["data"]["iri"] for d in docs] == [DOC]
    measures = [x for x in data["elements"]["nodes"] if x["data"]["type"] == "Measure"]
    assert measures and all(m["data"]["parent"] == docs[0]["data"]["id"] for m in measures)  # documents as groups


def test_gexf_is_styled_and_graphml_declares_its_keys(built):
    store, _ = built
    g = export.build_view(store, BASE, "followup")
    gexf = export.to_format(g, "gexf")["gexf"].decode("utf-8")
    assert "viz:color" in gexf and "viz:size" in gexf
    graphml = export.to_format(g, "graphml")["graphml"].decode("utf-8")
    for key in ('attr.name="score"', 'attr.name="district"', 'attr.name="label"', 'attr.name="type"'):
        assert key in graphml


def test_nodes_have_the_chinese_label_and_the_english_one_where_there_is_one(built):
    store, _ = built
    back = nx.read_graphml(io.BytesIO(export.to_format(export.build_view(store, BASE, "full"), "graphml")["graphml"]))
    by_label = {d.get("label"): d for _, d in back.nodes(data=True) if d.get("type") != "ExternalAct"}
    # the document type of the city action plan: 行动方案 / action plan in ontology/policykg.ttl
    assert by_label["行动方案"]["label_en"] == "action plan" and by_label["行动方案"]["type"] == "DocumentType"
    # a document (not the act of the same title it repeals): its title as printed, no English label invented
    forest = by_label["上海市森林管理规定"]
    assert forest["type"] == "Document" and "label_en" not in forest


def test_export_command_and_http(built, tmp_path):
    store, _ = built
    out = tmp_path / "legal.csv"
    r = run_cli("export", "--format", "csv", "--view", "legal", "--store", str(store.path), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "legal.nodes.csv").exists() and (tmp_path / "legal.edges.csv").exists()
    r = run_cli("export", "--format", "dot", "--view", "legal", "--store", str(store.path))
    assert r.stdout.startswith('digraph "legal"')
