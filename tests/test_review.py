"""Reviews: an auditor accepts or rejects a follow-up link or a gap (policykg review, POST /audit/review, the
Accept/Reject buttons of /audit-view), kept in graph/reviews through re-builds, shown in the audit.

What is reviewed is read from the bundled corpus and the hand labels, not from the matcher's output:

* the city plan (000, 沪府办发〔2024〕1号), 市场准入 measure 2: 全面落实名称申报承诺制，完善核名争议解决机制。 The 嘉定区 plan
  (004) names 名称申报承诺制 once, in its item 1, first sentence (全面落实名称申报承诺制、完善核名争议解决机制。): the
  only district measure taking it up. Rejecting that link leaves the city measure with no follow-up in 嘉定区.
* tests/labels/followups.json: 嘉定's item 1 measure 4 follows up city measure 5 and measure 3 follows up city
  measure 4 — so a link from measure 3 to city measure 5 is a false positive, and rejecting it leaves 5 followed;
  neither district labels a follow-up of 市场准入 measures 1 (嘉定) or 6 and 8 (杨浦): gaps.
"""
from __future__ import annotations

import json
import shutil

import pytest

from helpers import BASE, CORPUS, FILES, ROOT, run_cli
from server_helpers import corpus_store, http, page_with_errors, serving

CITY = BASE + "doc/2024/上海市坚持对标改革持续打造国际一流营商环境行动方案"
JIADING = BASE + "doc/嘉定区坚持对标改革持续打造国际一流营商环境行动方案"
YANGPU = BASE + "doc/2024/聚焦-创新四力-升级-四大服务-杨浦全力打造营商环境最暖城区实施方案"
NAME_CLAIM = CITY + "/sec_1__subsec_1__meas_2"  # 全面落实名称申报承诺制，完善核名争议解决机制。
JD_NAME_CLAIM = JIADING + "/sec_1__item_1__meas_1"  # 全面落实名称申报承诺制、完善核名争议解决机制。
# city measure 五、(二) 2 完善“营商环境体验官”工作机制，持续打响“营商环境体验官”品牌 has two 嘉定 links: one labelled (followups-v3.json
# jiading_rest), one the labels say is none
JD_GATHERED = JIADING + "/sec_5__item_20__meas_2"  # 充分发挥“营商环境体验官”“营商环境联系点”信息收集作用… (labelled: none)
JD_ADDRESS = JIADING + "/sec_5__item_21__meas_2"  # (labelled strong: follows it up)
CITY_5 = CITY + "/sec_5__subsec_2__meas_2"
CITY_1 = CITY + "/sec_1__subsec_1__meas_1"  # no 嘉定 measure labelled as following it up
YP_CITY_3 = CITY + "/sec_1__subsec_1__meas_3"
YP_3 = YANGPU + "/sec_2__subsec_1__item_1__meas_2"  # labelled: follows up city measure 3
YP_GAP = CITY + "/sec_1__subsec_1__meas_6"  # no 杨浦 measure labelled as following it up
REVIEWS = BASE + "graph/reviews"
INJECTION = '"> } ; DROP ALL #'


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """The bundled corpus built once (no reasoning: reviews do not need it)."""
    return corpus_store(tmp_path_factory, "review")


@pytest.fixture
def store(pristine, tmp_path):
    """A copy of it, for a test that writes reviews."""
    path = tmp_path / "store"
    shutil.copytree(pristine, path)
    return path


def cli(*args, store=None):
    return run_cli(*args, *(["--store", str(store)] if store else []))


def review(store, verb, district, city, *, dm=None, reviewer="审计员甲", reason=None):
    args = ["review", verb, "--district", district, "--city-measure", city, "--reviewer", reviewer]
    args += ["--district-measure", dm] if dm else []
    args += ["--reason", reason] if reason is not None else []
    return cli(*args, store=store)


def audit(store, district: str) -> dict:
    r = cli("audit", "--district", district, "--format", "json", store=store)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["auditVersion"] == 3
    [entry] = report["districts"]
    return entry


