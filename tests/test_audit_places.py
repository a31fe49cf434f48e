"""Not applicable is not a gap: a city measure addressed to places outside a district (浦东新区, 张江科学城, 临港新片区,
虹桥国际中央商务区 …) is reported apart for that district, with the places it names and the districts they lie in.

Expected values are read from the city plan (corpus/shanghai-2024/001_…, 沪府办发〔2024〕1号): the measures named
below are the ones whose text names those places; ontology/places.ttl says where the places lie (with sources).
"""
from __future__ import annotations

import json

import pytest

from helpers import run_cli

# city measures whose own text names a place that lies in known districts (read from the plan's text)
PUDONG = {"sec_1__subsec_10__meas_10": "浦东新区", "sec_4__subsec_1__meas_6": "浦东新区", "sec_4__subsec_1__meas_8": "张江科学城"}
LINGANG = {f"sec_4__subsec_2__meas_{i}": "临港新片区" for i in (1, 2, 3, 4, 6)}  # 临港 / 临港新片区
HONGQIAO = {"sec_4__subsec_3__meas_2": "虹桥国际中央商务区"}
# names 长兴岛 (崇明区) but also 上海化工区 and 五个新城, whose districts the data does not give: it concerns everyone
MIXED = "sec_4__subsec_4__meas_2"
# measures naming no place themselves under a section heading that does (四、(一) 浦东新区打造营商环境综合示范区: 8
# measures; (二) 临港新片区打造营商环境制度创新高地: 6; (三) 虹桥国际中央商务区打造国际贸易特色营商环境: 3): addressed there
UNDER_PUDONG = {f"sec_4__subsec_1__meas_{i}": "浦东新区" for i in range(1, 9)} | PUDONG
UNDER_LINGANG = {f"sec_4__subsec_2__meas_{i}": "临港新片区" for i in range(1, 7)} | LINGANG
UNDER_HONGQIAO = {f"sec_4__subsec_3__meas_{i}": "虹桥国际中央商务区" for i in range(1, 4)} | HONGQIAO
OWN = PUDONG | LINGANG | HONGQIAO


@pytest.fixture(scope="module")
def audits(built):
    store = built[0]
    out = {}
    for code in ("310110", "310114"):
        r = run_cli("audit", "--district", code, "--format", "json", "--store", str(store.path))
        assert r.returncode == 0, r.stderr
        [entry] = json.loads(r.stdout)["districts"]
        out[code] = entry
    return out


def _status(entry: dict) -> dict[str, str]:
    status = {g["cityPath"]: "gap" for g in entry["gaps"]}
    status.update({g["cityPath"]: "not-applicable" for g in entry["notApplicable"]})
    status.update({l["cityPath"]: "followed" for l in entry["links"]})
    return status


def test_measures_addressed_elsewhere_are_not_gaps(audits):
    for code, elsewhere in (("310110", UNDER_PUDONG | UNDER_LINGANG | UNDER_HONGQIAO), ("310114", UNDER_PUDONG | UNDER_LINGANG)):
        entry, status = audits[code], _status(audits[code])
        assert len(status) == entry["total"] == 157  # every city measure has exactly one status
        for path in elsewhere:
            assert status[path] in ("followed", "not-applicable"), (code, path)
        named = {g["cityPath"]: g for g in entry["notApplicable"]}
        assert set(named) == {p for p in elsewhere if status[p] != "followed"}, code
        for path, g in named.items():
            assert [p["name"] for p in g["placesNamed"]] == [elsewhere[path]]
            assert [p["inHeading"] for p in g["placesNamed"]] == [path not in OWN], path
        assert status[MIXED] != "not-applicable"
        # the per-section counts add up
        assert sum(s["notApplicable"] for s in entry["sections"]) == len(entry["notApplicable"])


def test_the_reason_names_the_districts_a_place_lies_in(audits):
    named = {g["cityPath"]: g for g in audits["310110"]["notApplicable"]}
    lingang = next(g for p, g in named.items() if p in LINGANG)
    assert lingang["placesNamed"][0]["districts"] == sorted(["浦东新区", "奉贤区", "闵行区"])
    assert named["sec_4__subsec_3__meas_2"]["placesNamed"][0]["districts"] == sorted(["闵行区", "长宁区", "青浦区", "嘉定区"])
    assert named["sec_4__subsec_1__meas_8"]["placesNamed"][0]["districts"] == ["浦东新区"]


def test_hongqiao_concerns_jiading(audits):
    """虹桥国际中央商务区 reaches into 嘉定区: for 嘉定 its measure is followed up or a gap, never 'not applicable'."""
    assert _status(audits["310114"])["sec_4__subsec_3__meas_2"] in ("followed", "gap")


def test_text_csv_and_html_show_them_apart(built):
    store = str(built[0].path)
    text = run_cli("audit", "--district", "310110", "--store", store).stdout
    assert "not applicable here (" in text and "临港新片区 (lies in 奉贤区、浦东新区、闵行区)" in text
    csv_out = run_cli("audit", "--district", "310110", "--format", "csv", "--store", store).stdout
    assert any(line.split(",")[2] == "not-applicable" for line in csv_out.splitlines()[1:])
    html_out = run_cli("audit", "--district", "310110", "--format", "html", "--store", store).stdout
    assert "<h3>Not applicable here (" in html_out


def test_the_materialised_gaps_agree_with_the_audit(built, audits):
    """The build materialises the same rule: pkg:notApplicableIn for the audit's notApplicable, and the named
    queries measures-without-followup / followup-coverage count the audit's gaps, not the measures addressed elsewhere."""
    store = str(built[0].path)
    for code, entry in audits.items():
        r = run_cli("query", "measures-without-followup", "--param", f"district={code}", "--format", "json", "--store", store)
        gaps = {b["cityMeasure"]["value"] for b in json.loads(r.stdout)["results"]["bindings"]}
        assert gaps == {g["cityMeasure"] for g in entry["gaps"]}, code
        r = run_cli("query", "-e", f'SELECT ?m WHERE {{ ?m pkg:notApplicableIn ?d . ?d pkg:gbCode "{code}" }}',
                    "--format", "json", "--store", store)
        na = {b["m"]["value"] for b in json.loads(r.stdout)["results"]["bindings"]}
        assert na == {g["cityMeasure"] for g in entry["notApplicable"]} and na, code
        r = run_cli("query", "followup-coverage", "--param", f"district={code}", "--format", "json", "--store", store)
        rows = json.loads(r.stdout)["results"]["bindings"]
        assert sum(int(b["notApplicable"]["value"]) for b in rows) == len(entry["notApplicable"])
