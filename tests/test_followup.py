"""Follow-up links and the audit, on the real store, against hand labels (tests/labels/followups.json)."""
from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser

import pytest

from policykg.loaders.followup import THRESHOLD, decide, measures_of
from policykg.queries import audit as audit_mod

from helpers import BASE, FILES, ROOT, run_cli, select

LABELS = json.loads((ROOT / "tests" / "labels" / "followups.json").read_text(encoding="utf-8"))
CITY = BASE + "doc/2024/上海市坚持对标改革持续打造国际一流营商环境行动方案"
PLANS = {
    "jiading": BASE + "doc/嘉定区坚持对标改革持续打造国际一流营商环境行动方案",
    "yangpu": BASE + "doc/2024/聚焦-创新四力-升级-四大服务-杨浦全力打造营商环境最暖城区实施方案",
}


def evaluate(store, sets: list[str]):
    city = measures_of(store, CITY)
    tp = fp = fn = 0
    for name in sets:
        labels = LABELS[name]
        plan = PLANS[name.split("_")[0]]
        district = [m for m in measures_of(store, plan) if m.path in labels]
        got: dict[str, set] = {}
        for f in decide(district, city, THRESHOLD):
            got.setdefault(f.district_measure.rsplit("/", 1)[1], set()).add(f.city_measure.rsplit("/", 1)[1])
        for path, expected in labels.items():
            e, g = set(expected), got.get(path, set())
            tp, fp, fn = tp + len(e & g), fp + len(g - e), fn + len(e - g)
    return tp / (tp + fp), tp / (tp + fn), tp, fp, fn


@pytest.mark.parametrize("sets, floor_p, floor_r", [
    (["jiading"], 0.95, 0.85),                                 # the set the method and threshold were chosen on
    (["yangpu"], 0.85, 0.80),                                  # held out from v1, seen while building v2
    (["jiading_heldout", "yangpu_heldout"], 0.90, 0.85),        # labelled before v2 ran on it
])
def test_followup_precision_and_recall(built, sets, floor_p, floor_r):
    store, _ = built
    p, r, tp, fp, fn = evaluate(store, sets)
    print(f"\nfollow-ups {'+'.join(sets)}: precision {p:.2f} recall {r:.2f} (tp {tp}, fp {fp}, fn {fn})")
    assert p >= floor_p and r >= floor_r


def test_links_in_the_graph_carry_score_method_and_evidence(built):
    store, _ = built
    rows = select(store, f"""SELECT ?score ?e ?section WHERE {{ ?f pkg:districtMeasure <{PLANS['jiading']}/sec_1__item_1__meas_1> ;
                              pkg:cityMeasure <{CITY}/sec_1__subsec_1__meas_2> ; pkg:score ?score ; pkg:evidence ?e ;
                              pkg:matchingSection ?section ; pkg:method ?m }}""")
    assert rows and float(rows[0]["score"]) >= THRESHOLD
    assert {r["e"] for r in rows} == {"全面落实名称申报承诺制", "完善核名争议解决机制"}
    assert rows[0]["section"] == f"{CITY}/sec_1__subsec_1"
    rows = select(store, f"SELECT ?c WHERE {{ <{PLANS['jiading']}/sec_1__item_1__meas_1> eli:ensures_implementation_of ?c }}")
    assert [r["c"] for r in rows] == [f"{CITY}/sec_1__subsec_1__meas_2"]


def test_candidate_city_plans_basis_or_subject_and_period(built):
    store, _ = built
    rows = select(store, "SELECT ?plan ?by WHERE { ?plan pkg:followsPlan ?city ; pkg:candidateBy ?by }")
    got = {r["plan"]: r["by"] for r in rows}
    assert got == {PLANS["jiading"]: "basis", PLANS["yangpu"]: "subject-and-period"}  # Xuhui's 2023 basis is not in the store


def test_a_district_plan_added_later_is_linked_on_the_next_build(tmp_path):
    store = tmp_path / "s"
    assert run_cli("build", "--no-reason", str(FILES["000"]), "--store", str(store)).returncode == 0
    q = ["query", "followups", "--store", str(store), "--format", "csv"]
    assert len(run_cli(*q).stdout.strip().splitlines()) == 1  # header only
    before = run_cli("query", "-e", f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{BASE}graph/doc/2024/上海市坚持对标改革持续打造国际一流营商环境行动方案> {{ ?s ?p ?o }} }}",
                     "--store", str(store), "--format", "csv").stdout
    assert run_cli("build", "--no-reason", str(FILES["004"]), "--store", str(store)).returncode == 0
    rows = list(csv.DictReader(io.StringIO(run_cli(*q).stdout)))
    assert len(rows) > 50 and {r["districtCode"] for r in rows} == {"310114"}
    after = run_cli("query", "-e", f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{BASE}graph/doc/2024/上海市坚持对标改革持续打造国际一流营商环境行动方案> {{ ?s ?p ?o }} }}",
                    "--store", str(store), "--format", "csv").stdout
    assert before == after  # the city plan was not rebuilt


