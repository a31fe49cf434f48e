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


WEB_NEWS = """Title: 某区扎实推进家庭医生签约服务 - 某市人民政府门户网站

URL Source: https://www.example.gov.cn/xw/content/post_2.html

Markdown Content:
当前位置：[首页](https://www.example.gov.cn/)>[新闻](https://www.example.gov.cn/xw/)

# 某区扎实推进家庭医生签约服务

发表时间：**2025-03-28 16:55:56**信息来源：**某市卫生健康委员会 某市医疗保障局**浏览量：**-**

*   ![Image 10](https://www.example.gov.cn/global/yybb_icon2.png) 听全文
*   _![Image 19](https://www.example.gov.cn/content_icon06.png)_ 分享到 
*   _![Image 20](https://www.example.gov.cn/content_icon07.png)_-次

为深入贯彻落实家庭医生签约服务十项措施，某区卫生健康局召开全区家庭医生签约服务工作推进会，部署全年重点工作。

会议要求各社区卫生服务中心对照考核指标，列出清单，采取有效措施，推动家庭医生签约服务高质量发展。

相关新闻

扫一扫在手机打开当前页

网站标识码：0000000000
"""


def test_a_web_to_markdown_news_item_keeps_its_body_past_the_share_row():
    """The portal's widget row (听全文, 分享到) between the title and the prose is page furniture, not the end of the
    body; the field line above it (发表时间：**…**信息来源：**…**浏览量：**-**) is metadata, read field by field."""
    parsed = parse_text(WEB_NEWS, "b3_news.md")
    [doc] = parsed.documents
    assert doc.title == "某区扎实推进家庭医生签约服务"
    assert doc.date_published == "2025-03-28"
    assert doc.publishers == ["某市卫生健康委员会", "某市医疗保障局"]
    text = parsed.normal.text
    assert text.startswith("某区扎实推进家庭医生签约服务\n为深入贯彻落实家庭医生签约服务十项措施")
    assert text.endswith("推动家庭医生签约服务高质量发展。")
    for chrome in ("听全文", "分享到", "浏览量", "发表时间", "信息来源", "相关新闻", "扫一扫"):
        assert chrome not in text


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


# ------------------------------------------------------------------ a portal's own pages: the source line
def _portal_page(title: str, source: str, site: str, body: str) -> str:
    return (f'<html><head><meta charset="utf-8"><meta name="SiteName" content="{site}">'
            f'<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="2025-11-18 17:37:24">'
            f'<meta name="ContentSource" content="{source}"><title>{title}-{site}</title></head><body>'
            f'<div class="crumb">当前位置：首页 &gt; 政民互动 &gt; 常见问题</div>'
            f'<div class="content"><h1>{title}</h1><p>发表时间：2025-11-18 17:37 信息来源：{source}</p>{body}</div>'
            f'<div class="footer">版权所有 ICP备12345678号</div></body></html>')


_QA = ("<p>一、创业担保贷款申请对象有哪几类？</p><p>答：创业担保贷款申请对象分别是个人借款人和小微企业借款人，"
       "符合条件的可以向经办银行提出申请，具体以经办银行审核为准。</p>"
       "<p>二、创业担保贷款最高可以申请多少额度？</p><p>答：符合申请条件的个人创业担保贷款额度最高三十万元，"
       "小微企业创业担保贷款额度最高五百万元，贷款额度由经办银行在限额以内确定。</p>")

_PUBLISHED = """
    PREFIX pkg: <https://policykg.org/ontology#> PREFIX eli: <http://data.europa.eu/eli/ontology#>
    PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX dct: <http://purl.org/dc/terms/>
    SELECT ?publisher ?co ?issuer ?place WHERE { ?d a pkg:Document .
      OPTIONAL { ?d dct:publisher/skos:prefLabel ?publisher } OPTIONAL { ?d pkg:coPublishedBy/skos:prefLabel ?co }
      OPTIONAL { ?d eli:passed_by ?issuer } OPTIONAL { ?d pkg:place/pkg:gbCode ?place } }"""


def _built(tmp_path, name: str, html: str) -> list[dict]:
    from policykg.store import Store

    from helpers import run_cli, select

    page = tmp_path / name
    page.write_text(html, encoding="utf-8")
    done = run_cli("build", str(page), "--store", str(tmp_path / "store"), "--no-reason", "--no-progress")
    assert done.returncode == 0, done.stderr[-2000:]
    return select(Store(tmp_path / "store"), _PUBLISHED)


def test_a_portal_q_and_a_is_published_by_the_bodies_its_source_line_names(tmp_path):
    """信息来源：市人力资源社会保障局 市劳动就业服务管理中心 on the site 杭州市人力资源和社会保障局网站: the Q&A was
    published by those two bodies (dct:publisher, then pkg:coPublishedBy), read in 杭州市 — the site's place, as the
    page names none. A source line is not an issuer (tests/labels/rules-real-web.md): the Q&A has none."""
    html = _portal_page("创业担保贷款常见问题", "市人力资源社会保障局  市劳动就业服务管理中心",
                        "杭州市人力资源和社会保障局网站", _QA)
    [doc] = parse_text(html, "15.html").documents
    assert doc.doc_type == "interpretation"
    assert doc.publishers == ["市人力资源社会保障局", "市劳动就业服务管理中心"]
    assert doc.issuer is None and doc.issuers == []
    assert _built(tmp_path, "15_创业担保贷款常见问题.html", html) == [
        {"publisher": "杭州市人力资源和社会保障局", "co": "杭州市劳动就业服务管理中心", "issuer": None, "place": "330100"}]