def by_city(items: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for x in items:
        out.setdefault(x["cityMeasure"], []).append(x)
    return out


def reviews_graph(store) -> str:
    r = cli("query", "-e", f"SELECT ?s ?p ?o WHERE {{ GRAPH <{REVIEWS}> {{ ?s ?p ?o }} }} ORDER BY ?s ?p ?o",
            "--format", "csv", store=store)
    assert r.returncode == 0, r.stderr
    return r.stdout


# ---------------------------------------------------------------------- the premises, read from the corpus
def test_the_premises_hold_in_the_corpus():
    city_plan = FILES["000"].read_text(encoding="utf-8")
    jiading = FILES["004"].read_text(encoding="utf-8")
    assert "全面落实名称申报承诺制" in city_plan.replace("\n", "").replace(",", "，")
    assert jiading.count("名称申报承诺制") == 1 and jiading.count("核名") == 1
    labels = json.loads((ROOT / "tests" / "labels" / "followups.json").read_text(encoding="utf-8"))
    v3 = json.loads((ROOT / "tests" / "labels" / "followups-v3.json").read_text(encoding="utf-8"))["jiading_rest"]
    assert "sec_5__subsec_2__meas_2" in v3["sec_5__item_21__meas_2"]["strong"]
    assert "sec_5__subsec_2__meas_2" not in v3["sec_5__item_20__meas_2"]["strong"] + v3["sec_5__item_20__meas_2"]["medium"]
    assert labels["yangpu"]["sec_2__subsec_1__item_1__meas_2"] == ["sec_1__subsec_1__meas_3"]
    for name, gap in (("jiading", "sec_1__subsec_1__meas_1"), ("yangpu", "sec_1__subsec_1__meas_6")):
        assert not any(gap in cities for cities in labels[name].values())


# ---------------------------------------------------------------------- CLI, and what the audit shows
def test_a_rejected_link_is_shown_and_its_city_measure_becomes_a_gap(store):
    before = audit(store, "嘉定")
    assert [l["districtMeasure"] for l in by_city(before["links"])[NAME_CLAIM]] == [JD_NAME_CLAIM]
    assert all(x["review"] is None for key in ("links", "gaps", "notApplicable") for x in before[key])
    assert before["followedAfterReview"] == before["followed"] and before["gapsAfterReview"] == len(before["gaps"])

    r = review(store, "reject", "嘉定区", NAME_CLAIM, dm=JD_NAME_CLAIM, reason="只是重复了市级措施的原话")
    assert r.returncode == 0, r.stderr
    assert "rejected" in r.stdout and "审计员甲" in r.stdout
    after = audit(store, "310114")  # the district by its code, as the audit's --district
    [link] = by_city(after["links"])[NAME_CLAIM]
    assert link["review"]["verdict"] == "rejected" and link["review"]["reviewer"] == "审计员甲"
    assert link["review"]["reason"] == "只是重复了市级措施的原话" and link["review"]["created"].endswith("Z")
    [gap] = by_city(after["gaps"])[NAME_CLAIM]
    assert gap["gapReason"] == "link-rejected-by-review" and gap["closestDistrictMeasure"] == JD_NAME_CLAIM
    assert gap["review"] is None and gap["cityPath"] == "sec_1__subsec_1__meas_2"
    # the matcher's figures stay; the figures after review count the link out
    assert after["followed"] == before["followed"] and after["total"] == before["total"]
    assert after["followedAfterReview"] == before["followed"] - 1
    assert after["gapsAfterReview"] == len(before["gaps"]) + 1
    assert after["reviewed"]["links"] == {"accepted": 0, "rejected": 1}
    market = next(s for s in after["sections"] if s["heading"] == "市场准入")
    assert market["followedAfterReview"] == market["followed"] - 1
    # the gaps stay in the city plan's order
    paths = [g["cityPath"] for g in after["gaps"]]
    assert paths.index("sec_1__subsec_1__meas_1") < paths.index("sec_1__subsec_1__meas_2") < paths.index("sec_1__subsec_1__meas_8")
    # text, CSV and HTML show the verdict
    text = cli("audit", "--district", "嘉定", store=store).stdout
    assert "review of the link: rejected by 审计员甲" in text and "but a reviewer rejected the link" in text
    assert "after review: " in text
    rows = cli("audit", "--district", "嘉定", "--format", "csv", store=store).stdout.splitlines()
    header = rows[0].split(",")
    assert header[-4:] == ["review", "reviewer", "reviewCreated", "reviewReason"]
    assert any(",rejected,审计员甲," in line and ",followed,sec_1__subsec_1__meas_2," in line for line in rows)
    html = cli("audit", "--district", "嘉定", "--format", "html", store=store).stdout
    assert "<td class='review'>rejected by 审计员甲" in html


def test_rejecting_a_false_positive_of_two_links_keeps_the_measure_followed(store):
    before = audit(store, "嘉定")
    linked = {l["districtMeasure"] for l in by_city(before["links"])[CITY_5]}
    assert {JD_GATHERED, JD_ADDRESS} <= linked  # the labelled link and the one the labels do not have
    assert review(store, "reject", "嘉定", CITY_5, dm=JD_GATHERED).returncode == 0
    assert review(store, "accept", "嘉定", CITY_5, dm=JD_ADDRESS).returncode == 0
    after = audit(store, "嘉定")
    verdicts = {l["districtMeasure"]: (l["review"] or {}).get("verdict") for l in by_city(after["links"])[CITY_5]}
    assert verdicts[JD_GATHERED] == "rejected" and verdicts[JD_ADDRESS] == "accepted"
    assert CITY_5 not in by_city(after["gaps"])
    assert after["followedAfterReview"] == after["followed"]
    assert after["reviewed"]["links"] == {"accepted": 1, "rejected": 1}


def test_a_rejected_gap_counts_as_followed_after_review_and_the_latest_verdict_wins(store):
    before = audit(store, "嘉定")
    assert CITY_1 in by_city(before["gaps"])
    assert review(store, "accept", "嘉定", CITY_1, reviewer="审计员乙").returncode == 0
    mid = audit(store, "嘉定")
    assert by_city(mid["gaps"])[CITY_1][0]["review"]["verdict"] == "accepted"
    assert mid["followedAfterReview"] == before["followed"] and mid["gapsAfterReview"] == len(before["gaps"])
    r = review(store, "reject", "嘉定", CITY_1, reviewer="审计员丙", reason="区方案第1条的“一网通办”登记即此项")
    assert r.returncode == 0 and "replaces the verdict 'accepted' by 审计员乙" in r.stdout
    after = audit(store, "嘉定")
    [gap] = by_city(after["gaps"])[CITY_1]
    assert gap["review"]["verdict"] == "rejected" and gap["review"]["reviewer"] == "审计员丙"
    assert after["followedAfterReview"] == before["followed"] + 1
    assert after["gapsAfterReview"] == len(before["gaps"]) - 1
    assert after["reviewed"]["gaps"] == {"accepted": 0, "rejected": 1}
    # one review node for the gap, not two
    listed = json.loads(cli("review", "list", "--format", "json", store=store).stdout)
    assert [(x["kind"], x["verdict"], x["reviewer"]) for x in listed] == [("gap", "rejected", "审计员丙")]
    assert listed[0]["district"] == BASE + "place/310114" and listed[0]["inStore"] is True
    # a gap is per district: 杨浦's audit does not show 嘉定's verdict
    assert all(x["review"] is None for key in ("links", "gaps") for x in audit(store, "杨浦")[key])


def test_bad_values_are_refused_with_the_option_named_and_nothing_written(store):
    cases = [
        (dict(verb="reject", district="嘉定", city=CITY + "/sec_1__subsec_1__meas_99"), "--city-measure", "not a measure in the store"),
        (dict(verb="reject", district="嘉定", city="not an IRI"), "--city-measure", "absolute IRI"),
        (dict(verb="reject", district="嘉定", city=JD_NAME_CLAIM), "--city-measure", "not a city plan"),
        (dict(verb="reject", district="黄浦", city=NAME_CLAIM), "--city-measure", "no plan of 黄浦区 answers"),
        (dict(verb="reject", district="嘉定新城", city=NAME_CLAIM), "--district", "no district '嘉定新城'"),
        (dict(verb="reject", district="杨浦", city=NAME_CLAIM, dm=JD_NAME_CLAIM), "--district-measure", "not a measure of a plan of 杨浦区"),
        (dict(verb="reject", district="嘉定", city=NAME_CLAIM, dm=JIADING + "/sec_1__item_1__meas_2"), "--district-measure",
         "no follow-up link"),
        (dict(verb="reject", district="嘉定", city=NAME_CLAIM, reviewer="  "), "--reviewer", "a reviewer is needed"),
        (dict(verb="reject", district="嘉定", city=NAME_CLAIM, reason="理" * 2001), "--reason", "2001 characters; at most 2000"),
    ]
    for kwargs, option, words in cases:
        r = review(store, kwargs.pop("verb"), kwargs.pop("district"), kwargs.pop("city"), **kwargs)
        assert r.returncode == 2, (option, r.stdout)
        assert f"policykg: error: {option}: " in r.stderr and words in r.stderr, (option, r.stderr)
    # argparse: no reviewer at all
    r = cli("review", "reject", "--district", "嘉定", "--city-measure", NAME_CLAIM, store=store)
    assert r.returncode == 2 and "--reviewer" in r.stderr
    assert reviews_graph(store).strip() == "s,p,o"


def test_an_injection_attempt_is_stored_as_text(store):
    documents = cli("stats", "--json", store=store).stdout
    r = review(store, "reject", "嘉定", NAME_CLAIM, dm=JD_NAME_CLAIM, reviewer=INJECTION,
               reason="'''}} ; CLEAR ALL ; INSERT DATA { <a> <b> <c> } #\n第二行")
    assert r.returncode == 0, r.stderr
    [link] = by_city(audit(store, "嘉定")["links"])[NAME_CLAIM]
    assert link["review"]["reviewer"] == INJECTION
    assert link["review"]["reason"] == "'''}} ; CLEAR ALL ; INSERT DATA { <a> <b> <c> } #\n第二行"
    after = json.loads(cli("stats", "--json", store=store).stdout)
    before = json.loads(documents)
    assert after["documents"] == before["documents"] == 16 and after["triples"] == before["triples"] + 8


# ---------------------------------------------------------------------- survives re-builds; export and import
def test_reviews_survive_rebuilding_the_corpus_and_one_file(store, tmp_path):
    assert review(store, "reject", "嘉定", NAME_CLAIM, dm=JD_NAME_CLAIM, reason="重复原文").returncode == 0
    assert review(store, "reject", "嘉定", CITY_1).returncode == 0
    graph = reviews_graph(store)
    # header; the link review: type, city and district measure, district, verdict, reviewer, time, reason; the gap
    # review: type, city measure, district, verdict, reviewer, time
    assert graph.count("\n") == 1 + 8 + 6
    for paths in ([str(CORPUS)], [str(FILES["004"])], [str(FILES["000"])]):  # all; the district plan; the city plan
        r = cli("build", "--no-reason", *paths, store=store)
        assert r.returncode == 0, r.stderr
        assert reviews_graph(store) == graph, paths
        entry = audit(store, "嘉定")
        assert by_city(entry["links"])[NAME_CLAIM][0]["review"]["verdict"] == "rejected"
        assert by_city(entry["gaps"])[CITY_1][0]["review"]["verdict"] == "rejected"
    # the dump holds the graph, as it holds every graph
    dump = cli("dump", store=store).stdout
    assert sum(line.endswith(f"<{REVIEWS}> .") for line in dump.splitlines()) == 14


def test_export_then_import_into_a_store_built_from_scratch_gives_the_same_audit(store, tmp_path):
    assert review(store, "reject", "嘉定", NAME_CLAIM, dm=JD_NAME_CLAIM, reviewer=INJECTION).returncode == 0
    assert review(store, "reject", "嘉定", CITY_1, reason="已覆盖").returncode == 0
    assert review(store, "accept", "杨浦", YP_CITY_3, dm=YP_3).returncode == 0
    exported = tmp_path / "reviews.json"
    assert cli("review", "export", str(exported), store=store).returncode == 0
    data = json.loads(exported.read_text(encoding="utf-8"))
    assert data["format"] == "policykg-reviews" and len(data["reviews"]) == 3
    fresh = tmp_path / "fresh"
    assert cli("build", "--no-reason", str(CORPUS), store=fresh).returncode == 0
    r = cli("review", "import", str(exported), store=fresh)
    assert r.returncode == 0 and "3 written" in r.stdout, r.stderr
    whole = lambda s: json.loads(cli("audit", "--format", "json", store=s).stdout)  # noqa: E731
    assert whole(fresh) == whole(store)
    assert by_city(audit(fresh, "嘉定")["links"])[NAME_CLAIM][0]["review"]["reviewer"] == INJECTION
    assert reviews_graph(fresh) == reviews_graph(store)
    # importing again changes nothing; an older verdict does not replace a newer one
    assert "3 written (3 replacing" in cli("review", "import", str(exported), store=fresh).stdout
    older = {**data, "reviews": [{**x, "verdict": "accepted", "created": "2020-01-01T00:00:00Z"} for x in data["reviews"]]}
    (tmp_path / "older.json").write_text(json.dumps(older, ensure_ascii=False), encoding="utf-8")
    assert "0 written" in cli("review", "import", str(tmp_path / "older.json"), store=fresh).stdout
    assert reviews_graph(fresh) == reviews_graph(store)
    # a bad entry: nothing of the file is written, and the message names the entry
    bad = {**data, "reviews": data["reviews"] + [{**data["reviews"][0], "verdict": "maybe"}]}
    (tmp_path / "bad.json").write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    empty = tmp_path / "empty"
    assert cli("build", "--no-reason", str(FILES["000"]), store=empty).returncode == 0
    r = cli("review", "import", str(tmp_path / "bad.json"), store=empty)
    assert r.returncode == 2 and "review 4 of the file: the verdict is accepted or rejected, not 'maybe'" in r.stderr
    assert reviews_graph(empty).strip() == "s,p,o"
    # into a store without the district plans: written all the same, with a warning
    r = cli("review", "import", str(exported), store=empty)
    assert r.returncode == 0 and r.stderr.count("warning: the store holds no measure or district") == 2


# ---------------------------------------------------------------------- validation, ontology, evaluation hook
def test_reviews_are_declared_and_validated(store):
    import rdflib
    from rdflib.namespace import OWL, RDF, RDFS

    from policykg.ontology import ontology_path
    from policykg.shapes.validate import data_graph, validate_graph
    from policykg.store import Store

    assert review(store, "reject", "嘉定", NAME_CLAIM, dm=JD_NAME_CLAIM, reason="x").returncode == 0
    onto = rdflib.Graph().parse(ontology_path())
    declared = set(onto.subjects(RDF.type, OWL.Class)) | set(onto.subjects(RDF.type, OWL.ObjectProperty)) \
        | set(onto.subjects(RDF.type, OWL.DatatypeProperty))
    s = Store(store)
    used = {rdflib.URIRef(q.predicate.value) for q in s.quads(REVIEWS)} - {RDF.type}
    used |= {rdflib.URIRef(q.object.value) for q in s.quads(REVIEWS) if q.predicate.value == str(RDF.type)}
    assert used - declared == set()
    for term in used:
        assert {l.language for l in onto.objects(term, RDFS.label)} >= {"zh", "en"}, term
    # a review is not entailed to be a follow-up link or a document: no domain puts it there
    for prop in ("districtMeasure", "cityMeasure", "district"):
        assert list(onto.objects(rdflib.URIRef("https://policykg.org/ontology#" + prop), RDFS.domain)) == []
    graphs = [REVIEWS, BASE + "graph/places"] + [BASE + "graph/" + doc[len(BASE):] for doc in (CITY, JIADING)]
    assert all(g in s.named_graphs() for g in graphs)
    data = data_graph(s, BASE, graphs)
    report = validate_graph(data)
    assert not [r for r in report.results if "Review" in r.shape], report.as_text()
    # a broken review (no reviewer, a verdict outside the two, a measure the store does not hold) is reported
    node = rdflib.URIRef(BASE + "review/broken")
    pkg = rdflib.Namespace("https://policykg.org/ontology#")
    data.add((node, RDF.type, pkg.Review))
    data.add((node, pkg.verdict, rdflib.Literal("maybe")))
    data.add((node, pkg.cityMeasure, rdflib.URIRef(CITY + "/sec_9__meas_1")))
    data.add((node, pkg.district, rdflib.URIRef(BASE + "place/310114")))
    data.add((node, rdflib.URIRef("http://purl.org/dc/terms/created"),
              rdflib.Literal("2024-06-01T08:00:00Z", datatype=rdflib.XSD.dateTime)))
    found = {(r.severity, r.message) for r in validate_graph(data).results if r.focus == str(node)}
    assert found == {("Violation", f"review {node} does not have one verdict, accepted or rejected"),
                     ("Violation", f"review {node} does not name one reviewer (1 to 200 characters)"),
                     ("Warning", f"review {node} is about a city measure the store no longer holds")}


def test_the_evaluation_hook_counts_reviewed_links_apart(store):
    """link_verdicts / gap_verdicts, as an evaluation against the hand labels would use them: the rejected link is
    the matcher's false positive, so leaving out rejected links removes exactly one false positive."""
    from policykg import review as review_mod
    from policykg.store import Store

    assert review(store, "reject", "嘉定", CITY_5, dm=JD_GATHERED).returncode == 0
    assert review(store, "accept", "嘉定", CITY_5, dm=JD_ADDRESS).returncode == 0
    assert review(store, "reject", "嘉定", CITY_1).returncode == 0
    s = Store(store, read_only=True)
    links, gaps = review_mod.link_verdicts(s), review_mod.gap_verdicts(s)
    assert links == {(JD_GATHERED, CITY_5): "rejected", (JD_ADDRESS, CITY_5): "accepted"}
    assert gaps == {(CITY_1, BASE + "place/310114"): "rejected"}
    v3 = json.loads((ROOT / "tests" / "labels" / "followups-v3.json").read_text(encoding="utf-8"))["jiading_rest"]
    labels = {d: v["strong"] + v["medium"] for d, v in v3.items()}
    found = [(l["districtMeasure"], l["cityMeasure"]) for l in audit(store, "嘉定")["links"]
             if l["districtMeasure"].rsplit("/", 1)[1] in labels]
    fp = lambda pairs: sum(c.rsplit("/", 1)[1] not in labels[d.rsplit("/", 1)[1]] for d, c in pairs)  # noqa: E731
    kept = [p for p in found if links.get(p) != "rejected"]
    assert fp(found) - fp(kept) == 1 and len(found) - len(kept) == 1


# ---------------------------------------------------------------------- over HTTP, and in the page
TOKEN = "review-token-7f3a"


@pytest.fixture(scope="module")
def site(pristine, tmp_path_factory):
    path = tmp_path_factory.mktemp("review-site") / "store"
    shutil.copytree(pristine, path)
    with serving(path, "--update-token", TOKEN, "--quiet") as url:
        yield url


def post(url: str, body, token: str | None = TOKEN, content_type: str = "application/json"):
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
    status, _, raw = http(url + "/audit/review", method="POST", data=data, headers=headers)
    return status, json.loads(raw) if raw else None


def http_audit(url: str, district: str) -> dict:
    from urllib.parse import quote

    status, _, raw = http(f"{url}/audit?format=json&district={quote(district)}")
    assert status == 200
    [entry] = json.loads(raw)["districts"]
    return entry


def review_count(url: str) -> int:
    from urllib.parse import quote

    q = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{REVIEWS}> {{ ?s ?p ?o }} }}"
    status, _, raw = http(f"{url}/sparql?query={quote(q)}", accept="application/sparql-results+json")
    assert status == 200
    return int(json.loads(raw)["results"]["bindings"][0]["n"]["value"])


