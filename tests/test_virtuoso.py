"""Remote-store mode against a real Virtuoso 7.2 (Debian's ``virtuoso-opensource``, installed by scripts/setup),
on a loopback port with a throw-away database and Virtuoso's own default row cap (ResultSetMaxRows 10,000).

The bundled corpus is built into it through ``/sparql-auth`` with HTTP Digest credentials, then every named query,
the audit, the exports, validate and stats are compared with the embedded store built from the same files. What
Virtuoso does differently and how policykg meets it is listed in policykg/remote.py and the README.
"""
from __future__ import annotations

import json
import re
import urllib.request

import pyoxigraph as ox
import pytest

from policykg import queries
from policykg.errors import StoreError
from policykg.iri import Minter
from policykg.remote import Connection, RemoteStore
from policykg.store import Store

from helpers import BASE, CORPUS, FILES, ROOT, run_cli
from server_helpers import serving

USER, PASSWORD = "dba", "dba"  # the throw-away database's administrator (a fresh Virtuoso database's default)


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    import sys

    sys.path.insert(0, str(ROOT))
    from bench.virtuoso import Virtuoso, available

    if not available():
        pytest.fail("Virtuoso is a test dependency: scripts/setup --test installs virtuoso-opensource (Debian)")
    server = Virtuoso(tmp_path_factory.mktemp("virtuoso"), memory_gib=0.5, max_rows=10000)
    server.start(tmp_path_factory.mktemp("virtuoso-data"))
    try:
        yield server
    finally:
        server.stop()


def remote_args(server) -> list[str]:
    return ["--endpoint", server.endpoint, "--update-endpoint", server.endpoint + "-auth", "--remote-user", USER]


ENV = {"POLICYKG_REMOTE_PASSWORD": PASSWORD}


@pytest.fixture(scope="module")
def built(virtuoso, tmp_path_factory):
    """The bundled corpus built into Virtuoso and into an embedded store."""
    r = run_cli("build", "--no-reason", str(CORPUS), *remote_args(virtuoso), env=ENV, timeout=600)
    assert r.returncode == 0, r.stderr
    assert f"store {virtuoso.endpoint}: 16 documents, 831 measures" in r.stdout
    local = tmp_path_factory.mktemp("embedded")
    assert run_cli("build", "--no-reason", str(CORPUS), "--store", str(local)).returncode == 0
    return virtuoso, local


def _remote(server, **kw) -> RemoteStore:
    return RemoteStore(server.endpoint, server.endpoint + "-auth", user=USER, password=PASSWORD, **kw)


def test_writes_need_the_credentials_and_a_refused_write_changes_nothing(built):
    server, _ = built
    before = _remote(server).dump_sorted(_remote(server).named_graphs())
    r = run_cli("build", "--no-reason", str(FILES["002"]), "--endpoint", server.endpoint,
                "--update-endpoint", server.endpoint + "-auth", env={"POLICYKG_REMOTE_PASSWORD": ""})
    assert r.returncode != 0
    assert server.endpoint + "-auth" in r.stderr and "HTTP 401" in r.stderr, r.stderr
    assert _remote(server).dump_sorted(_remote(server).named_graphs()) == before


def test_document_graphs_equal_the_embedded_store_and_blank_nodes_become_stable_iris(built):
    server, local = built
    remote, embedded = _remote(server), Store(local, read_only=True)
    mint = Minter(BASE)
    docs = [g for g in embedded.named_graphs() if mint.doc_key_of_graph(g) is not None]
    assert len(docs) == 16
    assert remote.dump_sorted(docs) == embedded.dump_sorted(docs)
    # Virtuoso's own graphs are not counted as policykg's
    assert remote.named_graphs() == embedded.named_graphs()
    assert len(remote) == len(embedded)
    # the ontology's blank nodes (OWL lists, restrictions) arrive as IRIs under the base, the same at every write
    onto = [g for g in embedded.named_graphs() if g.endswith("/ontology")]
    assert onto, embedded.named_graphs()
    local_bnodes = [q for q in embedded.quads(onto[0]) if isinstance(q.subject, ox.BlankNode)]
    assert local_bnodes, "the ontology graph should hold blank nodes (owl:AllDisjointClasses …)"
    first = remote.dump_sorted(onto)
    assert "_:" not in first and f"<{BASE}.well-known/genid/" in first
    assert first.count("\n") == len(embedded.quads(onto[0]))
    r = run_cli("build", "--no-reason", str(FILES["002"]), *remote_args(server), env=ENV)
    assert r.returncode == 0, r.stderr
    assert remote.dump_sorted(onto) == first
    assert remote.dump_sorted(docs) == embedded.dump_sorted(docs)


def _concat_columns(text: str) -> set[str]:
    return set(re.findall(r"(?is)GROUP_CONCAT\s*\(.*?\)\s+AS\s+\?(\w+)", text))