def test_only_district_plans_whose_inputs_changed_are_matched_again(tmp_path):
    from policykg.iri import Minter
    from policykg.loaders.build import build
    from policykg.loaders.followup import link_followups
    from policykg.store import Store

    store = Store(tmp_path / "s")
    build([FILES["000"], FILES["002"], FILES["004"]], store, BASE, progress=False)
    mint = Minter(BASE)
    graphs = [g for g in store.named_graphs() if mint.is_followups_graph(g)]
    assert len(graphs) == 2  # one per district plan (Yangpu, Jiading)
    before = store.dump_sorted(graphs)
    assert link_followups(store, mint, changed=set()) == []  # nothing changed: nothing matched again
    assert store.dump_sorted(graphs) == before
    jiading = select(store, "SELECT ?d WHERE { ?d a pkg:Document ; pkg:district/skos:prefLabel \"嘉定区\"@zh ; "
                            "pkg:documentType ?t FILTER(?t != pkgdt:notice) }")[0]["d"]
    again = link_followups(store, mint, changed={jiading})
    assert again and {f.district_measure.rsplit("/", 1)[0] for f in again} == {jiading}
    assert store.dump_sorted(graphs) == before  # same inputs, same links
    city = select(store, "SELECT ?c WHERE { ?d pkg:followsPlan ?c } LIMIT 1")[0]["c"]
    assert len({f.district_measure.rsplit("/", 1)[0] for f in link_followups(store, mint, changed={city})}) == 2


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("audit")
    from helpers import CORPUS

    assert run_cli("build", "--no-reason", str(CORPUS), "--store", str(path)).returncode == 0
    return path


def test_audit_json_is_documented_complete_and_stable(corpus_store):
    a = run_cli("audit", "--store", str(corpus_store), "--format", "json")
    b = run_cli("audit", "--store", str(corpus_store), "--format", "json")
    assert a.returncode == 0 and a.stdout == b.stdout
    report = json.loads(a.stdout)
    documented = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    for key in ["auditVersion", "method", "threshold", "cityPlans", "districts", "districtsWithOtherPlans", "districtsWithoutPlan",
                "followed", "total", "sections", "links", "gaps", "closestScore", "gapReason", "evidence", "citySource", "candidateBy",
                "notApplicable", "placesNamed"]:
        assert f"`{key}`" in documented, f"{key} is not documented in docs/audit.md"
    by = {d["code"]: d for d in report["districts"]}
    assert set(by) == {"310110", "310114"}
    for d in by.values():
        assert d["total"] == 157 and d["followed"] == len({l["cityMeasure"] for l in d["links"]})
        assert d["followed"] + len(d["gaps"]) + len(d["notApplicable"]) == 157
        assert sum(s["total"] for s in d["sections"]) == 157
        assert all(l["evidence"] and l["citySource"]["file"].endswith("000_5c623842aeda65ec.txt") for l in d["links"])
        assert all(g["closestScore"] is None or g["closestScore"] < report["threshold"]
                   or g["gapReason"] == "closer-match-elsewhere" for g in d["gaps"])
    assert [d["code"] for d in report["districtsWithOtherPlans"]] == ["310104"]
    assert report["districtsWithOtherPlans"][0]["plans"][0]["basisNotInStore"] == "上海市加强集成创新持续优化营商环境行动方案"
    assert len(report["districtsWithoutPlan"]) == 13


def test_audit_text_csv_html_and_filters(corpus_store):
    text = run_cli("audit", "--store", str(corpus_store), "--district", "嘉定").stdout
    assert "== 嘉定区 (310114)" in text and "杨浦区 (310110)" not in text
    assert "市场准入" in text and "gaps (" in text and "closest district measure" in text
    rows = list(csv.DictReader(io.StringIO(run_cli("audit", "--store", str(corpus_store), "--format", "csv").stdout)))
    statuses = {(r["code"], r["status"]) for r in rows}
    assert ("310114", "followed") in statuses and ("310114", "gap") in statuses
    assert ("310104", "other-plan") in statuses and ("310101", "no-plan") in statuses
    html = run_cli("audit", "--store", str(corpus_store), "--format", "html").stdout

    class Tables(HTMLParser):
        tables = 0

        def handle_starttag(self, tag, attrs):
            self.tables += tag == "table"

    p = Tables()
    p.feed(html)
    assert p.tables >= 6 and "@media print" in html and "嘉定区" in html
    r = run_cli("audit", "--store", str(corpus_store), "--plan", "沪府办发〔2024〕1号", "--district", "310110", "--format", "json")
    assert [d["code"] for d in json.loads(r.stdout)["districts"]] == ["310110"]
    r = run_cli("audit", "--store", str(corpus_store), "--plan", "不存在的方案")
    assert r.returncode == 2 and "no city plan" in r.stderr


@pytest.mark.parametrize("name", ["followups", "measures-without-followup", "followup-coverage"])
def test_district_parameter_matches_name_short_name_or_code_exactly(built, name):
    """The corpus has Jiading's and Yangpu's plans; 嘉定区, 嘉定 and 310114 select Jiading alone, a fragment of a
    name selects nothing (it used to match by substring: 浦 would have picked 杨浦区 and 黄浦区 alike)."""
    import pyoxigraph as ox

    from policykg import queries

    store, _ = built
    q = queries.load(name)
    every = select(store, q.text)
    # followups also has Xuhui's cross-plan links (its 2023 plan compared with the 2024 city plan); the coverage and
    # the gaps are of plans answering the city plan only
    assert {r["districtCode"] for r in every} == ({"310114", "310110", "310104"} if name == "followups" else {"310114", "310110"})
    by_value = {v: select(store, queries.bind(q.text, {"district": ox.Literal(v)})) for v in ["嘉定区", "嘉定", "310114"]}
    assert by_value["嘉定区"] and {r["districtCode"] for r in by_value["嘉定区"]} == {"310114"}
    assert by_value["嘉定区"] == by_value["嘉定"] == by_value["310114"]
    assert by_value["嘉定区"] == [r for r in every if r["districtCode"] == "310114"]
    assert select(store, queries.bind(q.text, {"district": ox.Literal("嘉")})) == []
