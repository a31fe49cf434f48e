"""`policykg serve` on a real port, queried by SPARQLWrapper and curl."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from helpers import CORPUS, ROOT, run_cli


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = tmp_path_factory.mktemp("served")
    assert run_cli("build", "--no-reason", str(CORPUS), "--store", str(store)).returncode == 0
    port = free_port()
    log = store.parent / f"{store.name}.log"  # a file, not a pipe nobody reads (the access log would fill it)
    proc = subprocess.Popen(
        [sys.executable, "-m", "policykg.cli", "serve", "--store", str(store), "--port", str(port)],
        cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(log.read_text())
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_sparqlwrapper_select(server):
    from SPARQLWrapper import JSON, SPARQLWrapper

    sw = SPARQLWrapper(server + "/sparql")
    sw.setQuery("""PREFIX eli: <http://data.europa.eu/eli/ontology#>
                   PREFIX pkg: <https://policykg.org/ontology#>
                   SELECT ?n WHERE { ?d a pkg:Document ; eli:id_local ?n } ORDER BY ?n""")
    sw.setReturnFormat(JSON)
    data = sw.query().convert()
    numbers = [b["n"]["value"] for b in data["results"]["bindings"]]
    assert "沪府办发〔2024〕1号" in numbers and len(numbers) == 7


def test_sparqlwrapper_post_and_construct(server):
    from SPARQLWrapper import POST, TURTLE, SPARQLWrapper

    sw = SPARQLWrapper(server + "/sparql")
    sw.setMethod(POST)
    sw.setQuery("""PREFIX dct: <http://purl.org/dc/terms/> PREFIX eli: <http://data.europa.eu/eli/ontology#>
                   CONSTRUCT { ?d dct:title ?t } WHERE { ?d eli:id_local "上海市人民政府令第9号" ; dct:title ?t }""")
    sw.setReturnFormat(TURTLE)
    body = sw.query().convert()
    assert "上海市人民政府令第9号".encode("utf-8") in body


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_curl_csv_and_errors(server):
    out = subprocess.run(
        ["curl", "-s", "-H", "Accept: text/csv", "--data-urlencode",
         "query=SELECT (COUNT(?m) AS ?n) WHERE { ?m a <https://policykg.org/ontology#Measure> }", server + "/sparql"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert out.splitlines() == ["n", "831"]
    out = subprocess.run(["curl", "-s", "-w", "%{http_code}", server + "/sparql?query=SELEC"],
                         capture_output=True, text=True).stdout
    assert out.endswith("400") and "malformed SPARQL" in out
    out = subprocess.run(["curl", "-s", "-w", "%{http_code}", "-X", "POST", "-H", "Content-Type: application/sparql-update",
                          "--data", "DROP ALL", server + "/sparql"], capture_output=True, text=True).stdout
    assert out.endswith("403")


def test_healthz_and_query_list(server):
    health = json.load(urllib.request.urlopen(server + "/healthz"))
    sandbox = health.pop("sandbox")  # whether the query workers are cut off from the network (test_attacks.py)
    assert health == {"status": "ok", "updates": False, "empty": False}  # no count: it scans every quad
    assert set(sandbox) == {"netns", "seccomp", "network"}
    counted = json.load(urllib.request.urlopen(server + "/healthz?triples=1"))
    assert counted["status"] == "ok" and counted["triples"] > 20000
    names = [q["name"] for q in json.load(urllib.request.urlopen(server + "/queries"))]
    assert {"documents", "measures", "promulgations"} <= set(names)


def test_named_query_pages_over_http_and_the_cli(server, tmp_path):
    """?limit=&offset= (and --limit/--offset) give stable pages of a named query; bad values are a JSON 400."""
    import csv
    import io
    import urllib.error

    def page(query: str) -> list[list[str]]:
        with urllib.request.urlopen(f"{server}/queries/documents?format=csv{query}", timeout=60) as r:
            return list(csv.reader(io.StringIO(r.read().decode("utf-8"))))

    whole = page("")
    assert len(whole) == 17  # the header and the 16 documents of the bundled corpus
    assert page("&limit=5&offset=3") == [whole[0]] + whole[4:9]
    assert page("&offset=15") == [whole[0]] + whole[16:]
    for bad in ("limit=-1", "limit=x", "offset=1.5", "limit=99999999999999"):
        with pytest.raises(urllib.error.HTTPError) as err:
            page("&" + bad)
        assert err.value.code == 400 and json.loads(err.value.read())["error"] == "bad-request"
    store = tmp_path / "s"
    assert run_cli("build", "--no-reason", str(CORPUS), "--store", str(store)).returncode == 0
    out = run_cli("query", "documents", "--limit", "5", "--offset", "3", "--format", "csv", "--store", str(store)).stdout
    assert list(csv.reader(io.StringIO(out))) == [whole[0]] + whole[4:9]
    r = run_cli("query", "documents", "--limit", "-2", "--store", str(store))
    assert r.returncode == 2 and "limit" in r.stderr