def _normalised(rows: list[dict], concat: set[str]) -> list[tuple]:
    """Rows of a CSV answer, with Virtuoso's 1/0 for booleans read as true/false and the parts of a GROUP_CONCAT
    sorted (SPARQL leaves the order of the parts to the store)."""
    out = []
    for row in rows:
        cells = []
        for k, v in row.items():
            v = {"1": "true", "0": "false"}.get(v, v) if k in BOOLEAN_COLUMNS else v
            if k in concat:
                v = " ".join(sorted(v.split(" ")))
            cells.append((k, v))
        out.append(tuple(cells))
    return out


BOOLEAN_COLUMNS: set[str] = set()


def _csv(args: list[str], env=None) -> list[dict]:
    import csv
    import io

    r = run_cli(*args, "--format", "csv", env=env)
    assert r.returncode == 0, r.stderr
    return list(csv.DictReader(io.StringIO(r.stdout)))


def test_every_named_query_answers_the_same_rows(built):
    server, local = built
    BOOLEAN_COLUMNS.clear()
    for q in queries.library():
        want = _csv(["query", q.name, "--store", str(local)])
        BOOLEAN_COLUMNS.update(k for row in want for k, v in row.items() if v in ("true", "false"))
        got = _csv(["query", q.name, "--endpoint", server.endpoint])
        concat = _concat_columns(q.text)
        assert len(got) == len(want), q.name
        assert _normalised(got, concat) == _normalised(want, concat), q.name
    # with parameters: one district, one document
    for name, params in (("followups", ["district=310110"]), ("measures-without-followup", ["district=310110"]),
                         ("obligations", ["docNumber=上海市人民政府令第9号"])):
        args = [a for p in params for a in ("--param", p)]
        want = _csv(["query", name, *args, "--store", str(local)])
        got = _csv(["query", name, *args, "--endpoint", server.endpoint])
        assert want and _normalised(got, set()) == _normalised(want, set()), name


def test_an_answer_beyond_the_row_cap_arrives_whole_and_a_graph_answer_fails_loudly(built):
    server, local = built
    embedded = Store(local, read_only=True)
    everything = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), \"https://policykg.org/id/\")) }"
    want = len(embedded)
    assert want > 30000  # more than three of Virtuoso's pages
    rows = _csv(["query", "-e", everything, "--endpoint", server.endpoint])
    assert len(rows) == want
    assert len({tuple(r.values()) for r in rows}) == want  # every quad once: the pages neither overlap nor skip
    # an ordered query keeps its order across the pages
    ordered = ("SELECT ?s ?p WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), \"https://policykg.org/id/graph/doc/\")) } "
               "ORDER BY DESC(STR(?s)) ?p")
    got = [(r["s"], r["p"]) for r in _csv(["query", "-e", ordered, "--endpoint", server.endpoint])]
    want_rows = [(r["s"], r["p"]) for r in _csv(["query", "-e", ordered, "--store", str(local)])]
    assert len(want_rows) > 10000 and got == want_rows
    # a CONSTRUCT cannot be paged: an error, never a silent cut
    r = run_cli("query", "-e", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "--endpoint", server.endpoint)
    assert r.returncode != 0 and "row cap" in r.stderr, (r.returncode, r.stderr[-300:])


def test_a_partial_answer_is_an_error(built):
    server, _ = built
    # Virtuoso's `timeout` parameter (ms): it answers what it has by then, marked X-SQL-State: S1TAT
    conn = Connection(server.endpoint, query_params={"timeout": "300"})
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER(STR(?c) < STR(?f)) }"
    with pytest.raises(StoreError, match="partial answer"):
        list(RemoteStore(conn).query(slow))


def test_the_store_is_named_when_it_refuses_a_query(built):
    server, _ = built
    r = run_cli("query", "-e", "SELECT * WHERE { ?s ?p ?o FILTER(bif:nosuchfunction(?o)) }", "--endpoint", server.endpoint)
    assert r.returncode != 0
    assert f"the remote store at {server.endpoint} refused the query" in r.stderr and "Virtuoso" in r.stderr, r.stderr


