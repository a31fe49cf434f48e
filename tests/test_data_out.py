"""Getting the data out (issue 16): `policykg dump`, /dump.nq.gz, VoID, the Graph Store Protocol's GET, graph
IRIs that dereference, /query and /update. The real CLI, the real server on a real port, real parsers."""
from __future__ import annotations

import gzip
import os
import subprocess
import sys
import urllib.error
import urllib.request
from urllib.parse import quote

import pyoxigraph as ox
import pytest
import rdflib

from helpers import BASE, ROOT
from server_helpers import corpus_store, http, serving

VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
# the city action plan issued by 沪府办发〔2024〕1号 (corpus/README.md), a document without a number of its own,
# in its graph (policykg/iri.py: doc/<year>/<title>); hundreds of measures, so thousands of statements
DOC_GRAPH = BASE + "graph/doc/2024/上海市坚持对标改革持续打造国际一流营商环境行动方案"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return corpus_store(tmp_path_factory, "dataout")


@pytest.fixture(scope="module")
def quads(store_path):
    """What the store holds, read directly with pyoxigraph."""
    s = ox.Store.read_only(str(store_path))
    return list(s.quads_for_pattern(None, None, None, None))


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("dumpcache")


@pytest.fixture(scope="module")
def server(store_path, cache):
    with serving(store_path, "--cache-dir", str(cache)) as url:
        yield url


def dump_cli(store, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "policykg.cli", "dump", "--store", str(store), *args],
                          cwd=ROOT, capture_output=True, timeout=120)


def get(url: str, accept: str | None = None, method: str = "GET", headers: dict | None = None):
    return http(url, accept, method, headers=headers)


def rdflib_triples(quads_) -> set:
    from policykg.store import rdflib_term

    return {(rdflib_term(q.subject), rdflib_term(q.predicate), rdflib_term(q.object)) for q in quads_}


def graph_quads(quads_, graph: str) -> list:
    return [q for q in quads_ if q.graph_name == ox.NamedNode(graph)]


# ---------------------------------------------------------------------- the CLI
def test_dump_nquads_is_the_store_and_stable(store_path, quads, tmp_path):
    a, b = tmp_path / "a.nq", tmp_path / "b.nq"
    assert dump_cli(store_path, "-o", str(a)).returncode == 0
    assert dump_cli(store_path, "--format", "nquads", "-o", str(b)).returncode == 0
    assert a.read_bytes() == b.read_bytes()
    parsed = list(ox.parse(path=str(a), format=ox.RdfFormat.N_QUADS))
    assert len(parsed) == len(quads) > 10_000
    assert set(parsed) == set(quads)
    out = dump_cli(store_path)  # standard output by default: the same bytes
    assert out.returncode == 0 and out.stdout == a.read_bytes()
    lines = a.read_text("utf-8").splitlines()
    graphs = [line.rsplit(" ", 2)[1] for line in lines]
    assert graphs == sorted(graphs, key=lambda g: g[1:-1])  # graph by graph, sorted by IRI
    by_graph: dict[str, list[str]] = {}
    for line, g in zip(lines, graphs):
        by_graph.setdefault(g, []).append(line)
    assert all(ls == sorted(ls) for ls in by_graph.values())  # sorted within a graph


def test_dump_gz(store_path, quads, tmp_path):
    plain, z1, z2 = tmp_path / "x.nq", tmp_path / "x.nq.gz", tmp_path / "y.nq.gz"
    for f in (plain, z1, z2):
        assert dump_cli(store_path, "-o", str(f)).returncode == 0
    assert z1.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(z1.read_bytes()) == plain.read_bytes()
    assert z1.read_bytes() == z2.read_bytes()  # a fixed gzip header: same store, same bytes


def test_dump_trig(store_path, quads, tmp_path):
    f = tmp_path / "x.trig"
    assert dump_cli(store_path, "--format", "trig", "-o", str(f)).returncode == 0
    ds = rdflib.Dataset()
    ds.parse(str(f), format="trig")
    assert sum(1 for _ in ds.quads((None, None, None, None))) == len(quads)
    assert set(ox.parse(path=str(f), format=ox.RdfFormat.TRIG)) == set(quads)
    text = f.read_text("utf-8")
    assert text.count("GRAPH <") == len({q.graph_name for q in quads})


