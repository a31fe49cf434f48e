"""The server's safety claims, proved on a real port: no request forgery, updates only with the token, a time
limit that really stops the work while other queries go on, a row cap that says it cut, and a bounded load test."""
from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from server_helpers import Listener, corpus_store, serving

EXPENSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CHEAP = "SELECT ?n WHERE { ?d a pkg:Document ; eli:id_local ?n } ORDER BY ?n LIMIT 1"


def post(url: str, data: dict, headers: dict | None = None, timeout: float = 30):
    body = urllib.parse.urlencode(data).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()  # header names are case-insensitive here
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return corpus_store(tmp_path_factory, "safety")


@pytest.fixture(scope="module")
def server(store):
    # every test client has the address 127.0.0.1: a client share of both workers lets one expensive and one
    # cheap query of "the same client" run side by side (the fair share itself: tests/test_attacks.py)
    with serving(store, "--timeout", "2", "--workers", "2", "--max-rows", "5", "--client-share", "2") as url:
        yield url


def test_service_load_and_from_outside_the_store_are_refused_and_nothing_is_fetched(server):
    listener = Listener()
    try:
        target = f"http://127.0.0.1:{listener.port}/"
        for q in (f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
                  f"SELECT * FROM <{target}> WHERE {{ ?s ?p ?o }}",
                  f"SELECT * FROM NAMED <{target}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
                  f"PREFIX x: <{target}> SELECT * WHERE {{ SERVICE x:sparql {{ ?s ?p ?o }} }}",
                  f"SELECT * WHERE {{ ?s ?p ?o .SERVICE <{target}> {{ ?s ?p ?o }} }}",
                  ):
            status, _, body = post(server + "/sparql", {"query": q})
            assert status == 400, q
            assert json.loads(body)["error"] == "refused"
        status, _, body = post(server + "/sparql", {"update": f"LOAD <{target}>"})
        assert status == 403  # read-only: updates refused outright
        time.sleep(0.5)
        assert listener.connections == 0
    finally:
        listener.close()
    # the word SERVICE in a literal or a comment is not a SERVICE clause
    status, _, _ = post(server + "/sparql", {"query": 'SELECT ("SERVICE" AS ?x) WHERE {} # SERVICE <http://x>'})
    assert status == 200
    # nor is a variable or a prefixed name spelled like a keyword (the legal-links export uses ?from)
    for q in ("SELECT ?from ?service WHERE { ?from <http://purl.org/dc/terms/title> ?service } LIMIT 1",
              "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ex:from ?o . ?s ex:load ?x } LIMIT 1",
              "SELECT * WHERE { ?s ?p ?o . FILTER(?s = $from) } LIMIT 1"):
        status, _, body = post(server + "/sparql", {"query": q})
        assert status == 200, (q, body)


def test_updates_need_the_token(store, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(store, copy)
    with serving(copy, "--update-token", "s3cret") as url:
        update = {"update": "INSERT DATA { GRAPH <urn:test> { <urn:a> <urn:b> <urn:c> } }"}
        assert post(url + "/sparql", update)[0] == 401
        assert post(url + "/sparql", update, {"Authorization": "Bearer wrong"})[0] == 401
        assert post(url + "/sparql", update, {"Authorization": "Bearer s3cret"})[0] == 204
        status, _, body = post(url + "/sparql", {"query": "ASK { GRAPH <urn:test> { <urn:a> <urn:b> <urn:c> } }"},
                               {"Accept": "application/sparql-results+json"})
        assert json.loads(body)["boolean"] is True
        listener = Listener()
        try:
            status, _, body = post(url + "/sparql", {"update": f"LOAD <http://127.0.0.1:{listener.port}/>"},
                                   {"Authorization": "Bearer s3cret"})
            assert status == 400 and json.loads(body)["error"] == "refused"
            time.sleep(0.3)
            assert listener.connections == 0
        finally:
            listener.close()


def test_an_expensive_query_is_stopped_while_a_cheap_one_answers(server):
    results = {}

    def expensive():
        t = time.monotonic()
        results["expensive"] = (post(server + "/sparql", {"query": EXPENSIVE})[0], time.monotonic() - t)

    thread = threading.Thread(target=expensive)
    thread.start()
    time.sleep(0.3)  # the expensive query is running
    t = time.monotonic()
    status, _, body = post(server + "/sparql", {"query": CHEAP}, {"Accept": "application/sparql-results+json"})
    cheap_time = time.monotonic() - t
    thread.join(30)
    assert status == 200 and cheap_time < 1.5
    exp_status, exp_time = results["expensive"]
    assert exp_status == 503 and 1.8 <= exp_time < 6  # stopped at the 2 s limit
    # the killed worker is replaced: the server still answers
    time.sleep(2)
    assert post(server + "/sparql", {"query": CHEAP})[0] == 200


def test_row_cap_says_it_cut(server):
    status, headers, body = post(server + "/sparql", {"query": "SELECT ?m WHERE { ?m a pkg:Measure }"},
                                 {"Accept": "application/sparql-results+json"})
    assert status == 200 and headers.get("X-PolicyKG-Truncated") == "true" and headers.get("X-PolicyKG-Row-Limit") == "5"
    assert len(json.loads(body)["results"]["bindings"]) == 5
    status, headers, _ = post(server + "/sparql", {"query": CHEAP})
    assert headers.get("X-PolicyKG-Truncated") is None


def test_request_size_limit_and_json_errors(server):
    status, _, body = post(server + "/sparql", {"query": "SELECT * WHERE { ?s ?p ?o } #" + "x" * 200_000})
    assert status == 413 and "error" in json.loads(body)
    status, _, body = post(server + "/sparql", {"query": "SELEKT nothing"})
    assert status == 400 and json.loads(body)["error"] == "query-error" and "malformed SPARQL" in json.loads(body)["message"]
    req = urllib.request.Request(server + "/sparql", method="PUT", data=b"x")
    try:
        urllib.request.urlopen(req)
    except urllib.error.HTTPError as exc:
        assert exc.code == 405 and "error" in json.loads(exc.read())
    req = urllib.request.Request(server + "/sparql?query=ASK%7B%7D", headers={"Accept": "image/png"})
    try:
        urllib.request.urlopen(req)
    except urllib.error.HTTPError as exc:
        assert exc.code == 406 and json.loads(exc.read())["error"] == "not-acceptable"
    with urllib.request.urlopen(server + "/sparql?query=ASK%7B%7D") as r:
        assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_bounded_load_on_loopback(server):
    """16 concurrent clients, 400 requests in all: no error; the figures go in the closing note."""
    url = server + "/sparql?" + urllib.parse.urlencode({"query": CHEAP})
    latencies: list[float] = []

    def one(_):
        t = time.monotonic()
        with urllib.request.urlopen(url, timeout=30) as r:
            r.read()
            assert r.status == 200
        latencies.append(time.monotonic() - t)

    start = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, range(400)))
    elapsed = time.monotonic() - start
    latencies.sort()
    print(f"\nload: 400 requests, 16 clients, {400 / elapsed:.0f} req/s, median {statistics.median(latencies) * 1000:.0f} ms, "
          f"p95 {latencies[int(0.95 * len(latencies))] * 1000:.0f} ms")
    assert len(latencies) == 400