def test_audit_exports_validate_and_stats_match_the_embedded_store(built):
    server, local = built
    remote = ["--endpoint", server.endpoint]
    for district in ("310110", "310114", "310104"):
        a = run_cli("audit", "--district", district, "--format", "json", "--store", str(local))
        b = run_cli("audit", "--district", district, "--format", "json", *remote)
        assert a.returncode == b.returncode == 0, b.stderr
        assert json.loads(b.stdout) == json.loads(a.stdout), district
    for view in ("responsibility", "followup", "legal", "full"):
        a = run_cli("export", "--view", view, "--format", "graphml", "--store", str(local))
        b = run_cli("export", "--view", view, "--format", "graphml", *remote)
        assert b.returncode == 0, (view, b.stderr[-500:])
        assert b.stdout == a.stdout, view
    a = run_cli("validate", "--format", "json", "--store", str(local))
    b = run_cli("validate", "--format", "json", *remote)
    assert (b.returncode, json.loads(b.stdout)["conforms"]) == (a.returncode, json.loads(a.stdout)["conforms"]), b.stdout[-800:]
    assert len(json.loads(b.stdout)["results"]) == len(json.loads(a.stdout)["results"])
    a = run_cli("stats", "--json", "--store", str(local))
    b = run_cli("stats", "--json", *remote)
    sa, sb = json.loads(a.stdout), json.loads(b.stdout)
    sa.pop("store"), sb.pop("store")
    assert sb == sa


def test_serve_a_virtuoso_store(built):
    from SPARQLWrapper import JSON, SPARQLWrapper

    server, local = built
    with serving("unused", "--endpoint", server.endpoint, "--max-rows", "50") as url:
        sw = SPARQLWrapper(url + "/sparql")
        sw.setQuery("SELECT (COUNT(?m) AS ?n) WHERE { ?m a <https://policykg.org/ontology#Measure> }")
        sw.setReturnFormat(JSON)
        assert sw.query().convert()["results"]["bindings"][0]["n"]["value"] == "831"
        # this server's own row cap applies to the remote answer, and says so
        with urllib.request.urlopen(url + "/queries/measures?format=json") as resp:
            assert resp.headers["X-PolicyKG-Truncated"] == "true"
            assert len(json.loads(resp.read())["results"]["bindings"]) == 50
        # a query naming a graph of the store (the graph list is read from Virtuoso)
        graph = next(g for g in Store(local, read_only=True).named_graphs() if "/graph/doc/" in g)
        sw.setQuery(f"SELECT (COUNT(*) AS ?n) FROM <{graph}> WHERE {{ ?s ?p ?o }}")
        n = int(sw.query().convert()["results"]["bindings"][0]["n"]["value"])
        assert n == len(Store(local, read_only=True).quads(graph))


def test_a_large_write_that_fails_half_way_changes_nothing(built):
    """A replacement of 2,500 triples goes in three staged chunks; Virtuoso refuses the second (an ill-typed integer
    it cannot store): the graph keeps its old content and no staging graph is left behind."""
    server, _ = built
    remote = _remote(server)
    graph = f"{BASE}graph/test/staged"
    g = ox.NamedNode(graph)
    old = [ox.Quad(ox.NamedNode(f"{BASE}test/old"), ox.NamedNode(f"{BASE}test/p"), ox.Literal("旧"), g)]
    remote.apply({graph: old})
    assert remote.quads(graph) == old
    new = [ox.Quad(ox.NamedNode(f"{BASE}test/s{i}"), ox.NamedNode(f"{BASE}test/p"), ox.Literal(str(i)), g) for i in range(2500)]
    new[1800] = ox.Quad(new[1800].subject, new[1800].predicate,
                        ox.Literal("abc", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")), g)
    with pytest.raises(StoreError, match="nothing was changed"):
        remote.apply({graph: new})
    assert remote.quads(graph) == old
    assert not [x for x in remote.named_graphs() if x.endswith("/.staging")]
    # the same write without the bad literal goes through, whole
    new[1800] = ox.Quad(new[1800].subject, new[1800].predicate, ox.Literal("1800"), g)
    remote.apply({graph: new})
    assert sorted(map(str, remote.quads(graph))) == sorted(map(str, new))
    remote.apply({}, drops=[graph])
    assert remote.quads(graph) == []


def test_dump_of_the_virtuoso_store_equals_the_embedded_dump(built, tmp_path):
    """`policykg dump --endpoint`: the same quads in the same order, but for the ontology's blank nodes, which the
    remote store holds as skolem IRIs, and the build times of the metadata graph; Virtuoso's own system graphs are
    not in it."""
    server, local = built
    a = run_cli("dump", "--store", str(local), "-o", str(tmp_path / "local.nq"))
    b = run_cli("dump", "--endpoint", server.endpoint, "-o", str(tmp_path / "remote.nq"), timeout=600)
    assert a.returncode == b.returncode == 0, b.stderr
    local_lines = (tmp_path / "local.nq").read_text(encoding="utf-8").splitlines()
    remote_lines = (tmp_path / "remote.nq").read_text(encoding="utf-8").splitlines()
    assert len(remote_lines) == len(local_lines)
    assert not [x for x in remote_lines if "openlinksw.com" in x.split(" ")[-2]]
    genid, meta = f"<{BASE}.well-known/genid/", f"<{BASE}graph/meta> ."  # the build times differ, of course
    assert [x for x in remote_lines if genid not in x and not x.endswith(meta)] == \
        [x for x in local_lines if "_:" not in x and not x.endswith(meta)]
