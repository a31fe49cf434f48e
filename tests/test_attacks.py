"""The red team of issue 14, kept: every attack that was reproduced on the server and the builder, with its
expected refusal. A loopback listener (127.0.0.1 only) must receive no connection for any of them; a
property-based fuzzer (hypothesis) builds query texts around SERVICE / LOAD and checks the same."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from helpers import CORPUS, ROOT, run_cli
from server_helpers import Listener, corpus_store, serving

TOKEN = "red-team"


def call(url: str, data: dict | bytes | None = None, headers: dict | None = None, method: str | None = None, timeout=30):
    if isinstance(data, dict):
        data = urllib.parse.urlencode(data, doseq=True).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@pytest.fixture(scope="module")
def listener():
    lst = Listener()
    yield lst
    lst.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return corpus_store(tmp_path_factory, "attacks")


@pytest.fixture(scope="module")
def server(store):
    with serving(store, "--timeout", "5", "--workers", "2") as url:
        yield url


@pytest.fixture(scope="module")
def update_server(store, tmp_path_factory):
    copy = tmp_path_factory.mktemp("attacks-rw") / "store"
    shutil.copytree(store, copy)
    with serving(copy, "--timeout", "5", "--update-token", TOKEN) as url:
        yield url


def no_connection(listener, before: int = 0):
    time.sleep(0.3)
    assert listener.connections == before, "the server connected to the loopback listener"


# ---------------------------------------------------------------------- SSRF through /sparql
def query_attacks(t: str) -> list[str]:
    return [
        # the lexical check blanked strings first: a ''' or """ in a comment, or a ' in an IRI, hid SERVICE
        f"SELECT * WHERE {{ # '''\n SERVICE <{t}> {{ ?s ?p ?o }} }} # '''",
        f'SELECT * WHERE {{ # """\n SERVICE <{t}> {{ ?s ?p ?o }} }} # """',
        f"SELECT * WHERE {{ ?s <http://a/'> ?o . SERVICE <{t}> {{ ?s ?p ?o }} }} # '",
        f"SELECT * WHERE {{ ?s <http://a/'> ?o . SERVICE SILENT <{t}> {{ ?s ?p ?o }} OPTIONAL {{ ?s ?p <http://b/'> }} }}",
        f"SELECT * WHERE {{ OPTIONAL {{ {{ SELECT * WHERE {{ SERVICE <{t}> {{ ?s ?p ?o }} }} }} }} }}",
        f"PREFIX x: <{t}> SELECT * WHERE {{ SERVICE x: {{ ?s ?p ?o }} }}",
        f"BASE <{t}> SELECT * WHERE {{ SERVICE <> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o . FILTER EXISTS {{ SERVICE <{t}> {{ ?s ?p ?o }} }} }}",
        f"sElEcT * wHeRe {{ sErViCe <{t}> {{ ?s ?p ?o }} }}",
        f"SELECT * FROM <{t}> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{t}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ # '''\n}} FROM <{t}>",  # does not parse: refused too
        f"SELECT * WHERE {{ SERVICE <{t}> {{ ?s ?p ?o }}",  # unclosed
        # where rdflib and Oxigraph could read one text two ways: a bare CR ends a comment only for Oxigraph,
        # a \\u0022 in a string ends it only for rdflib (which expands escapes first, as SPARQL says)
        f"SELECT * WHERE {{ ?s ?p ?o # c\rSERVICE <{t}> {{ ?s ?p ?o }}\n}}",
        f'SELECT * WHERE {{ ?s ?p "x\\u0022 . ?a ?b " SERVICE <{t}> {{ ?s ?p ?o }} ?c ?d "z" }}',
        f"SELECT * WHERE {{ \\u0053ERVICE <{t}> {{ ?s ?p ?o }} }}",
    ]


def test_service_and_from_are_refused_on_the_parsed_query(server, listener):
    before = listener.connections
    for q in query_attacks(listener.url):
        for send in ({"query": q}, q.encode()):
            headers = None if isinstance(send, dict) else {"Content-Type": "application/sparql-query"}
            status, h, body = call(server + "/sparql", send, headers)
            assert status == 400, (q, body)
            assert h.get_content_type() == "application/json"
            assert json.loads(body)["error"] in ("refused", "query-error"), body
        status, _, body = call(server + "/sparql?" + urllib.parse.urlencode({"query": q}))
        assert status == 400, (q, body)
    no_connection(listener, before)


