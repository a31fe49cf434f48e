"""Every export format, read back by a parser of that format, has the node and edge counts that SPARQL gives
for the same view."""
from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

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


# ---------------------------------------------------------------------- exports that open cleanly (issue 16)
Y = "{http://www.yworks.com/xml/graphml}"
GML = "{http://graphml.graphdrawing.org/xmlns}"
GEXF = "{http://www.gexf.net/1.2draft}"
FTZ = BASE + "doc/沪府规-2024-1"


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory):
    """The bundled corpus built by `policykg build --no-reason`, as an analyst would."""
    from server_helpers import corpus_store

    return corpus_store(tmp_path_factory, "export-cli")


def cli_export(store, fmt: str, view: str, *more: str) -> bytes:
    """`policykg export` to standard output, its bytes."""
    import subprocess
    import sys

    from helpers import ROOT

    r = subprocess.run([sys.executable, "-m", "policykg.cli", "export", "--format", fmt, "--view", view,
                        "--store", str(store), *more], capture_output=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout


def followups(store) -> list[dict]:
    """The `followups` named query, run by the CLI, as rows — the follow-ups proper, which the export's follow-up view
    draws (not the cross-plan links of a plan answering another city plan, marked so in their method)."""
    r = run_cli("query", "followups", "--format", "csv", "--store", str(store))
    assert r.returncode == 0, r.stderr
    return [row for row in csv.DictReader(io.StringIO(r.stdout)) if not row["method"].endswith("+cross-plan")]


def sparql_counts(store, view, scope=None):
    from policykg.store import Store

    return export.counts(Store(store, read_only=True), BASE, view, scope)


@pytest.mark.parametrize("view", ["followup", "responsibility"])
def test_graphml_edge_ids_are_unique_and_yed_sees_one_label_per_node(cli_store, view):
    data = cli_export(cli_store, "graphml", view)
    root = ET.fromstring(data)  # well-formed XML
    assert b'xmlns:y="http://www.yworks.com/xml/graphml"' in data
    keys = {k.get("yfiles.type"): k for k in root.iter(GML + "key") if k.get("yfiles.type")}
    assert keys["nodegraphics"].get("for") == "node" and keys["edgegraphics"].get("for") == "edge"
    plain = {k.get("attr.name"): k.get("id") for k in root.iter(GML + "key") if k.get("attr.name")}
    nodes, edges = list(root.iter(GML + "node")), list(root.iter(GML + "edge"))
    assert (len(nodes), len(edges)) == sparql_counts(cli_store, view)
    # before: all 186 follow-up edges had the id "follows-up"
    ids = [e.get("id") for e in edges]
    assert len(set(ids)) == len(ids) == len(edges)
    assert all(i.startswith(f'{e.get("source")}-{e.get("target")}-') for i, e in zip(ids, edges))
    for n in nodes:
        data_of = {d.get("key"): d for d in n.findall(GML + "data")}
        labels = data_of[keys["nodegraphics"].get("id")].findall(f"{Y}ShapeNode/{Y}NodeLabel")
        assert len(labels) == 1 and labels[0].text == data_of[plain["label"]].text and labels[0].text
    for e in edges:
        graphics = {d.get("key"): d for d in e.findall(GML + "data")}[keys["edgegraphics"].get("id")]
        assert [x.text for x in graphics.findall(f"{Y}PolyLineEdge/{Y}EdgeLabel")] != [None]
    # networkx (Gephi and Cytoscape read the same plain keys) reads the attributes and the labels back
    g = nx.read_graphml(io.BytesIO(data), force_multigraph=True)
    assert (g.number_of_nodes(), g.number_of_edges()) == (len(nodes), len(edges))
    assert sorted(k for _, _, k in g.edges(keys=True)) == sorted(ids)
    assert all(d["label"] and d["type"] and d["iri"].startswith(BASE) for _, d in g.nodes(data=True))


def test_yed_edge_labels_say_the_score_of_a_follow_up(cli_store):
    root = ET.fromstring(cli_export(cli_store, "graphml", "followup"))
    score_key = next(k.get("id") for k in root.iter(GML + "key") if k.get("attr.name") == "score")
    for e in root.iter(GML + "edge"):
        [score] = [d.text for d in e.findall(GML + "data") if d.get("key") == score_key]
        [label] = [x.text for x in e.iter(Y + "EdgeLabel")]
        assert label == f"{float(score):.2f}"


def test_gexf_weights_are_the_follow_up_scores_and_labels_are_readable(cli_store):
    data = cli_export(cli_store, "gexf", "followup")
    assert b"networkx_key" not in data
    root = ET.fromstring(data)
    titles = {a.get("title") for a in root.iter(GEXF + "attribute")}
    assert "networkx_key" not in titles and "text" in titles
    g = nx.read_gexf(io.BytesIO(data))
    rows = followups(cli_store)
    assert len(rows) == 189  # README: the follow-up view has 189 edges
    scores = {(r["districtMeasure"], r["cityMeasure"]): float(r["score"]) for r in rows}
    weights = {(g.nodes[u]["iri"], g.nodes[v]["iri"]): d["weight"] for u, v, d in g.edges(data=True)}
    assert weights == scores
    assert all("networkx_key" not in d for *_, d in g.edges(data=True))
    # every measure's label is its text, cut to LABEL_LIMIT characters with … ; the whole text is `text`
    texts = {r["districtMeasure"]: r["districtMeasureText"] for r in rows} | \
        {r["cityMeasure"]: r["cityMeasureText"] for r in rows}
    cut = 0
    for _, d in g.nodes(data=True):
        full = texts[d["iri"]]
        assert len(d["label"]) <= export.LABEL_LIMIT == 60
        if len(full) > 60:
            cut += 1
            assert d["label"].endswith("…") and d["label"][:-1] == full[:59] and d["text"] == full
        else:
            assert d["label"] == full and "text" not in d
    assert cut > 0  # the corpus has measures longer than 60 characters


def test_gexf_keeps_parallel_edges_apart(cli_store):
    """Two properties between the same two resources (a provision is part of its document and in it): two edges
    with two ids in Gephi, no weight where there is no score."""
    g = nx.read_gexf(io.BytesIO(cli_export(cli_store, "gexf", "full", "--scope", FTZ)))
    assert g.is_multigraph() and g.number_of_edges() == sparql_counts(cli_store, "full", FTZ)[1]
    pairs: dict[tuple, list] = {}
    for u, v, k, d in g.edges(keys=True, data=True):
        pairs.setdefault((u, v), []).append((k, d["relation"]))
    parallel = [p for p in pairs.values() if len(p) > 1]
    assert parallel and all(len({k for k, _ in p}) == len(p) for p in parallel)
    assert any({"is_part_of", "inDocument"} <= {r for _, r in p} for p in parallel)
    assert all(d.get("weight", 1.0) == 1.0 for *_, d in g.edges(data=True))


# JSON-LD may use the terms the ontology declares, and these standard terms (docs: README "Graph exports")
STANDARD_TERMS = {rdflib.RDF.type, rdflib.RDFS.label, rdflib.RDFS.Resource}


@pytest.mark.parametrize("view, scope", [("responsibility", None), ("followup", None), ("legal", None), ("full", FTZ)])
def test_jsonld_uses_only_terms_the_ontology_declares(cli_store, view, scope):
    from rdflib.namespace import OWL, RDF

    from policykg.ontology import ontology_path

    onto = rdflib.Graph().parse(ontology_path())
    declared = set()
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty):
        declared |= set(onto.subjects(RDF.type, kind))
    g = rdflib.Graph().parse(data=cli_export(cli_store, "jsonld", view, *(["--scope", scope] if scope else []))
                             .decode("utf-8"), format="json-ld")
    assert len(g) > 0
    used = set(g.predicates()) | set(g.objects(None, RDF.type))
    assert sorted(str(t) for t in used - declared - STANDARD_TERMS) == []
    for t in used:
        assert isinstance(t, rdflib.URIRef), t


