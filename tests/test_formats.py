"""Publication formats (issue 13): markdown collections, web-to-markdown pages, JSON sidecars, Big5, data
files beside documents — each read through the real readers and parser; expected values read off the
inputs written here."""
from __future__ import annotations

import json

import pytest

from policykg.errors import ReadError
from policykg.loaders.build import collect_paths
from policykg.loaders.parse import parse_source
from policykg.loaders.read import read_bytes, read_file

COLLECTION = """---
title: 某省河道管理条例
source: a collection
---
# 某省河道管理条例

2001年5月18日 某省第九届人民代表大会常务委员会第二十二次会议通过

2010年7月30日 某省第十一届人民代表大会常务委员会第十六次会议《关于修改部分地方性法规的决定》修正

2019年9月27日 某省第十三届人民代表大会常务委员会第十四次会议修订）

<!-- INFO END -->

第一条 为了加强河道管理，保障防洪安全，根据有关法律，结合本省实际，制定本条例。

## 第一章  总则

第二条 本条例适用于本省行政区域内的河道。

### 第二节 整治

第三条 县级以上人民政府水行政主管部门负责河道整治。

违反本条例第三条规定的，由水行政主管部门责令改正。

## 第二章 附则

第四条 本条例自2020年1月1日起施行。
"""


def parse_text(text: str, name: str):
    return parse_source(read_bytes(text.encode("utf-8"), name))


def test_a_markdown_collection_file():
    [doc] = parse_text(COLLECTION, "collection/某省河道管理条例.md").documents
    assert doc.title == "某省河道管理条例"
    assert doc.doc_type == "regulation"
    assert [(e.kind, e.date, e.body) for e in doc.events] == [
        ("adopted", "2001-05-18", "某省人民代表大会常务委员会"),
        ("amended", "2010-07-30", "某省人民代表大会常务委员会"),
        ("revised", "2019-09-27", "某省人民代表大会常务委员会"),
    ]
    assert doc.issuer == "某省人民代表大会常务委员会" and doc.issuer_method == "history"
    assert doc.date_signed == "2019-09-27" and doc.date_methods["signed"] == "history"
    assert doc.in_force == "2020-01-01"
    provs = list(doc.walk())
    # 第一条 before the first chapter stays at the top; the chapter does not nest in it; the section whose
    # numbering has a gap (第二节 without 第一节) is a heading because the markdown says so
    assert [p.path for p in provs if p.kind in ("article", "chapter", "division")] == [
        "art_1", "chp_1", "chp_1__art_2", "chp_1__sec_2", "chp_1__sec_2__art_3", "chp_2", "chp_2__art_4"]
    art3 = next(p for p in provs if p.path == "chp_1__sec_2__art_3")
    # a line starting with a citation of an article is a paragraph, not a heading
    assert [c.text for c in art3.children] == ["县级以上人民政府水行政主管部门负责河道整治。",
                                              "违反本条例第三条规定的，由水行政主管部门责令改正。"]
    # no markup and no history in any text
    assert not any("#" in (p.text or "") or "INFO" in (p.text or "") or "通过" in (p.text or "") for p in provs)


def test_markdown_selectors_point_into_the_file_as_it_is():
    parsed = parse_text(COLLECTION, "c.md")
    [doc] = parsed.documents
    art = next(p for p in doc.walk() if p.path == "chp_1__art_2")
    s, e = parsed.normal.raw_span(art.start, art.end)
    assert COLLECTION[s:e] == "第二条 本条例适用于本省行政区域内的河道。"


WEB = """Title: 关于做好2025年某项工作的通知 - 某市人民政府门户网站

URL Source: https://www.example.gov.cn/zwgk/content/post_1.html

Markdown Content:
*   [首页](https://www.example.gov.cn/)
*   [政务公开](https://www.example.gov.cn/zwgk/)
![Image 1](https://www.example.gov.cn/logo.png)

当前位置：[首页](https://www.example.gov.cn/)>[通知公告](https://www.example.gov.cn/tzgg/)

# 关于做好2025年某项工作的通知

*   _![Image 2](https://www.example.gov.cn/i.png)_ 2025-03-04
*   来源：某市人力资源和社会保障局

各区人力资源和社会保障局：

一、做好登记。各区要在3月底前完成登记工作，并将名单报送市局。

二、加强宣传。各区要通过多种渠道开展宣传。

某市人力资源和社会保障局

2025年3月4日

相关附件

扫一扫在手机打开当前页

网站标识码：0000000000
"""


def test_a_web_to_markdown_page_keeps_only_its_body():
    parsed = parse_text(WEB, "b3_page.md")
    [doc] = parsed.documents
    assert doc.title == "关于做好2025年某项工作的通知"
    assert doc.doc_type == "notice"
    assert doc.date_signed == "2025-03-04" and doc.date_published == "2025-03-04"
    assert doc.issuer == "某市人力资源和社会保障局"
    text = parsed.normal.text
    for chrome in ("首页", "政务公开", "Image", "http", "扫一扫", "网站标识码", "当前位置", "相关附件"):
        assert chrome not in text
    assert [p.heading for p in doc.provisions if p.kind == "part"] == ["做好登记", "加强宣传"]