def test_posting_a_review_needs_the_token_exactly_like_sparql_update(site, pristine, tmp_path):
    body = {"district": "杨浦", "cityMeasure": YP_CITY_3, "districtMeasure": YP_3, "verdict": "rejected", "reviewer": "x"}
    for token in (None, "wrong", TOKEN + "x"):
        status, err = post(site, body, token)
        assert status == 401 and err["error"] == "unauthorized" and "Authorization: Bearer" in err["message"], token
    status, _, raw = http(site + "/sparql", method="POST", data=b"CLEAR ALL", headers={"Content-Type": "application/sparql-update"})
    assert status == 401 and json.loads(raw)["error"] == "unauthorized"
    # a read-only server: 403, as for SPARQL Update
    readonly = tmp_path / "ro"
    shutil.copytree(pristine, readonly)
    with serving(readonly, "--quiet") as url:
        status, err = post(url, body)
        assert status == 403 and err["error"] == "forbidden" and "read-only" in err["message"]
        status, _, raw = http(url + "/sparql", method="POST", data=b"CLEAR ALL", headers={"Content-Type": "application/sparql-update"})
        assert status == 403 and json.loads(raw)["error"] == "forbidden"
        assert review_count(url) == 0


def test_a_review_posted_with_the_token_shows_in_the_audit(site):
    before = http_audit(site, "杨浦")
    [link] = [l for l in before["links"] if l["districtMeasure"] == YP_3 and l["cityMeasure"] == YP_CITY_3]
    status, saved = post(site, {"district": "杨浦区", "cityMeasure": YP_CITY_3, "districtMeasure": YP_3,
                                "verdict": "accepted", "reviewer": INJECTION, "reason": "措施原文一致"})
    assert status == 200, saved
    assert saved["kind"] == "link" and saved["review"]["reviewer"] == INJECTION and saved["iri"].startswith(BASE + "review/")
    status, saved = post(site, {"district": "310110", "cityMeasure": YP_GAP, "verdict": "rejected", "reviewer": "审计员丁",
                                "reason": None})
    assert status == 200 and saved["kind"] == "gap" and saved["review"]["reason"] is None
    after = http_audit(site, "杨浦")
    [link] = [l for l in after["links"] if l["districtMeasure"] == YP_3 and l["cityMeasure"] == YP_CITY_3]
    assert link["review"] == {"verdict": "accepted", "reviewer": INJECTION, "reason": "措施原文一致",
                              "created": link["review"]["created"]}
    [gap] = [g for g in after["gaps"] if g["cityMeasure"] == YP_GAP]
    assert gap["review"]["verdict"] == "rejected" and gap["review"]["reviewer"] == "审计员丁"
    assert after["followedAfterReview"] == before["followedAfterReview"] + 1
    # the HTML report, and the text, show it
    status, _, raw = http(site + "/audit?format=text&district=310110")
    assert status == 200 and "review of the gap: rejected by 审计员丁" in raw.decode("utf-8")