def test_dump_help_documents_it():
    out = subprocess.run([sys.executable, "-m", "policykg.cli", "dump", "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0
    for word in ("nquads", "trig", ".gz", "sorted", "/dump.nq.gz"):
        assert word in out.stdout


def test_dump_unwritable_output_is_a_clear_error(store_path, tmp_path):
    out = dump_cli(store_path, "-o", str(tmp_path / "no-such-folder" / "x.nq"))
    assert out.returncode == 2 and b"cannot write" in out.stderr


# ---------------------------------------------------------------------- /dump.nq.gz
def test_server_dump_is_cached_per_generation(server, quads, cache, store_path, tmp_path):
    status, headers, body = get(server + "/dump.nq.gz")
    assert status == 200 and headers.get_content_type() == "application/gzip"
    parsed = list(ox.parse(gzip.decompress(body), format=ox.RdfFormat.N_QUADS))
    assert len(parsed) == len(quads) and set(parsed) == set(quads)
    files = list(cache.glob("dump-*.nq.gz"))
    assert len(files) == 1
    mtime = os.stat(files[0]).st_mtime_ns
    etag = headers["ETag"]
    status2, headers2, body2 = get(server + "/dump.nq.gz")
    assert status2 == 200 and body2 == body and headers2["ETag"] == etag
    assert os.stat(files[0]).st_mtime_ns == mtime and list(cache.glob("dump-*.nq.gz")) == files  # not rebuilt
    assert get(server + "/dump.nq.gz", headers={"If-None-Match": etag})[0] == 304
    # the same bytes as the CLI's gzip dump
    f = tmp_path / "cli.nq.gz"
    assert dump_cli(store_path, "-o", str(f)).returncode == 0
    assert f.read_bytes() == body


# ---------------------------------------------------------------------- VoID
def _sparql_count(server: str, query: str) -> int:
    from SPARQLWrapper import JSON, SPARQLWrapper

    sw = SPARQLWrapper(server + "/query")
    sw.setQuery(query)
    sw.setReturnFormat(JSON)
    [row] = sw.query().convert()["results"]["bindings"]
    return int(row["n"]["value"])


@pytest.mark.parametrize("path,accept,fmt", [("/void", "text/turtle", "turtle"),
                                             ("/.well-known/void", "application/ld+json", "json-ld"),
                                             ("/void", "application/n-triples", "nt")])
def test_void(server, quads, path, accept, fmt):
    status, headers, body = get(server + path, accept)
    assert status == 200 and headers.get_content_type() == accept and "Accept" in headers["Vary"]
    g = rdflib.Graph().parse(data=body, format=fmt)
    [ds] = [s for s in g.subjects(VOID.sparqlEndpoint, None)]
    assert (ds, rdflib.RDF.type, VOID.Dataset) in g
    triples = _sparql_count(server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert int(g.value(ds, VOID.triples)) == triples == len(quads)
    subjects = _sparql_count(server, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert int(g.value(ds, VOID.distinctSubjects)) == subjects
    assert g.value(ds, VOID.dataDump) == rdflib.URIRef(server + "/dump.nq.gz")
    assert g.value(ds, VOID.sparqlEndpoint) == rdflib.URIRef(server + "/sparql")
    assert g.value(ds, DCT.license) == rdflib.URIRef("http://creativecommons.org/publicdomain/zero/1.0/")
    doc = rdflib.URIRef(DOC_GRAPH)
    assert (ds, VOID.subset, doc) in g
    assert int(g.value(doc, VOID.triples)) == len(graph_quads(quads, DOC_GRAPH)) > 1000
    subsets = set(g.objects(ds, VOID.subset))
    assert len(subsets) == len({q.graph_name for q in quads})
    assert sum(int(g.value(s, VOID.triples)) for s in subsets) == len(quads)


def test_void_is_computed_once_per_generation(server):
    s1, h1, b1 = get(server + "/void")
    s2, h2, b2 = get(server + "/void")
    assert s1 == s2 == 200 and b1 == b2 and h1["ETag"] == h2["ETag"]
    assert h1["X-PolicyKG-Generation"] == get(server + "/dump.nq.gz", method="HEAD")[1]["X-PolicyKG-Generation"]
    assert get(server + "/void", headers={"If-None-Match": h1["ETag"]})[0] == 304
    assert get(server + "/void", "application/sparql-results+json")[0] == 406


def test_service_description_links_dump_and_void(server):
    status, _, body = get(server + "/sparql", "text/turtle")
    g = rdflib.Graph().parse(data=body, format="turtle")
    assert rdflib.URIRef(server + "/dump.nq.gz") in set(g.objects(None, VOID.dataDump))
    assert rdflib.URIRef(server + "/void") in set(g.objects(None, rdflib.RDFS.seeAlso))


# ---------------------------------------------------------------------- Graph Store Protocol
@pytest.mark.parametrize("accept,fmt", [("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
                                        ("application/n-triples", "nt"), ("application/rdf+xml", "xml")])
def test_gsp_graph(server, quads, accept, fmt):
    status, headers, body = get(server + "/store?graph=" + quote(DOC_GRAPH, safe=""), accept)
    assert status == 200 and headers.get_content_type() == accept and "Accept" in headers["Vary"]
    g = rdflib.Graph().parse(data=body, format=fmt)
    expected = rdflib_triples(graph_quads(quads, DOC_GRAPH))
    assert len(g) == len(expected) > 1000
    assert set(g) == expected


def test_gsp_default_is_the_union(server, quads):
    status, headers, body = get(server + "/store?default", "application/n-triples")
    assert status == 200
    g = rdflib.Graph().parse(data=body, format="nt")
    expected = rdflib_triples(quads)
    assert len(g) == len(expected)  # a statement held by several graphs is one statement of the union

    def named(triples):  # blank nodes (the ontology's lists) get new identities when parsed
        return {t for t in triples if not any(isinstance(x, rdflib.BNode) for x in t)}

    assert named(g) == named(expected) and len(named(expected)) > 30_000
    status, _, body = get(server + "/store?default", "application/ld+json")
    assert status == 200 and len(rdflib.Graph().parse(data=body, format="json-ld")) == len(g)


def test_gsp_head(server):
    url = server + "/store?graph=" + quote(DOC_GRAPH, safe="")
    status, headers, body = get(url, "text/turtle", method="HEAD")
    assert status == 200 and body == b"" and headers.get_content_type() == "text/turtle"
    assert headers["ETag"] == get(url, "text/turtle")[1]["ETag"]
    assert get(server + "/store?graph=" + quote(BASE + "graph/doc/no-such-document", safe=""), method="HEAD")[0] == 404


@pytest.mark.parametrize("query,status", [
    ("graph=" + quote(BASE + "graph/doc/no-such-document", safe=""), 404),
    ("", 400),
    ("default&graph=" + quote(DOC_GRAPH, safe=""), 400),
    ("graph=a&graph=b", 400),
    ("graph=not%20an%20iri", 400),
    ("graph=" + quote("http://x/a>b", safe=""), 400),
])
def test_gsp_errors(server, query, status):
    s, headers, body = get(server + "/store?" + query)
    assert s == status and headers.get_content_type() == "application/json"
    assert b'"error"' in body


def test_gsp_refuses_writes_and_unknown_formats(server):
    assert get(server + "/store?graph=" + quote(DOC_GRAPH, safe=""), method="PUT")[0] == 405
    assert get(server + "/store?graph=" + quote(DOC_GRAPH, safe=""), method="DELETE")[0] == 405
    assert get(server + "/store?graph=" + quote(DOC_GRAPH, safe=""), "application/sparql-results+json")[0] == 406


def test_graph_iri_dereferences(server, quads):
    path = "/id/" + quote(DOC_GRAPH[len(BASE):])
    status, headers, body = get(server + path, "text/turtle")
    assert status == 200 and headers.get_content_type() == "text/turtle"
    assert set(rdflib.Graph().parse(data=body, format="turtle")) == rdflib_triples(graph_quads(quads, DOC_GRAPH))
    status, _, body = get(server + path, "application/ld+json")
    assert status == 200 and len(rdflib.Graph().parse(data=body, format="json-ld")) == len(graph_quads(quads, DOC_GRAPH))
    # a suffix forces the format, as for entities
    status, headers, body = get(server + path + ".jsonld", "text/turtle")
    assert status == 200 and headers.get_content_type() == "application/ld+json"
    assert len(rdflib.Graph().parse(data=body, format="json-ld")) == len(graph_quads(quads, DOC_GRAPH))
    # an IRI under graph/ that names no graph is an entity IRI like any other: nothing is known about it, a 404
    status, _, body = get(server + "/id/graph/doc/no-such-document", "text/turtle")
    assert status == 404
    # entity IRIs still reach their pages
    assert get(server + "/id/" + quote("doc/沪府办发-2024-1"), "text/html")[0] == 200
    assert get(server + "/id/" + quote("doc/沪府办发-2024-1"), "text/turtle")[0] == 200


# ---------------------------------------------------------------------- /query and /update
def test_query_alias_answers_select(server, quads):
    assert _sparql_count(server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }") == len(quads)


def test_update_endpoint_refuses_a_query(server):
    from SPARQLWrapper import JSON, POST, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    sw = SPARQLWrapper(server + "/update")
    sw.setMethod(POST)
    sw.setQuery("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    sw.setReturnFormat(JSON)
    with pytest.raises(QueryBadFormed, match="update endpoint"):
        sw.query()
    assert get(server + "/update?query=" + quote("SELECT * WHERE { ?s ?p ?o } LIMIT 1"))[0] == 405


def test_query_endpoint_refuses_an_update(server):
    from SPARQLWrapper import POST, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    sw = SPARQLWrapper(server + "/query", updateEndpoint=server + "/query")
    sw.setMethod(POST)
    sw.setQuery("INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> <http://example.org/p> 1 } }")
    with pytest.raises(QueryBadFormed, match="query endpoint"):
        sw.query()


# ---------------------------------------------------------------------- updates make a new generation
def test_update_makes_a_new_generation(tmp_path_factory):
    from SPARQLWrapper import POST, SPARQLWrapper

    store = corpus_store(tmp_path_factory, "dataout-rw")
    with serving(store, "--update-token", "s3cret", "--cache-dir", str(tmp_path_factory.mktemp("rwcache"))) as url:
        status, h1, body1 = get(url + "/dump.nq.gz")
        assert status == 200, body1
        before = len(list(ox.parse(gzip.decompress(body1), format=ox.RdfFormat.N_QUADS)))
        # /query refuses an update even with the token
        req = urllib.request.Request(url + "/query", data=b"update=" + quote("CLEAR ALL").encode(),
                                     headers={"Authorization": "Bearer s3cret",
                                              "Content-Type": "application/x-www-form-urlencoded"})
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(req, timeout=30)
        assert exc.value.code == 400
        sw = SPARQLWrapper(url + "/query", updateEndpoint=url + "/update")
        sw.setMethod(POST)
        sw.addCustomHttpHeader("Authorization", "Bearer s3cret")
        sw.setQuery("INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> <http://example.org/p> 1 } }")
        sw.query()
        status, h2, body2 = get(url + "/dump.nq.gz")
        assert status == 200, body2
        assert h2["ETag"] != h1["ETag"]
        after = list(ox.parse(gzip.decompress(body2), format=ox.RdfFormat.N_QUADS))
        assert len(after) == before + 1
        assert ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"),
                       ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
                       ox.NamedNode("http://example.org/g")) in after
        g = rdflib.Graph().parse(data=get(url + "/void", "application/n-triples")[2], format="nt")
        ds = next(g.subjects(VOID.sparqlEndpoint, None))
        assert int(g.value(ds, VOID.triples)) == before + 1
        assert (ds, VOID.subset, rdflib.URIRef("http://example.org/g")) in g
        status, _, body = get(url + "/store?graph=" + quote("http://example.org/g", safe=""), "application/n-triples")
        assert status == 200 and len(rdflib.Graph().parse(data=body, format="nt")) == 1
