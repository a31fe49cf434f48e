"""The W3C SPARQL 1.1 Protocol tests (tests/w3c/sparql11-protocol, from ../shared/w3c) against the running server.

Each test's requests are replayed on a real port; the expected status class, result format and boolean are
checked. Update tests run against a server in update mode (the runner adds the update token, which the
manifest does not know about). The pass count is kept: it may rise, never fall.
"""
from __future__ import annotations

import http.client
import json
import shutil
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from policykg.store import Store

from helpers import ROOT
from server_helpers import serving

# a copy of ../shared/w3c (licence and commit beside it), so the suite runs from any clone
SUITE = ROOT / "tests" / "w3c" / "sparql11-protocol"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
TOKEN = "w3c-test-token"
EXPECTED_PASSES = 34  # of 34: the count may not fall


def manifest():
    g = rdflib.Graph().parse(SUITE / "manifest.ttl", format="turtle")
    tests = []
    entries = g.value(next(g.subjects(rdflib.RDF.type, MF.Manifest)), MF.entries)
    for t in rdflib.collection.Collection(g, entries):
        action = g.value(t, MF.action)
        requests = []
        for r in rdflib.collection.Collection(g, g.value(action, HT.requests)):
            headers = {}
            hl = g.value(r, HT.headers)
            if hl is not None:
                for h in rdflib.collection.Collection(g, hl):
                    headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
            body = g.value(r, HT.body)
            resp = g.value(r, HT.resp)
            requests.append({
                "method": str(g.value(r, HT.methodName)), "path": str(g.value(r, HT.absolutePath)), "headers": headers,
                "body": str(g.value(body, CNT.chars)) if body is not None else None,
                "encoding": str(g.value(body, CNT.characterEncoding) or "UTF-8") if body is not None else None,
                "status": {str(s).rsplit("#", 1)[-1] for s in g.objects(resp, MF.expectedStatus)},
                "format": str(g.value(resp, MF.expectedFormat) or ""),
                "boolean": g.value(resp, MF.expectedBoolean),
            })
        data = [(str(g.value(d, rdflib.RDFS.label)), str(g.value(d, UT.graph))) for d in g.objects(t, UT.graphData)]
        tests.append({"id": str(t).rsplit("#", 1)[-1], "requests": requests, "data": data})
    return tests


def load_data(store_dir: Path, tests) -> None:
    store = Store(store_dir)
    graphs = {}
    for t in tests:
        for name, file in t["data"]:
            graphs[name] = file
    for name, file in sorted(graphs.items()):
        path = SUITE / Path(file).name
        g = ox.NamedNode(name)
        store.apply({name: [ox.Quad(t.subject, t.predicate, t.object, g)
                            for t in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)]})
    store.flush()


def run_request(base: str, r: dict, token: str | None):
    # the manifest's paths start with /sparql/; ours is /sparql
    rest = r["path"][len("/sparql/"):]
    url = base + "/sparql" + rest
    data = r["body"].encode(r["encoding"].lower().replace("_", "-")) if r["body"] is not None else None
    headers = dict(r["headers"])
    if token:
        headers["Authorization"] = f"Bearer {token}"
    # http.client sends exactly these headers (urllib would add a form content type to every POST)
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request(r["method"], parts.path + (f"?{parts.query}" if parts.query else ""), body=data, headers=headers)
    resp = conn.getresponse()
    body = resp.read()
    media = (resp.getheader("Content-Type") or "").split(";")[0].strip()
    conn.close()
    return resp.status, media, body


def check(r: dict, status: int, media: str, body: bytes) -> bool:
    cls = f"StatusCode{status // 100}xx"
    if r["status"] and cls not in r["status"]:
        return False
    fmt = r["format"]
    if fmt == "boolean" or fmt == "tabular":
        if media not in ("application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"):
            return False
    if fmt == "RDF" and media not in ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json"):
        return False
    if r["boolean"] is not None:
        got = json.loads(body)["boolean"] if media == "application/sparql-results+json" else b"<boolean>true</boolean>" in body
        return bool(got) == bool(r["boolean"].toPython())
    return True


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    tests = manifest()
    read = tmp_path_factory.mktemp("w3c-read")
    load_data(read, tests)
    write = tmp_path_factory.mktemp("w3c-write")
    shutil.rmtree(write)
    shutil.copytree(read, write)
    with serving(read) as ro, serving(write, "--update-token", TOKEN) as rw:
        yield tests, ro, rw


def test_w3c_protocol_suite(servers):
    tests, ro, rw = servers
    passed, failed = [], []
    for t in tests:
        update = t["id"].startswith(("update", "bad_update"))
        ok = True
        for r in t["requests"]:
            status, media, body = run_request(rw if update else ro, r, TOKEN if update else None)
            if not check(r, status, media, body):
                ok = False
                failed.append(f"{t['id']}: {r['method']} {r['path'][:60]} → {status} {media}")
                break
        if ok:
            passed.append(t["id"])
    print(f"\nW3C SPARQL 1.1 Protocol: {len(passed)} of {len(tests)} passed")
    for f in failed:
        print("  failed", f)
    assert len(tests) == 34
    assert len(passed) >= EXPECTED_PASSES