def test_bad_input_is_a_400_naming_it_and_nothing_is_written(site):
    n = review_count(site)
    good = {"district": "杨浦", "cityMeasure": YP_CITY_3, "districtMeasure": YP_3, "verdict": "rejected", "reviewer": "x"}
    cases = [
        ({**good, "cityMeasure": CITY + "/sec_1__subsec_1__meas_99"}, "cityMeasure", "not a measure in the store"),
        ({**good, "districtMeasure": JD_NAME_CLAIM}, "districtMeasure", "not a measure of a plan of 杨浦区"),
        ({**good, "district": "上海"}, "district", "no district '上海'"),
        ({**good, "verdict": "maybe"}, "verdict", "accepted or rejected, not 'maybe'"),
        ({k: v for k, v in good.items() if k != "reviewer"}, "reviewer", "a reviewer is needed"),
        ({**good, "reviewer": "名" * 201}, "reviewer", "201 characters; at most 200"),
        ({**good, "reason": "理" * 2001}, "reason", "2001 characters; at most 2000"),
        ({**good, "reviewer": "a\nb"}, "reviewer", "control character"),
        ({**good, "verdict": ["rejected"]}, "verdict", "verdict must be a string"),
        ({**good, "score": 1}, "score", "unknown key(s) score"),
    ]
    for body, field, words in cases:
        status, err = post(site, body)
        assert status == 400 and err["error"] == "bad-request", (field, err)
        assert err.get("field") == field and words in err["message"], (field, err)
    for raw, words in ((b"not json", "not JSON"), (b"[1, 2]", "JSON object"), (b"\xff\xfe", "not JSON in UTF-8")):
        status, err = post(site, raw)
        assert status == 400 and words in err["message"], raw
    status, err = post(site, b"district=x", content_type="application/x-www-form-urlencoded")
    assert status == 415 and "application/json" in err["message"]
    assert review_count(site) == n