def test_a_json_sidecar_is_the_page_information_table(tmp_path):
    page = tmp_path / "r01_某发〔2019〕3号.html"
    page.write_text("<tbody><tr><td id='content'><p>关于加强某项工作的意见</p><p>各地区：</p>"
                    "<p>一、总体要求。加强某项工作，提升服务水平。</p></td></tr></tbody>", encoding="utf-8")
    side = tmp_path / "r01_某发〔2019〕3号.json"
    side.write_text(json.dumps({"id": 1, "wiritten_time": "2019-03-27 15:00:00", "page_info": {
        "发文机关": "某省人民政府", "成文日期": "2019年02月27日", "发文字号": "某发〔2019〕3号",
        "发布日期": "2019年03月01日"}}, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "index.tsv").write_text("file\ttitle\n", encoding="utf-8")
    files, errors = collect_paths([tmp_path])
    assert files == [page] and errors == []  # the sidecar and the data file are not documents
    [doc] = parse_source(read_file(page)).documents
    assert doc.number == "某发〔2019〕3号"
    assert doc.date_signed == "2019-02-27" and doc.date_methods["signed"] == "page-metadata"
    assert doc.date_published == "2019-03-01"
    assert doc.issuer == "某省人民政府" and doc.issuer_method == "page-metadata"


def test_a_json_file_alone_is_refused_with_a_reason(tmp_path):
    lone = tmp_path / "data.json"
    lone.write_text("{}", encoding="utf-8")
    with pytest.raises(ReadError) as info:
        read_file(lone)
    assert "sidecar" in str(info.value) and str(lone) in str(info.value)


def test_big5_is_not_read_as_gb18030():
    text = "第一條 為了規範本市的物業管理活動，維護業主和物業服務企業的合法權益，根據有關法律、行政法規，結合本市實際，制定本條例。\n"
    src = read_bytes((text * 4).encode("big5"), "big5.txt")
    assert src.encoding == "big5" and src.text.startswith("第一條 為了規範")
    simplified = "第一条 为了规范本市的物业管理活动，维护业主和物业服务企业的合法权益，根据有关法律，制定本条例。\n" * 4
    src = read_bytes(simplified.encode("gb18030"), "gb.txt")
    assert src.encoding == "gb18030" and src.text == simplified


def test_damaged_and_glued_article_headings_are_found():
    text = ("# 某市海上交通安全条例\n\n第一条 为了加强海上交通安全管理，制定本条例。\n\n"
            "第二条 本条例适用于本市海域。 第三条 船舶应当遵守本条例。\n\n第四 条 本条例自公布之日起施行。\n")
    [doc] = parse_text(text, "damaged.md").documents
    arts = [p for p in doc.walk() if p.kind == "article"]
    assert [a.ordinal for a in arts] == [1, 2, 3, 4]
    assert arts[1].text == "本条例适用于本市海域。"
    assert arts[2].text == "船舶应当遵守本条例。"


def test_json_data_in_a_folder_is_skipped_not_read_nor_an_error(tmp_path):
    from policykg.loaders.build import collect_paths

    (tmp_path / "ground-truth.json").write_text('{"measures": []}', encoding="utf-8")
    (tmp_path / "sources.tsv").write_text("file\ttitle\n", encoding="utf-8")
    doc = tmp_path / "某市关于加强管理的通知.txt"
    doc.write_text("某市人民政府关于加强管理的通知\n各区人民政府：\n现通知如下。\n", encoding="utf-8")
    files, errors = collect_paths([tmp_path])
    assert (files, errors) == ([doc], [])
    # named on its own, the same JSON file is refused with the reason
    files, errors = collect_paths([tmp_path / "ground-truth.json"])
    with pytest.raises(ReadError):
        read_file(files[0])


def test_a_collection_file_named_by_its_version_date(tmp_path):
    """LawRefBook-style collections name each file 标题(YYYY-MM-DD).md; a text that prints no date of its own is
    dated by it (dateMethod signed=file-name); a printed history still wins."""
    from policykg.loaders.parse import parse_source

    bare = tmp_path / "某市产品质量条例(2012-04-19).md"
    bare.write_text("# 某市产品质量条例\n\n<!-- INFO END -->\n\n第一条 为了加强产品质量监督管理，制定本条例。\n"
                    "第二条 本条例自公布之日起施行。\n", encoding="utf-8")
    [doc] = parse_source(read_file(bare)).documents
    assert (doc.date_signed, doc.date_methods["signed"]) == ("2012-04-19", "file-name")
    dated = tmp_path / "某市烟花爆竹规定(2019-09-27).md"
    dated.write_text("# 某市烟花爆竹规定\n\n2019年7月19日某市第十六届人民代表大会常务委员会第十三次会议通过\n\n"
                     "<!-- INFO END -->\n\n第一条 为了加强烟花爆竹燃放管理，制定本规定。\n", encoding="utf-8")
    [doc] = parse_source(read_file(dated)).documents
    assert (doc.date_signed, doc.date_methods["signed"]) == ("2019-07-19", "history")