def test_what_merely_looks_like_a_keyword_still_runs(server):
    for q in ('SELECT ("SERVICE <http://x>" AS ?x) WHERE {} # SERVICE <http://x>',
              "SELECT ?from ?service WHERE { ?from <http://purl.org/dc/terms/title> ?service } LIMIT 1",
              "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ex:service ?o . ?s ex:load ?x } LIMIT 1",
              "SELECT * WHERE { ?s <http://a/SERVICE#LOAD> ?o } LIMIT 1",
              "SELECT ('''# \" ' ''' AS ?x) WHERE {}"):
        status, _, body = call(server + "/sparql", {"query": q})
        assert status == 200, (q, body)


def test_from_a_graph_of_the_store_is_honoured_not_ignored(server):
    graphs = json.loads(call(server + "/sparql", {"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"},
                             {"Accept": "application/json"})[2])["results"]["bindings"]
    g = next(b["g"]["value"] for b in graphs if "/graph/doc/" in b["g"]["value"])

    def count(q):
        status, _, body = call(server + "/sparql", {"query": q}, {"Accept": "application/json"})
        assert status == 200, body
        return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])

    in_graph = count(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")
    everything = count("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert in_graph < everything
    assert count(f"SELECT (COUNT(*) AS ?n) FROM <{g}> WHERE {{ ?s ?p ?o }}") == in_graph
    assert count(f"SELECT (COUNT(*) AS ?n) FROM NAMED <{g}> WHERE {{ GRAPH ?x {{ ?s ?p ?o }} }}") == in_graph


def test_protocol_graph_parameters_are_iris(server, listener):
    before = listener.connections
    for name in ("default-graph-uri", "named-graph-uri"):
        status, _, body = call(server + "/sparql", {"query": "ASK {}", name: "http://a> } SERVICE <%s> { ?s ?p ?o" % listener.url})
        assert status == 400 and json.loads(body)["error"] == "bad-request", body
    no_connection(listener, before)


def test_updates_refuse_load_service_and_spliced_using(update_server, listener):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = listener.connections
    t = listener.url
    for u in (f"# '''\nLOAD <{t}> # '''", f"LOAD SILENT <{t}> INTO GRAPH <urn:x>",
              f"INSERT {{ <urn:a> <urn:b> ?o }} WHERE {{ ?s <http://a/'> ?x . SERVICE <{t}> {{ ?s ?p ?o }} }}",
              f"INSERT DATA {{ <urn:a> <urn:b> <urn:c> }} ; # \"\"\"\nLOAD <{t}>",
              f"INSERT {{ <urn:a> <urn:b> ?o }} USING <{t}> WHERE {{ ?s ?p ?o }}"):
        status, _, body = call(update_server + "/sparql", {"update": u}, auth)
        assert status == 400 and json.loads(body)["error"] in ("refused", "query-error"), (u, body)
    # the protocol's USING parameters were spliced into the text unescaped
    evil = f"http://a> WHERE {{}} ; LOAD <{t}> ; INSERT DATA {{ <urn:a> <urn:b> <urn:c> }} #"
    for name in ("using-graph-uri", "using-named-graph-uri"):
        status, _, body = call(update_server + "/sparql?" + urllib.parse.urlencode({name: evil}),
                               {"update": "INSERT { <urn:a> <urn:b> ?o } WHERE { ?s ?p ?o }"}, auth)
        assert status == 400 and json.loads(body)["error"] == "bad-request", body
    no_connection(listener, before)
    # a legitimate using-graph-uri (a graph of the store) still works (the W3C protocol tests cover the rest)
    assert call(update_server + "/sparql", {"update": "INSERT DATA { GRAPH <urn:in> { <urn:a> <urn:b> <urn:c> } }"}, auth)[0] == 204
    status, _, body = call(update_server + "/sparql?" + urllib.parse.urlencode({"using-graph-uri": "urn:in"}),
                           {"update": "INSERT { GRAPH <urn:out> { ?s ?p ?o } } WHERE { ?s ?p ?o }"}, auth)
    assert status == 204, body


# ---------------------------------------------------------------------- SPARQL built from request values
def test_request_values_never_become_query_text(server, listener):
    before = listener.connections
    inject = f"> ?p ?o . SERVICE <{listener.url}> {{ ?a ?b ?c }} }} #"
    q = urllib.parse.quote
    for path in (f"/id/doc/x{q(inject)}",
                 f"/export?format=cytoscape&view=legal&scope={q('http://a' + inject)}",
                 f"/export?format=csv&view=full&scope={q('http://a' + inject)}",
                 f"/export?format=cytoscape&view=followup&scope={q('http://a' + inject)}",
                 f"/graph?view=legal&scope={q('http://a' + inject)}",
                 f"/document?iri={q('http://a' + inject)}",
                 f"/document?iri={q('not an iri')}"):
        status, h, body = call(server + path, headers={"Accept": "text/html"})
        assert status == 400, (path, status, body[:300])
        assert h.get_content_type() == "application/json" and json.loads(body)["error"] == "bad-request"
    no_connection(listener, before)


def test_named_query_parameters_are_terms(server, listener):
    before = listener.connections
    status, _, body = call(server + "/queries/documents?" + urllib.parse.urlencode(
        {"type": f'x" }} SERVICE <{listener.url}> {{ ?a ?b ?c }} #'}))
    assert status == 200, body
    status, _, body = call(server + "/queries/documents?" + urllib.parse.urlencode({"type": "<http://a> b>"}))
    assert status == 400 and json.loads(body)["error"] in ("bad-request", "query-error"), body
    no_connection(listener, before)


# ---------------------------------------------------------------------- the worker sandbox
def test_query_workers_cannot_open_network_connections(server, listener):
    status, _, body = call(server + "/healthz")
    box = json.loads(body)["sandbox"]
    assert box["network"] is False and (box["netns"] or box["seccomp"])
    # each layer on its own, in a fresh process: no connection, by IPv4 or IPv6, nor through pyoxigraph's SERVICE
    before = listener.connections
    probe = f"""
import json, socket, sys
import pyoxigraph as ox
from policykg.server.sandbox import confine
box = confine(netns=sys.argv[1] == "1", seccomp=sys.argv[2] == "1")
out = {{"box": box, "tries": []}}
for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    try:
        s = socket.socket(fam); s.settimeout(1); s.connect((host, {listener.port})); out["tries"].append("connected")
    except OSError as exc:
        out["tries"].append(str(exc))
try:
    list(ox.Store().query("SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}")); out["tries"].append("connected")
except Exception as exc:
    out["tries"].append(str(exc))
a, b = socket.socketpair(); a.send(b"x"); out["unix"] = b.recv(1).decode()
print(json.dumps(out))
"""
    layers = {}
    for netns, seccomp in (("1", "0"), ("0", "1")):
        r = subprocess.run([sys.executable, "-c", probe, netns, seccomp], capture_output=True, text=True, timeout=60, cwd=ROOT)
        out = json.loads(r.stdout)
        layer = "netns" if netns == "1" else "seccomp"
        layers[layer] = out["box"][layer]
        if out["box"][layer]:
            assert "connected" not in out["tries"], out
            assert out["unix"] == "x"  # the worker's pipe to the server keeps working
    assert any(layers.values()), layers
    no_connection(listener, before)


# ---------------------------------------------------------------------- injection in what we serve
def test_reflected_script_in_graph_scope_is_refused_and_pages_carry_a_csp(server):
    evil = "</script><script>alert(1)</script>"
    status, h, body = call(server + "/graph?view=legal&scope=" + urllib.parse.quote(evil))
    assert status == 400 and h.get_content_type() == "application/json" and h["X-Content-Type-Options"] == "nosniff"
    from policykg.server.views import script_json

    assert "<" not in script_json(evil) and ">" not in script_json(evil) and "&" not in script_json("a&b")
    assert json.loads(script_json(evil)) == evil
    docs = json.loads(call(server + "/sparql", {"query": "SELECT ?d WHERE { ?d a pkg:Document } LIMIT 1"},
                           {"Accept": "application/json"})[2])["results"]["bindings"]
    doc = docs[0]["d"]["value"]
    for path in ("/", "/graph", "/audit-view", "/document?iri=" + urllib.parse.quote(doc), "/audit?format=html",
                 urllib.parse.quote(urllib.parse.urlparse(doc).path)):
        status, h, body = call(server + path, headers={"Accept": "text/html"})
        assert status == 200, path
        csp = h.get("Content-Security-Policy", "")
        assert "script-src 'self' 'nonce-" in csp and "object-src 'none'" in csp, path
        assert b"<script>" not in body, path  # every inline script carries the nonce


def test_csv_formula_cells_are_neutralised(server):
    from policykg.csvsafe import cell

    assert [cell(v) for v in ("=1+1", "+A1", "-cmd", "@SUM(A1)", "\t=x", "-5", "+1.5e3", "a=b", "", None)] == \
        ["'=1+1", "'+A1", "'-cmd", "'@SUM(A1)", "'\t=x", "-5", "+1.5e3", "a=b", "", ""]
    q = 'SELECT ("=HYPERLINK(\\"http://x\\",\\"y\\")" AS ?a) ("@SUM(1)" AS ?b) ("-5" AS ?c) WHERE {}'
    status, _, body = call(server + "/sparql", {"query": q}, {"Accept": "text/csv"})
    assert status == 200
    row = body.decode().splitlines()[1]
    assert row.startswith("\"'=HYPERLINK(") and ",'@SUM(1)," in row and row.endswith(",-5")
    import networkx as nx

    from policykg.queries import export

    g = nx.MultiDiGraph(view="full")
    g.add_node("http://a/=x", type="Document", label="=cmd|' /C calc'!A0")
    g.add_node("http://a/y", type="Document", label="+1")
    g.add_edge("http://a/=x", "http://a/y", key="r", relation="@r")
    files = export.to_format(g, "csv")
    assert "'=cmd" in files["nodes.csv"].decode() and ",'@r" in files["edges.csv"].decode()
    assert "\n=" not in files["nodes.csv"].decode() and ",=" not in files["nodes.csv"].decode()


# ---------------------------------------------------------------------- malformed requests
def test_invalid_utf8_is_a_400_not_repaired(server):
    for url, data, headers in ((server + "/sparql?query=ASK%7B%22%FF%22%7D", None, None),
                               (server + "/sparql", b"query=ASK%7B%22%FF%22%7D", {"Content-Type": "application/x-www-form-urlencoded"}),
                               (server + "/sparql", b'ASK { "\xff" }', {"Content-Type": "application/sparql-query"})):
        status, h, body = call(url, data, headers)
        assert status == 400 and "UTF-8" in json.loads(body)["message"], body


def test_the_endpoint_reads_forms_and_query_strings_as_urllib_does():
    """The endpoint percent-decodes a form body or query string itself (each run of escapes at once: CJK queries
    are all escapes). Whatever the bytes — invalid escapes, a lone %, +, =, blank values, raw non-ASCII, bytes
    that are not UTF-8 — it reads the pairs urllib's ``unquote_to_bytes`` reads, or refuses (None) exactly when
    one of them is not UTF-8."""
    from urllib.parse import unquote_to_bytes

    from hypothesis import example, given, settings
    from hypothesis import strategies as st

    from server.sparql import _pairs

    def reference(raw: bytes):
        out = []
        try:
            for part in raw.split(b"&"):
                if part:
                    k, _, v = part.partition(b"=")
                    out.append(tuple(unquote_to_bytes(x.replace(b"+", b" ")).decode("utf-8") for x in (k, v)))
        except UnicodeDecodeError:
            return None
        return out

    pieces = st.sampled_from([b"query", b"=", b"&", b"+", b"%", b"%2", b"%2B", b"%zz", b"%E5%AD%97", b"%e5%ad%97",
                              b"%FF", b"%C3", b"%A9", "字".encode(), b"\xff", b"a", b" ", b"%25", b"%3D", b"%26"])

    @settings(max_examples=400, deadline=None)
    @given(st.lists(pieces, max_size=24).map(b"".join))
    @example(b"=&query&=")  # a name's values are grouped: compared per name
    def check(raw):
        got, want = _pairs(raw), reference(raw)
        if want is None or got is None:
            assert got is want
            return
        by_key: dict[str, list[str]] = {}
        for k, v in want:
            by_key.setdefault(k, []).append(v)
        assert {k: got.getlist(k) for k in got} == by_key  # the values of each name, in order

    check()
    sql = "SELECT * WHERE { ?s ?p \"上海市人民政府\" } # 注释 + 100%"
    assert _pairs(urllib.parse.urlencode({"query": sql}).encode()).getlist("query") == [sql]


# ---------------------------------------------------------------------- the fuzzer
def test_fuzzed_queries_never_reach_the_listener(server, update_server, listener):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    t = listener.url
    fragments = st.sampled_from([
        "SERVICE", "SERVICE SILENT", "service", "LOAD", "LOAD SILENT", "FROM", "FROM NAMED", "USING", "WITH",
        f"<{t}>", "<http://a/'>", '<http://a/">', "<http://a/#>", "x:", "PREFIX x: <%s>" % t, "BASE <%s>" % t,
        "# '''", '# """', "#", "\n", "\r", " ", "'", '"', "'''", '"""', "'a\\'b'", '"a\\"b"', "'''a'b'''", "\\",
        "{", "}", "{ ?s ?p ?o }", "?s", "$s", ".", ";", "SELECT *", "ASK", "WHERE", "GRAPH ?g", "OPTIONAL",
        "INTO GRAPH <urn:x>", "INSERT DATA { <urn:a> <urn:b> <urn:c> }", "}#", "<>", "\\u0053ERVICE", "\\u0022", "\\u0027",
        "\\u000A", "\\u000D", "\r\n",
    ])
    texts = st.lists(fragments, min_size=1, max_size=14).map(" ".join)

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
    @given(text=texts, as_update=st.booleans())
    def one(text, as_update):
        if as_update:
            status, _, body = call(update_server + "/sparql", {"update": text}, {"Authorization": f"Bearer {TOKEN}"})
            assert status in (204, 400, 503), (text, status, body)
        else:
            status, _, body = call(server + "/sparql", {"query": text}, {"Accept": "application/json"})
            assert status in (200, 400, 406, 503), (text, status, body)
        assert listener.connections == 0, text

    before = listener.connections
    assert before == 0
    one()
    no_connection(listener, before)


# ---------------------------------------------------------------------- denial of service
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def limited(store):
    with serving(store, "--timeout", "3", "--workers", "2", "--max-memory", "300", "--max-bytes", "20000",
                 "--client-share", "2") as url:
        yield url


def test_a_worker_has_a_memory_limit(limited):
    t = time.monotonic()
    status, _, body = call(limited + "/sparql", {"query": "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 1"})
    assert status == 503 and json.loads(body)["error"] == "worker-stopped", body
    assert time.monotonic() - t < 3  # stopped by the memory limit, before the time limit
    time.sleep(1.5)  # replaced
    assert call(limited + "/sparql", {"query": "ASK { ?s ?p ?o }"})[0] == 200


def test_answers_have_a_byte_cap_beside_the_row_cap(limited):
    status, h, body = call(limited + "/sparql", {"query": "SELECT ?t WHERE { ?d pkg:text ?t }"}, {"Accept": "application/json"})
    assert status == 200 and h["X-PolicyKG-Truncated"] == "true" and h["X-PolicyKG-Byte-Limit"] == "20000"
    assert len(body) < 20000 + 2000 and json.loads(body)["results"]["bindings"]
    # one enormous row: cut to none, and said
    status, h, body = call(limited + "/sparql", {"query": "SELECT (GROUP_CONCAT(?t) AS ?x) WHERE { ?d pkg:text ?t }"},
                           {"Accept": "application/json"})
    assert status == 200 and h["X-PolicyKG-Truncated"] == "true" and json.loads(body)["results"]["bindings"] == []


def test_exports_and_the_audit_run_in_the_workers_under_the_time_limit(limited):
    """Before, /export and /audit ran in the HTTP process without a limit: parallel heavy exports froze /healthz."""
    results = []

    def export():
        results.append(call(limited + "/export?format=cytoscape&view=full", timeout=60)[0])

    threads = [threading.Thread(target=export) for _ in range(4)]
    for th in threads:
        th.start()
    time.sleep(0.3)
    t = time.monotonic()
    assert call(limited + "/healthz", timeout=30)[0] == 200
    assert time.monotonic() - t < 5
    for th in threads:
        th.join(60)
    assert set(results) <= {200, 503} and len(results) == 4
    status, h, body = call(limited + "/audit?format=json")
    assert status == 200 and json.loads(body)["auditVersion"] == 3
    status, _, body = call(limited + "/audit?format=json&plan=nothing-like-this")
    assert status == 404 and json.loads(body)["error"] == "not-found"


def test_an_export_past_the_time_limit_is_stopped(store):
    with serving(store, "--timeout", "0.3", "--workers", "1") as url:
        t = time.monotonic()
        status, _, body = call(url + "/export?format=cytoscape&view=full", timeout=60)
        assert status == 503 and json.loads(body)["error"] == "timeout" and time.monotonic() - t < 2


def test_one_client_cannot_hold_every_worker(store):
    """The fair share, on a real pool of worker processes: client "a" sends two expensive queries to a pool
    of two workers; the second waits for the first, so client "b" finds a worker at once."""
    from policykg.server.execution import QueryPool, QueryTimeout

    pool = QueryPool(str(store), workers=2)
    try:
        assert pool.client_share == 1
        req = {"op": "query", "text": CARTESIAN, "select_type": "application/sparql-results+json",
               "graph_type": "text/turtle", "max_rows": 10}
        outcome = {}

        def expensive(i):
            t = time.monotonic()
            try:
                pool.run(dict(req), timeout=2, client="a")
            except QueryTimeout:
                outcome[i] = time.monotonic() - t

        threads = [threading.Thread(target=expensive, args=(i,)) for i in range(2)]
        for th in threads:
            th.start()
        time.sleep(0.4)
        t = time.monotonic()
        cheap = pool.run({**req, "text": "ASK { ?s ?p ?o }"}, timeout=2, client="b")
        assert cheap.error is None and time.monotonic() - t < 1.0
        for th in threads:
            th.join(30)
        # a's second query waited for its first: it ended one time limit later
        assert sorted(outcome.values())[1] > 3.5, outcome
    finally:
        pool.close()


# ---------------------------------------------------------------------- the builder
def _docx_bytes(xml_body: bytes | None = None, bomb_mb: int = 0) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        if bomb_mb:
            with z.open("word/document.xml", "w") as f:
                chunk = b"\0" * (1024 * 1024)
                for _ in range(bomb_mb):
                    f.write(chunk)
        else:
            z.writestr("word/document.xml", xml_body or b"<x/>")
    return buf.getvalue()


def test_a_docx_zip_bomb_is_refused_before_parsing(tmp_path):
    bomb = tmp_path / "bomb.docx"
    bomb.write_bytes(_docx_bytes(bomb_mb=64))
    assert bomb.stat().st_size < 200_000
    from policykg.errors import ReadError
    from policykg.loaders.read import read_file

    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.monotonic()
    with pytest.raises(ReadError, match="ZIP bomb"):
        read_file(bomb)
    assert time.monotonic() - t < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # kB: it was never inflated whole
    r = run_cli("build", "--no-reason", str(bomb), str(CORPUS / "000_5c623842aeda65ec.txt"), "--store", str(tmp_path / "s"))
    assert r.returncode == 0 and "bomb.docx" in r.stdout + r.stderr and "ZIP bomb" in r.stdout + r.stderr


def test_a_docx_that_is_not_a_zip_and_oversized_inputs_are_errors(tmp_path):
    from policykg.errors import ReadError
    from policykg.loaders import limits
    from policykg.loaders.read import read_bytes

    text = (CORPUS / "000_5c623842aeda65ec.txt").read_bytes()
    with pytest.raises(ReadError, match="not a DOCX"):
        read_bytes(text, "x.docx")
    with pytest.raises(ReadError, match="not a PDF"):
        read_bytes(text, "x.pdf")
    with pytest.raises(ReadError, match="larger than"):
        read_bytes(b"a" * (limits.MAX_BYTES["text"] + 1), "big.txt")


def test_odd_file_names_are_one_clear_error_each_and_the_rest_is_built(tmp_path):
    import os

    src = CORPUS / "001_a0901fd0bdd4d3da.txt"
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(src, folder / "good.txt")
    shutil.copy(CORPUS / "002_350f9eb0b21ba905.txt", folder / "new\nline.txt")
    shutil.copy(CORPUS / "004_2a07707d71d5b7e1.txt", os.fsdecode(bytes(folder) + b"/bad-\xff\xfe.txt"))
    r = run_cli("build", "--no-reason", "--strict", str(folder), "--store", str(tmp_path / "s"))
    out = r.stdout + r.stderr
    assert r.returncode == 1, out  # --strict: some files could not be built
    assert "Traceback" not in out and "malformed SPARQL" not in out
    assert "control character" in out and "not valid UTF-8" in out and "bad-\\xff\\xfe.txt" in out
    from policykg.store import Store

    store = Store(tmp_path / "s", read_only=True)
    assert any("graph/doc/" in g for g in store.named_graphs())  # good.txt was built


def test_an_unreadable_folder_is_an_error_with_strict(tmp_path):
    import os
    import stat
    import tempfile

    base = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        os.chmod(base, 0o777)
        folder = base / "in"
        (folder / "locked").mkdir(parents=True)
        shutil.copy(CORPUS / "001_a0901fd0bdd4d3da.txt", folder / "locked" / "a.txt")
        shutil.copy(CORPUS / "002_350f9eb0b21ba905.txt", folder / "b.txt")
        os.chmod(folder, 0o755)
        os.chmod(folder / "b.txt", 0o644)
        os.chmod(folder / "locked", 0)
        cmd = [sys.executable, "-m", "policykg.cli", "build", "--no-reason", "--strict", str(folder), "--store", str(base / "s")]
        if os.geteuid() == 0:  # root reads every folder: run as nobody
            if not shutil.which("setpriv"):
                pytest.skip("running as root without setpriv: cannot make a folder unreadable")
            cmd = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", *cmd]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT, env={**os.environ, "HOME": str(base)})
        out = r.stdout + r.stderr
        assert r.returncode == 1 and "locked" in out and "cannot be read" in out, out
    finally:
        os.chmod(base / "in" / "locked", stat.S_IRWXU)
        shutil.rmtree(base, ignore_errors=True)


def test_a_file_gets_a_time_budget():
    from policykg.errors import ReadError
    from policykg.loaders.limits import time_budget

    t = time.monotonic()
    with pytest.raises(ReadError, match="time budget"):
        with time_budget("slow.html", 0.3):
            while True:
                pass
    assert time.monotonic() - t < 2


def _document_graphs(order, tmp) -> str:
    from policykg.iri import Minter
    from policykg.loaders.build import build
    from policykg.store import Store

    base = "https://policykg.org/id/"
    store = Store(tmp)
    build([str(f) for f in order], store, base, progress=False, jobs=1)
    mint = Minter(base)
    graphs = [g for g in store.named_graphs() if mint.doc_key_of_graph(g) is not None]
    return f"{len(graphs)} graphs\n" + store.dump_sorted(graphs)


def test_every_build_order_gives_the_same_document_graphs(tmp_path):
    """Into an EMPTY store, the gazette (003) before the city plan (000) wrote both copies of 沪府办发〔2024〕1号
    into one graph. All 120 orders of the five files take 4 minutes; by default the test builds every order of
    the two files that share a document, at every pair of positions, and the reversed and rotated orders
    (12 builds); POLICYKG_ALL_ORDERS=1 builds all 120."""
    import itertools
    import os

    files = sorted(CORPUS.glob("*.txt"))
    assert len(files) == 5
    reference = _document_graphs(files, tmp_path / "ref")
    assert reference.startswith("16 graphs\n")
    if os.environ.get("POLICYKG_ALL_ORDERS") == "1":
        orders = list(itertools.permutations(files))
    else:
        gazette, plan = files[3], files[0]
        others = [f for f in files if f not in (gazette, plan)]
        orders = [files[::-1]] + [files[i:] + files[:i] for i in range(1, 5)]
        for i, j in ((0, 1), (0, 4), (2, 3), (3, 4)):
            for first, second in ((gazette, plan), (plan, gazette)):
                order = list(others)
                order.insert(i, first)
                order.insert(j, second)
                orders.append(order)
        orders = list(dict.fromkeys(tuple(o) for o in orders))[:12]
    for n, order in enumerate(orders):
        assert _document_graphs(order, tmp_path / f"o{n}") == reference, [f.name[:3] for f in order]


# ---------------------------------------------------------------------- building while serving
def test_workers_see_a_completed_build_all_together(tmp_path):
    """Read-only worker handles are snapshots: after a build the server kept its old answers and, once a
    worker was replaced, alternated between old and new. A completed build starts a new store generation,
    and every worker reopens at the next request."""
    store = tmp_path / "s"
    assert run_cli("build", "--no-reason", str(CORPUS / "001_a0901fd0bdd4d3da.txt"), "--store", str(store)).returncode == 0
    count = "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a pkg:Document }"

    def documents(url):
        status, _, body = call(url + "/sparql", {"query": count}, {"Accept": "application/json"})
        assert status == 200, body
        return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])

    with serving(store, "--workers", "2", "--client-share", "2") as url:
        before = documents(url)
        r = run_cli("build", "--no-reason", str(CORPUS), "--store", str(store))
        assert r.returncode == 0, r.stderr
        seen = set()
        results = []

        def ask():
            results.append(documents(url))

        threads = [threading.Thread(target=ask) for _ in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        seen = set(results) | {documents(url) for _ in range(4)}
        assert len(seen) == 1 and seen.pop() > before, (before, results)
        # a graph of the new build is known to the FROM check too
        status, _, body = call(url + "/sparql", {"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
                               {"Accept": "application/json"})
        g = next(b["g"]["value"] for b in json.loads(body)["results"]["bindings"] if "/graph/doc/" in b["g"]["value"])
        assert call(url + "/sparql", {"query": f"ASK FROM <{g}> {{ ?s ?p ?o }}"})[0] == 200


def test_deeply_nested_html_is_refused_quickly(tmp_path):
    page = tmp_path / "deep.html"
    page.write_text("<html><body>" + "<div>" * 100_000 + "上海市人民政府办公厅关于印发" + "</div>" * 100_000 + "</body></html>")
    t = time.monotonic()
    r = run_cli("build", "--no-reason", str(page), str(CORPUS / "001_a0901fd0bdd4d3da.txt"), "--store", str(tmp_path / "s"))
    out = r.stdout + r.stderr
    assert r.returncode == 0 and "deep.html" in out and "nested more than" in out, out
    assert time.monotonic() - t < 60


def test_a_huge_get_is_one_json_error(server):
    status, h, body = call(server + "/sparql?query=" + "x" * 1_000_000)
    assert status in (414, 431) and h.get_content_type() == "application/json", (status, body[:200])
    assert "POST" in json.loads(body)["message"]
    status, h, body = call(server + "/sparql?query=" + urllib.parse.quote("ASK {} #" + "x" * 150_000))
    assert status in (413, 414) and h.get_content_type() == "application/json"



def test_fuzzed_texts_the_check_passes_make_no_connection_from_an_unconfined_engine(listener):
    """The parsed-query check alone (no sandbox): well-formed pattern pieces (one of them a SERVICE to the
    listener) separated by lexical traps (comments ended by CR, LF or neither, strings with quotes and
    keywords, unusual whitespace, \\u escapes). Every text the check lets through is run by pyoxigraph in this
    (unconfined) process: the listener must see no connection, i.e. rdflib's reading and Oxigraph's agree
    on what reaches the network. (With the bare-CR rule of safety.prepare removed, this finds the hole.)"""
    import pyoxigraph as ox
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from policykg.ontology import PREFIXES
    from policykg.server.safety import Refused, analyse, prepare

    t = listener.url
    store = ox.Store()
    store.update("INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } }")
    piece = st.sampled_from([
        "?s ?p ?o .", "OPTIONAL { ?s ?p ?o }", f"SERVICE <{t}> {{ ?s ?p ?o }}", "SERVICE x: { ?s ?p ?o }",
        "{ ?s ?p ?o } UNION { ?s ?p ?o }", "BIND('SERVICE' AS ?q)", 'FILTER("#" != """a"b""")',
        "FILTER(?s != <http://a/'>)", "GRAPH ?g { ?s ?p ?o }", "FILTER EXISTS { ?s ?p ?o }", "?s <http://a/#x> ?o .",
    ])
    trap = st.sampled_from([
        " ", "\n", "# c\r", "# c\n", "# c\r\n", "# '''\n", '# """\n', "#'", "\t", "\f", "\u2028", "\u0085", "\r\n",
        "# \\u000A ", "\\u0020", "\\u000D", '"\\u0022" ', "'''a'b''' ", "'\\'' ",
    ])
    body = st.lists(st.tuples(trap, piece), min_size=1, max_size=6).map(lambda xs: " ".join(a + b for a, b in xs))
    templates = [f"PREFIX x: <{t}> SELECT * WHERE {{ ?s ?p ?o . %s \n}}", "ASK { %s \n}",
                 f"PREFIX x: <{t}> INSERT {{ <urn:a> <urn:b> <urn:c> }} WHERE {{ %s \n}}"]
    passed = []

    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
    @given(template=st.sampled_from(templates), a=body)
    def one(template, a):
        text = template % a
        update = "INSERT" in template
        try:
            text = prepare(text)
            found = analyse(text, update, PREFIXES)
        except Refused:
            return
        if found.service or found.load or found.from_default or found.from_named or found.using:
            return
        passed.append(text)
        before = listener.connections
        try:
            if update:
                store.update(text)
            else:
                result = store.query(text, prefixes=PREFIXES, use_default_graph_as_union=True)
                if not isinstance(result, ox.QueryBoolean):
                    list(result)
        except (SyntaxError, ValueError, OSError, RuntimeError):
            pass
        time.sleep(0.002)
        assert listener.connections == before, repr(text)

    one()
    assert len(passed) > 50  # the generator does make texts the check lets through