def test_the_write_is_not_offered_to_other_origins(site):
    body = json.dumps({"district": "杨浦", "cityMeasure": CITY + "/sec_1__subsec_1__meas_8", "verdict": "accepted",
                       "reviewer": "x"}).encode()
    status, headers, _ = http(site + "/audit/review", method="POST", data=body,
                              headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}",
                                       "Origin": "https://elsewhere.example"})
    assert status == 200 and "Access-Control-Allow-Origin" not in headers
    status, headers, _ = http(site + "/audit/review", method="OPTIONS",
                              headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST",
                                       "Access-Control-Request-Headers": "authorization, content-type"})
    assert "authorization" not in (headers.get("Access-Control-Allow-Headers") or "").lower()


def test_reject_a_link_in_the_audit_view(site, browser):
    page, errors = page_with_errors(browser)
    page.goto(f"{site}/audit-view")
    page.wait_for_function("() => window.policykgAuditReady === true", timeout=60000)
    page.locator("tr[data-district='嘉定区'] td.cell[data-heading='市场准入']").click()
    item = page.locator("#measures > li[data-path='sec_1__subsec_1__meas_2']")
    link = item.locator(f"li.link[data-dm='{JD_NAME_CLAIM}']")
    assert "全面落实名称申报承诺制、完善核名争议解决机制" in link.inner_text()
    assert link.locator(".verdict").count() == 0
    # a wrong token first: refused, said, nothing shown as saved
    link.locator("button.rv-btn[data-verdict='rejected']").click()
    form = link.locator("form.review-form")
    form.locator("input[name=token]").fill("not-the-token")
    form.locator("input[name=reviewer]").fill("页面审计员")
    form.locator("input[name=reason]").fill("区措施只复述了市级措施")
    page.evaluate("window.policykgReviewDone = false")
    form.locator("button[type=submit]").click()
    page.wait_for_function("() => window.policykgReviewDone === true", timeout=30000)
    assert "not saved" in form.locator(".rv-msg").inner_text() and "token" in form.locator(".rv-msg").inner_text()
    assert link.locator(".verdict").count() == 0
    # the token: sent, kept for the tab, and the verdict shown
    assert form.locator("input[type=password][name=token]").count() == 1
    form.locator("input[name=token]").fill(TOKEN)
    page.evaluate("window.policykgReviewDone = false")
    form.locator("button[type=submit]").click()
    page.wait_for_function("() => window.policykgReviewDone === true", timeout=30000)
    page.wait_for_selector("#measures > li[data-path='sec_1__subsec_1__meas_2'] li.gapline", timeout=30000)
    item = page.locator("#measures > li[data-path='sec_1__subsec_1__meas_2']")
    verdict = item.locator(f"li.link[data-dm='{JD_NAME_CLAIM}'] .verdict.rejected")
    assert "rejected by 页面审计员" in verdict.inner_text() and "区措施只复述了市级措施" in verdict.inner_text()
    assert "link-rejected-by-review" in item.locator("li.gapline").inner_text()
    assert "gap" in item.get_attribute("class")
    assert page.evaluate("sessionStorage.getItem('policykgUpdateToken')") == TOKEN
    assert "(after review: 5)" in page.locator("#detail h2").inner_text()  # 市场准入: 6 followed, one link rejected
    # the next Accept/Reject asks no token again
    item.locator("li.gapline button.rv-btn[data-verdict='accepted']").click()
    assert page.locator("form.review-form input[name=token]").input_value() == TOKEN
    # the browser logs the refused request (the wrong token) as a failed load; nothing else went wrong (a script the
    # Content-Security-Policy blocked, an inline handler, an exception would be here)
    assert errors == ["Failed to load resource: the server responded with a status of 401 (UNAUTHORIZED)"]
    [link] = [l for l in http_audit(site, "嘉定")["links"] if l["districtMeasure"] == JD_NAME_CLAIM]
    assert link["review"]["verdict"] == "rejected" and link["review"]["reviewer"] == "页面审计员"


