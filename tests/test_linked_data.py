"""Linked Data on the entity IRIs (issue 16): Vary, 404 in every format, Link alternates, format suffixes,
compacted JSON-LD with the published context, and named queries that carry their own PREFIX lines.

Everything runs against the real server (``policykg serve`` on a real port) over the bundled corpus."""
from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from helpers import CORPUS, ROOT
from server_helpers import corpus_store, http, serving

BASE = "https://policykg.org/id/"
PKG = "https://policykg.org/ontology#"
TOKEN = "linked-data-test-token"
# 上海市人民政府令第9号: the decree's act, a regulation (corpus file 003). Its title is the line that follows the
# decree's signature date; it enters into force on the date the decree states (自２０２４年５月１日起施行).
FOREST = BASE + "doc/2024/上海市森林管理规定"
FOREST_SOURCE = CORPUS / "003_cebf7cb3adb8ea3e.txt"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    store = corpus_store(tmp_path_factory, "linked-data")
    with serving(store, "--update-token", TOKEN) as url:
        yield url


def path_of(iri: str) -> str:
    assert iri.startswith(BASE)
    return "/id/" + urllib.parse.quote(iri[len(BASE):], safe="/")


def fetch(url: str, accept: str | None = None, data: bytes | None = None, headers: dict | None = None):
    """(status, headers, body) — errors included."""
    return http(url, accept, data=data, headers=headers)


def vary(headers) -> set[str]:
    return {v.strip().lower() for h in headers.get_all("Vary") or [] for v in h.split(",")}


def select(site: str, query: str) -> list[dict]:
    status, _, body = fetch(site + "/sparql?" + urllib.parse.urlencode({"query": query}), "application/sparql-results+json")
    assert status == 200, body
    return [{k: v["value"] for k, v in b.items()} for b in json.loads(body)["results"]["bindings"]]


def expand(body: bytes, context: dict) -> Graph:
    """A JSON-LD response parsed by rdflib with its remote @context replaced by the fetched context."""
    doc = json.loads(body)
    if isinstance(doc, list):  # a named graph's content (a follow-up link is a hash IRI of its graph's IRI): expanded
        return Graph().parse(data=body, format="json-ld")
    doc["@context"] = context["@context"]
    return Graph().parse(data=json.dumps(doc), format="json-ld")


# ---------------------------------------------------------------------- Vary
def test_vary_accept_on_every_negotiated_response(site):
    doc = path_of(FOREST)
    for url, accept in [(site + doc, "text/turtle"), (site + doc, "text/html"), (site + doc, "application/ld+json"),
                        (site + "/queries/documents", "text/csv"), (site + "/queries/documents", None),
                        (site + "/sparql?query=" + urllib.parse.quote("ASK {}"), "application/sparql-results+xml"),
                        (site + "/sparql", "text/turtle"),  # the service description
                        (site + path_of(BASE + "doc/no-such-document"), "text/turtle")]:  # a 404 depends on Accept too
        status, headers, _ = fetch(url, accept)
        assert status in (200, 404)
        assert "accept" in vary(headers), (url, accept, headers.get_all("Vary"))
    # a 406 is an answer to the Accept header as well
    status, headers, _ = fetch(site + "/queries/documents", "image/png")
    assert status == 406 and "accept" in vary(headers)


def test_export_and_suffixes_do_not_claim_to_vary(site):
    """/export chooses its format by a parameter, and a suffix such as .ttl forces one: neither depends on Accept."""
    status, headers, _ = fetch(site + "/export?format=cytoscape&view=responsibility", "application/json")
    assert status == 200 and "accept" not in vary(headers)
    status, headers, _ = fetch(site + path_of(FOREST) + ".ttl", "text/html")
    assert status == 200 and "accept" not in vary(headers)


