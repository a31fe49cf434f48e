"""Remote-store mode against a real Oxigraph server (the `oxigraph` package from PyPI ships the binary)."""
from __future__ import annotations

import json
import urllib.request

import pytest

from policykg.iri import Minter
from policykg.remote import RemoteStore
from policykg.store import Store

from helpers import BASE, CORPUS, FILES, run_cli
from server_helpers import oxigraph_server, serving


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    with oxigraph_server(tmp_path_factory.mktemp("ox")) as url:
        yield url


def test_build_query_and_graphs_equal_the_embedded_store(oxigraph, tmp_path):
    remote = ["--endpoint", oxigraph + "/query", "--update-endpoint", oxigraph + "/update"]
    r = run_cli("build", "--no-reason", str(CORPUS), *remote)
    assert r.returncode == 0, r.stderr
    assert f"store {oxigraph}/query: 16 documents, 831 measures" in r.stdout
    r = run_cli("query", "documents", *remote, "--format", "csv")
    assert len(r.stdout.strip().splitlines()) == 17
    local = Store(tmp_path / "local")
    from policykg.loaders.build import build

    build([CORPUS], local, BASE, progress=False)
    mint = Minter(BASE)
    docs = [g for g in local.named_graphs() if mint.doc_key_of_graph(g) is not None]
    assert RemoteStore(oxigraph + "/query").dump_sorted(docs) == local.dump_sorted(docs)
    # rebuilding one file remotely replaces its documents' graphs, nothing else
    before = RemoteStore(oxigraph + "/query").dump_sorted(docs)
    assert run_cli("build", "--no-reason", str(FILES["002"]), *remote).returncode == 0
    assert RemoteStore(oxigraph + "/query").dump_sorted(docs) == before
    r = run_cli("audit", *remote, "--district", "310110", "--format", "json")
    from policykg.queries import audit as audit_mod

    # the same audit as over the embedded store built from the same corpus
    assert json.loads(r.stdout)["districts"][0]["followed"] == audit_mod.audit(local, BASE, "310110")["districts"][0]["followed"]


def test_serve_a_remote_store(oxigraph):
    from SPARQLWrapper import JSON, SPARQLWrapper

    with serving("unused", "--endpoint", oxigraph + "/query") as url:
        sw = SPARQLWrapper(url + "/sparql")
        sw.setQuery("SELECT (COUNT(?m) AS ?n) WHERE { ?m a <https://policykg.org/ontology#Measure> }")
        sw.setReturnFormat(JSON)
        rows = sw.query().convert()["results"]["bindings"]
        assert rows[0]["n"]["value"] == "831"


def test_entity_pages_of_a_remote_store(oxigraph):
    """The entity route on a remote store: the IRI is bound by a trailing VALUES clause (no substitutions over
    the protocol); known/unknown, Turtle and the compacted JSON-LD as on the embedded store."""
    import json
    import urllib.error
    from urllib.parse import quote

    from rdflib import Graph
    from rdflib.compare import isomorphic

    assert run_cli("build", "--no-reason", str(FILES["003"]), "--endpoint", oxigraph + "/query",
                   "--update-endpoint", oxigraph + "/update").returncode == 0
    path = "/id/" + quote("doc/2024/上海市森林管理规定")
    with serving("unused", "--endpoint", oxigraph + "/query") as url:
        ttl = urllib.request.urlopen(urllib.request.Request(url + path, headers={"Accept": "text/turtle"})).read()
        turtle = Graph().parse(data=ttl, format="turtle")
        assert (None, None, None) in turtle and len(turtle) > 5
        doc = json.loads(urllib.request.urlopen(url + path + ".jsonld").read())
        doc["@context"] = json.loads(urllib.request.urlopen(url + "/context.jsonld").read())["@context"]
        assert isomorphic(Graph().parse(data=json.dumps(doc), format="json-ld"), turtle)
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(urllib.request.Request(url + "/id/doc/nothing-here", headers={"Accept": "text/turtle"}))
        assert err.value.code == 404