# ---------------------------------------------------------------------- a remote store
def test_reviews_on_a_remote_store(tmp_path):
    """The same checks and writes through a SPARQL 1.1 server (Oxigraph): the CLI with --endpoint, and a server
    serving that store with an update token."""
    from server_helpers import oxigraph_server

    with oxigraph_server(tmp_path / "ox") as url:
        remote = ["--endpoint", url + "/query", "--update-endpoint", url + "/update"]
        r = run_cli("build", "--no-reason", str(FILES["000"]), str(FILES["004"]), *remote)
        assert r.returncode == 0, r.stderr
        r = run_cli("review", "reject", "--district", "嘉定", "--city-measure", NAME_CLAIM, "--district-measure",
                    JD_NAME_CLAIM, "--reviewer", INJECTION, *remote)
        assert r.returncode == 0, r.stderr
        r = run_cli("review", "reject", "--district", "嘉定", "--city-measure", NAME_CLAIM + "x", "--reviewer", "x", *remote)
        assert r.returncode == 2 and "not a measure in the store" in r.stderr
        entry = json.loads(run_cli("audit", "--district", "嘉定", "--format", "json", *remote).stdout)["districts"][0]
        assert by_city(entry["gaps"])[NAME_CLAIM][0]["gapReason"] == "link-rejected-by-review"
        with serving("unused", *remote, "--update-token", TOKEN, "--quiet") as site:
            status, saved = post(site, {"district": "嘉定", "cityMeasure": CITY_1, "verdict": "rejected", "reviewer": "远程"})
            assert status == 200 and saved["kind"] == "gap", saved
            status, err = post(site, {"district": "嘉定", "cityMeasure": CITY_1, "verdict": "rejected", "reviewer": "远程"}, "bad")
            assert status == 401
            entry = http_audit(site, "嘉定")
        assert by_city(entry["gaps"])[CITY_1][0]["review"]["reviewer"] == "远程"
        assert by_city(entry["links"])[NAME_CLAIM][0]["review"]["reviewer"] == INJECTION