# ---------------------------------------------------------------------- 404
@pytest.mark.parametrize("accept", ["text/html", "text/turtle", "application/ld+json", "application/n-triples"])
def test_unknown_iri_is_404_in_every_format(site, accept):
    iri = BASE + "doc/2024/上海市不存在的规定"
    status, headers, body = fetch(site + path_of(iri), accept)
    assert status == 404
    if accept == "text/html":
        assert headers.get_content_type() == "text/html"
        assert "Not found" in body.decode("utf-8") and iri in body.decode("utf-8")
    else:  # the JSON error body of every API error
        assert headers.get_content_type() == "application/json"
        assert json.loads(body) == {"error": "not-found", "message": f"nothing is known about {iri}"}
    assert headers.get("Link") is None


def test_unknown_iri_with_a_suffix_is_404(site):
    status, headers, body = fetch(site + path_of(BASE + "doc/no-such-document") + ".ttl")
    assert status == 404 and json.loads(body)["error"] == "not-found"
    assert "doc/no-such-document" in json.loads(body)["message"] and ".ttl" not in json.loads(body)["message"]


def test_an_iri_only_used_as_an_object_is_not_known(site):
    """Known means: the subject of a triple. An IRI only ever pointed at has nothing to describe."""
    iri = BASE + "doc/only-an-object"
    status, _, _ = fetch(site + "/sparql", data=urllib.parse.urlencode({"update": f"""INSERT DATA {{ GRAPH <{BASE}graph/test-ld> {{
        <{BASE}doc/points-at-it> <{PKG}interprets> <{iri}> }} }}"""}).encode(), headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 204
    assert fetch(site + path_of(iri), "text/turtle")[0] == 404
    assert fetch(site + path_of(BASE + "doc/points-at-it"), "text/turtle")[0] == 200


# ---------------------------------------------------------------------- Link and suffixes
def test_link_alternates_and_suffixes(site):
    status, headers, body = fetch(site + path_of(FOREST), "text/turtle")
    assert status == 200
    reference = Graph().parse(data=body, format="turtle")
    assert len(reference) > 5
    links = dict((t, u) for u, t in re.findall(r'<([^>]+)>; rel="alternate"; type="([^"]+)"', headers["Link"]))
    assert set(links) == {"text/turtle", "application/ld+json", "application/n-triples", "text/html"}
    assert links["text/turtle"] == path_of(FOREST) + ".ttl" and links["application/n-triples"] == path_of(FOREST) + ".nt"
    context = json.loads(fetch(site + "/context.jsonld")[2])
    for media, url in links.items():
        # the suffix decides, whatever the Accept header asks for
        status, h, data = fetch(site + url, "text/html" if media != "text/html" else "text/turtle")
        assert status == 200 and h.get_content_type() == media, (url, h.get_content_type())
        if media == "text/html":
            assert "上海市森林管理规定" in data.decode("utf-8")
            continue
        g = expand(data, context) if media == "application/ld+json" else \
            Graph().parse(data=data, format={"text/turtle": "turtle", "application/n-triples": "nt"}[media])
        assert isomorphic(g, reference), media


def test_a_real_iri_ending_in_a_suffix_wins(site):
    """Minted keys never contain a dot (policykg/iri.py: slug() keeps CJK, letters, digits); an IRI loaded from
    elsewhere may. When ``…/x.ttl`` is itself known, it is served (negotiated), not ``…/x`` as Turtle."""
    dotted, plain = BASE + "doc/dotted.ttl", BASE + "doc/dotted"
    update = f"""INSERT DATA {{ GRAPH <{BASE}graph/test-ld> {{
        <{dotted}> <{PKG}text> "the dotted one" . <{plain}> <{PKG}text> "the plain one" }} }}"""
    status, _, _ = fetch(site + "/sparql", data=urllib.parse.urlencode({"update": update}).encode(),
                         headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 204
    status, h, body = fetch(site + path_of(dotted), "application/n-triples")
    assert status == 200 and h.get_content_type() == "application/n-triples"
    assert "the dotted one" in body.decode() and "the plain one" not in body.decode()
    status, h, body = fetch(site + path_of(plain) + ".nt")  # a suffix on an IRI that is not itself known: stripped
    assert status == 200 and "the plain one" in body.decode() and "the dotted one" not in body.decode()


# ---------------------------------------------------------------------- JSON-LD
def expected_forest_title() -> str:
    """The regulation's title, read from the source: the line after the decree's date line (２０２４年１月２２日)."""
    lines = [l.strip() for l in FOREST_SOURCE.read_text(encoding="utf-8").splitlines() if l.strip()]
    i = lines.index("２０２４年１月２２日")
    return lines[i + 1]


def test_compacted_jsonld_has_short_keys_and_round_trips(site):
    title = expected_forest_title()
    assert title == "上海市森林管理规定"
    status, headers, body = fetch(site + path_of(FOREST), "application/ld+json")
    assert status == 200 and headers.get_content_type() == "application/ld+json"
    doc = json.loads(body)
    assert doc["@context"] == site + "/context.jsonld"
    [node] = [n for n in doc.get("@graph", [doc]) if n.get("@id") == FOREST]
    types = node["@type"] if isinstance(node["@type"], list) else [node["@type"]]
    assert "Document" in types
    assert node["title"] == {"@value": title, "@language": "zh"}
    assert node["first_date_entry_in_force"] == "2024-05-01"  # 自２０２４年５月１日起施行, coerced as xsd:date
    assert isinstance(node["passed_by"], str) and node["passed_by"].startswith(BASE + "agency/")  # "@type": "@id"
    assert not any(k.startswith("http") for k in node)  # every property of the vocabularies has a short name
    context = json.loads(fetch(site + "/context.jsonld")[2])
    turtle = Graph().parse(data=fetch(site + path_of(FOREST), "text/turtle")[2], format="turtle")
    assert isomorphic(expand(body, context), turtle)


def test_jsonld_round_trips_for_every_kind_of_entity(site):
    """Integers, decimals, booleans, dates, date-times, language-tagged text, hash resources: for one entity of
    each kind, the JSON-LD expanded with the published context is exactly the Turtle."""
    context = json.loads(fetch(site + "/context.jsonld")[2])
    iris = set()
    for prop in ["pkg:score", "pkg:value", "pkg:bearerStated", "pkg:byteSize", "prov:generatedAtTime", "pkg:responsibleUnit"]:
        rows = select(site, f"PREFIX pkg: <{PKG}> PREFIX prov: <http://www.w3.org/ns/prov#> "
                            f"SELECT ?s WHERE {{ ?s {prop} ?x }} ORDER BY ?s LIMIT 1")
        assert rows, prop
        iris.add(rows[0]["s"].split("#")[0])  # a hash resource comes with its entity
    for cls in ["Agency", "Measure", "District"]:
        iris.add(select(site, f"SELECT ?s WHERE {{ ?s a <{PKG}{cls}> }} ORDER BY ?s LIMIT 1")[0]["s"])
    for iri in sorted(iris):
        ttl = Graph().parse(data=fetch(site + path_of(iri), "text/turtle")[2], format="turtle")
        status, _, body = fetch(site + path_of(iri) + ".jsonld")
        assert status == 200 and len(ttl) > 0
        assert isomorphic(expand(body, context), ttl), iri


def test_jsonld_is_deterministic(site):
    first = fetch(site + path_of(FOREST), "application/ld+json")[2]
    assert fetch(site + path_of(FOREST) + ".jsonld")[2] == first


def test_context_is_valid_deterministic_and_maps_every_pkg_term(site):
    status, headers, body = fetch(site + "/context.jsonld")
    assert status == 200 and headers.get_content_type() == "application/ld+json"
    assert fetch(site + "/context.jsonld")[2] == body
    ctx = json.loads(body)["@context"]
    mapped = {}
    for name, value in ctx.items():
        iri = value if isinstance(value, str) else value["@id"]
        mapped.setdefault(iri, name)
    used = select(site, f"""SELECT DISTINCT ?p WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?p), "{PKG}")) }}""")
    assert len(used) > 30
    missing = sorted(r["p"] for r in used if r["p"] not in mapped)
    assert not missing, missing
    classes = select(site, f"""SELECT DISTINCT ?c WHERE {{ ?s a ?c FILTER(STRSTARTS(STR(?c), "{PKG}")) }}""")
    assert not sorted(r["c"] for r in classes if r["c"] not in mapped)
    # the shape of the terms, from the ontology (ontology/policykg.ttl)
    assert ctx["passed_by"] == {"@id": "http://data.europa.eu/eli/ontology#passed_by", "@type": "@id"}  # ObjectProperty
    assert ctx["date_document"]["@type"] == "http://www.w3.org/2001/XMLSchema#date"  # rdfs:range xsd:date
    assert ctx["title"] == {"@id": "http://purl.org/dc/terms/title"}  # language-tagged: not coerced
    assert ctx["path"] == {"@id": PKG + "path"}  # range xsd:string: a plain JSON string, not coerced
    # a clash: pkg:Prohibition and odrl:Prohibition; pkg keeps the short name, odrl's is prefix:local
    assert ctx["Prohibition"] == PKG + "Prohibition" and ctx["odrl"] == "http://www.w3.org/ns/odrl/2/"
    assert "http://www.w3.org/ns/odrl/2/Prohibition" not in mapped


# ---------------------------------------------------------------------- named queries with their PREFIX lines
QUERY_FILES = sorted((ROOT / "queries").glob("*.rq"))


def _all_params(q) -> dict:
    import pyoxigraph as ox

    return {k: ox.Literal("x") for k in q.params}


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.stem)
def test_named_query_files_parse_without_predeclared_prefixes(path: Path):
    import pyoxigraph as ox
    from rdflib.plugins.sparql import prepareQuery

    from policykg import queries as lib

    text = path.read_text(encoding="utf-8")
    q = lib.load(path.stem)
    assert q.title and q.columns  # the header is still read with PREFIX lines after it
    # bound (scope lines become text, a VALUES block), paged: still parses in both engines with no prefixes known
    for variant in (text, lib.bind(text, _all_params(q)), lib.bind(text, {}, 10), lib.bind(text, _all_params(q), 10, 20)):
        prepareQuery(variant, initNs={})
        ox.Store().query(variant)  # pyoxigraph: an undeclared prefix is a SyntaxError
    # every prefix used is declared in the text: pyoxigraph would also reject the text without its PREFIX lines
    without = "\n".join(l for l in text.splitlines() if not l.startswith("PREFIX "))
    with pytest.raises(SyntaxError):
        ox.Store().query(without)


def test_with_prologue_declares_no_prefix_twice():
    import pyoxigraph as ox

    from policykg import queries as lib
    from server.pages import with_prologue

    for q in lib.library():
        shown = with_prologue(q.text)
        declared = re.findall(r"(?m)^PREFIX (\w+):", shown)
        assert len(declared) == len(set(declared)), q.name
        assert shown == q.text  # the named queries declare what they use
        ox.Store().query(shown)
    # a text without declarations still gets them, once
    shown = with_prologue("SELECT * WHERE { ?s pkg:path ?o ; eli:id_local ?n }")
    assert re.findall(r"(?m)^PREFIX (\w+):", shown) == ["pkg", "eli"]
    shown = with_prologue("PREFIX pkg: <https://policykg.org/ontology#>\nSELECT * WHERE { ?s pkg:path ?o ; eli:id_local ?n }")
    assert re.findall(r"PREFIX (\w+):", shown) == ["eli", "pkg"]


def test_named_queries_still_run_on_the_server(site):
    status, headers, body = fetch(site + "/queries/documents?format=json")
    assert status == 200
    rows = json.loads(body)["results"]["bindings"]
    assert FOREST in {r["doc"]["value"] for r in rows}
    status, _, body = fetch(site + "/queries/measures?" + urllib.parse.urlencode({"doc": f"<{FOREST}>", "format": "json", "limit": "3"}))
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 3
    listed = json.loads(fetch(site + "/queries")[2])
    for q in listed:
        assert len(re.findall(r"(?m)^PREFIX pkg:", q["query"])) == 1, q["name"]