def test_a_reposted_instrument_is_placed_by_itself_never_by_the_site(tmp_path):
    """A notice on a city bureau's site names its publisher, but its place comes from its own issuer and title
    only: here neither names a place, so it has none (the site may repost a national or another city's text)."""
    body = ("<p>各区人民政府，市政府各部门：</p><p>为进一步做好城乡居民医疗保险参保工作，现就有关事项通知如下，"
            "请各单位认真贯彻执行，确保各项工作落到实处。</p><p>一、参保范围。本市户籍居民均可参加城乡居民医疗保险。</p>")
    html = _portal_page("关于做好城乡居民医疗保险参保工作的通知", "杭州市医疗保障局", "杭州市医疗保障局网站", body)
    [doc] = parse_text(html, "06.html").documents
    assert doc.doc_type == "notice" and doc.issuer is None
    assert _built(tmp_path, "06.html", html) == [
        {"publisher": "杭州市医疗保障局", "co": None, "issuer": None, "place": None}]


@pytest.mark.parametrize("source", ["杭州日报", "南方+", "本网", "某某微信公众号", "国家法律法规数据库"])
def test_a_source_line_naming_a_publication_names_no_publisher(source):
    """A newspaper, a site or an account named as the source is not a body: no publisher, no issuer."""
    [doc] = parse_text(_portal_page("创业担保贷款常见问题", source, "杭州市人力资源和社会保障局网站", _QA), "15.html").documents
    assert doc.publishers == [] and doc.issuer is None


def test_a_source_line_names_bodies_without_site_words_or_notes():
    """本网杭州市住房保障办公室 → 杭州市住房保障办公室; 市人社局官网 → 市人社局; （加挂…牌子） dropped; 人力资源流动管理处
    (a division of a bureau: no body's ending) left out; 、 and spaces separate bodies."""
    from policykg.loaders.metadata import page_source_bodies

    assert page_source_bodies({"来源": "本网杭州市住房保障办公室"}) == ["杭州市住房保障办公室"]
    assert page_source_bodies({"信息来源": "市人社局官网"}) == ["市人社局"]
    assert page_source_bodies({"来源": "杭州市社会保障数据服务中心（加挂杭州市社会保障卡服务中心牌子）"}) == [
        "杭州市社会保障数据服务中心"]
    assert page_source_bodies({"来源": "市人社局 社保中心"}) == ["市人社局", "社保中心"]
    assert page_source_bodies({"来源": "市人力资源社会保障局  人力资源流动管理处"}) == ["市人力资源社会保障局"]
    assert page_source_bodies({"信息来源": "杭州市民政局、杭州市残疾人联合会"}) == ["杭州市民政局", "杭州市残疾人联合会"]


NOTICE_MD = """Title: 关于2024年端午节放假安排的通知 - 某市人民政府门户网站

URL Source: https://www.example.gov.cn/a.html

Markdown Content:
# 关于2024年端午节放假安排的通知

发布机构：某市人民政府办公厅

各区人民政府，市政府各部门：

经市人民政府同意，现将2024年端午节放假安排通知如下：6月10日放假，与周末连休。

某市人民政府办公厅

2024年6月1日

相关新闻

（一）时间：2024年5月1日至5月5日
"""


def test_a_short_markdown_notice_keeps_its_signature_and_its_fields_labels():
    """Field lines are read only above the prose: the signature and its date (a few lines under the title) stay
    the notice's; 发布机构 is read as on an HTML page (its issuer field), not as a source line; 相关新闻 ends the
    body even where no line before it is long prose."""
    parsed = parse_text(NOTICE_MD, "b3_notice.md")
    [doc] = parsed.documents
    assert doc.date_signed == "2024-06-01" and doc.date_published is None
    assert doc.issuer == "某市人民政府办公厅"
    assert doc.publishers == []
    assert parsed.normal.text.endswith("某市人民政府办公厅\n2024年6月1日")


def test_a_source_line_naming_only_a_site_does_not_hide_the_next_one():
    from policykg.loaders.metadata import page_source_bodies

    assert page_source_bodies({"信息来源": "本网", "来源": "杭州市民政局"}) == ["杭州市民政局"]
    assert page_source_bodies({"来源": "杭州市民政局（加挂 杭州市老龄工作委员会办公室牌子）"}) == ["杭州市民政局"]


def test_a_reposted_notice_names_its_publisher_in_the_sites_city(tmp_path):
    """来源：市人社局 on 杭州市人力资源和社会保障局网站, under a notice of 宁波市人民政府办公厅: the publisher is read in
    the site's city (杭州), not in the notice's (宁波)."""
    body = ("<p>各区人民政府，市政府各部门：</p><p>为进一步做好城乡居民医疗保险参保工作，现就有关事项通知如下，"
            "请各单位认真贯彻执行，确保各项工作落到实处。</p><p>一、参保范围。本市户籍居民均可参加城乡居民医疗保险。</p>"
            "<p>宁波市人民政府办公厅</p><p>2024年6月1日</p>")
    html = _portal_page("宁波市人民政府办公厅关于做好城乡居民医疗保险参保工作的通知", "市人社局",
                        "杭州市人力资源和社会保障局网站", body)
    [row] = _built(tmp_path, "06.html", html)
    assert row["publisher"] == "杭州市人力资源和社会保障局"
    assert row["place"] == "330200"  # the notice's own place: 宁波市