def test_jsonld_follow_ups_are_the_stores_own_shape(cli_store):
    g = rdflib.Graph().parse(data=cli_export(cli_store, "jsonld", "followup").decode("utf-8"), format="json-ld")
    pkg = rdflib.Namespace("https://policykg.org/ontology#")
    links = {(str(g.value(f, pkg.districtMeasure)), str(g.value(f, pkg.cityMeasure))): g.value(f, pkg.score)
             for f in g.subjects(rdflib.RDF.type, pkg.FollowUp)}
    scores = {(r["districtMeasure"], r["cityMeasure"]): r["score"] for r in followups(cli_store)}
    assert {k: float(v) for k, v in links.items()} == {k: float(v) for k, v in scores.items()}
    assert {v.datatype for v in links.values()} == {rdflib.XSD.decimal}  # pkg:score's range


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "jsonld"])
def test_an_export_is_the_same_bytes_for_the_same_store(cli_store, tmp_path_factory, fmt):
    from server_helpers import corpus_store

    for view in ("followup", "responsibility"):
        first = cli_export(cli_store, fmt, view)
        assert cli_export(cli_store, fmt, view) == first, (fmt, view)
    if fmt != "jsonld":  # and for a store built again from the same corpus
        again = corpus_store(tmp_path_factory, f"export-again-{fmt}")
        assert cli_export(again, fmt, "followup") == cli_export(cli_store, fmt, "followup")


def test_the_gexf_over_http_is_the_cli_export(cli_store):
    import urllib.request

    from server_helpers import serving

    with serving(cli_store) as url:
        with urllib.request.urlopen(f"{url}/export?format=gexf&view=followup") as r:
            assert r.headers["Content-Type"].startswith("application/gexf+xml")
            body = r.read()
        with urllib.request.urlopen(f"{url}/export?format=graphml&view=legal") as r:
            graphml = r.read()
    assert body == cli_export(cli_store, "gexf", "followup")
    g = nx.read_gexf(io.BytesIO(body))
    assert g.number_of_edges() == 189 and all(0 < d["weight"] <= 1 for *_, d in g.edges(data=True))
    assert graphml == cli_export(cli_store, "graphml", "legal")
