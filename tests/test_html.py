"""Portal pages → PageText: the document's text without page chrome, its title, its information table.

Three kinds of pages: pages rendered from the bundled Shanghai documents into four portal templates
(bench/html_extractors.py: the body is known exactly), the real Guangzhou portal pages and gov.cn content
fragments of ../shared/corpus/china-real (hand-labelled in tests/labels/html-bodies.json; skipped when the
folder is absent), and small synthetic pages for one behaviour each.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench.html_extractors import TEMPLATES, rendered_body, shanghai_docs
from policykg.errors import ReadError
from policykg.loaders.html import PageText, extract_page
from policykg.loaders.read import read_bytes

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "corpus" / "china-real"
LABELS = json.loads((Path(__file__).parent / "labels" / "html-bodies.json").read_text(encoding="utf-8"))


def compact(text: str) -> str:
    return re.sub(r"[\s\u3000\xa0]+", "", text)


#: lines that are page chrome wherever they appear
CHROME = re.compile(
    r"返回顶部|关闭窗口|【打印】|扫一扫在手机|分享到|版权所有|ICP备|公网安备|网站标识码|当前位置|您现在的位置|上一篇|下一篇|"
    r"浏览次数|浏览量|^A\+|^(?:相关解读|相关文件|相关链接|相关附件|相关新闻|政策解读)$|^· 市|^\|$|^-$")


# ------------------------------------------------------------------------------------- rendered pages

DOCS = {key: (title, lines[:40], meta) for key, title, lines, meta in shanghai_docs()}

EXPECTED_FIELDS = {
    "aspnet": lambda m: {"索引号": "SH0000-2024-00017", "主题分类": "综合政务\\营商环境", "发文机关": m[2], "成文日期": m[3],
                         "标题": m[0], "发文字号": m[1], "发布日期": "2024年03月01日", "有效性": "有效", "来源": m[2],
                         "网站名称": "某市人民政府门户网站"},  # <meta name="SiteName">
    "bootstrap": lambda m: {"发布时间": "2024-03-01", "来源": m[2]},
    "legacy": lambda m: {"索引号": "SH0000-2024-00017", "发布机构": m[2], "主题分类": "综合政务", "成文日期": m[3],
                         "文号": m[1], "发布日期": "2024年03月01日"},
    "govcn": lambda m: {},
}


@pytest.mark.parametrize("template", sorted(TEMPLATES))
@pytest.mark.parametrize("key", ["000", "001", "003"])
def test_a_rendered_page_gives_exactly_its_document(template, key):
    title, lines, meta = DOCS[key]
    page = extract_page(TEMPLATES[template](title, lines, meta), f"{key}.{template}.html")
    body = rendered_body(template, lines, meta)
    # the exact body, with the title first unless the document prints it itself
    assert compact(page.text) in (compact("".join(body)), compact(title + "".join(body)))
    assert page.text.split("\n")[0] != "" and "\n\n" not in page.text
    # no chrome line: every line is the title or a piece of the body
    allowed = compact(title) + compact("".join(body))
    for line in page.text.split("\n"):
        assert compact(line) in allowed, line
        assert not CHROME.search(line), line
    assert page.title == title
    assert page.fields == EXPECTED_FIELDS[template](meta)


def test_the_title_split_over_lines_is_one_line():
    title, lines, meta = DOCS["000"]
    # the document prints its title over three lines: 上海市人民政府办公厅关于印发 / «…一流 / 营商环境行动方案»的通知
    for template in ("aspnet", "legacy"):
        text = extract_page(TEMPLATES[template](title, lines, meta), "p.html").text.split("\n")
        joined = [l for l in text if compact(l) == compact(title)]
        assert len(joined) == 1 and text.index(joined[0]) == 2  # after 文件 header and 文号, as printed
    # a gov.cn fragment: the title broken by <br> in one centred paragraph
    page = extract_page(TEMPLATES["govcn"](title, lines, meta), "p.html")
    assert page.text.split("\n")[:2] == [title, "沪府办发〔2024〕1号"]


# ---------------------------------------------------------------------------------------- real pages

REAL_PAGES = [k for k in LABELS if not k.startswith("_")]


def _read(rel: str) -> str:
    if not REAL.is_dir():
        pytest.skip(f"{REAL} is absent")
    return (REAL / rel).read_text(encoding="utf-8")


def test_at_least_fifteen_real_pages_are_labelled():
    assert len([k for k in REAL_PAGES if not LABELS[k].get("no_body")]) >= 15
    assert sum(1 for k in REAL_PAGES if LABELS[k].get("fields")) >= 5


@pytest.mark.parametrize("rel", REAL_PAGES)
def test_a_real_page_keeps_its_body_and_drops_its_chrome(rel):
    label = LABELS[rel]
    markup = _read(rel)
    if label.get("no_body"):
        with pytest.raises(ReadError) as info:
            extract_page(markup, rel)
        assert "almost no body text" in str(info.value) and rel in str(info.value)
        return
    page = extract_page(markup, rel)
    text = compact(page.text)
    first, last = compact(label["first"]), compact(label["last"])
    assert first in text and last in text
    # nothing of the page before the body's first sentence but the title (and the 文号 the document prints)
    head = text[: text.index(first)]
    assert head in ("", compact(label["title"] or "")), head
    lines = page.text.split("\n")
    for line in lines:
        assert not CHROME.search(line), line
    assert page.title == label["title"]
    if label["title"]:
        assert compact(lines[0]) == compact(label["title"]) or first == compact(lines[0])
    # the information table is fields, never text
    for name, value in label.get("fields", {}).items():
        assert page.fields.get(name) == value, name
        assert not any(re.match(rf"{name}\s*[:：]", compact(l)) for l in lines), name
    for name in label.get("empty_fields", []):
        assert name not in page.fields


def test_real_pages_keep_tables_as_rows_and_titles_as_one_line():
    page = extract_page(_read("portal-pages/14_房屋租赁登记备案攻略_天河.html"), "14.html")
    lines = page.text.split("\n")
    assert "序号\t单位\t办公电话\t街道地址" in lines
    assert "1\t沙河街\t37286460\t天河区沙河大街89号1楼" in lines
    # 18: the title is printed over two centred paragraphs under the 文号
    page = extract_page(_read("portal-pages/18_广州就业见习基地管理办法_穗人社规字2019-6号.html"), "18.html")
    assert page.text.split("\n")[:3] == [
        "穗人社规字〔2019〕6号", "广州市人力资源和社会保障局广州市财政局关于印发广州市就业见习基地管理办法的通知",
        "各区人力资源和社会保障局："]
    # gov.cn: letter-spaced title lines (几 个 问 题 的 通 知) are one title; 文号 and signature stay lines
    page = extract_page(_read("gov-cn/r40_国发〔1981〕88号.html"), "r40.html")
    assert page.text.split("\n")[:2] == ["国务院关于棉粮、糖粮挂钩奖售粮几个问题的通知", "国发〔1981〕88号"]
    assert page.text.split("\n")[-2:] == ["国务院", "一九八一年五月二十三日"]
    assert page.fields == {}


def test_meta_tags_are_fields_and_the_printed_table_wins():
    page = extract_page(_read("portal-pages/11_公共租赁住房保障办法_穗府办规2024-13号.html"), "11.html")
    assert page.fields["标题"] == "（转载）广州市人民政府办公厅关于印发广州市公共租赁住房管理办法的通知"  # ArticleTitle, as printed
    assert page.fields["发布日期"] == "2024-09-12"  # the table's, not PubDate's 2024-09-12 16:38
    assert page.title == "广州市人民政府办公厅关于印发广州市公共租赁住房管理办法的通知"  # without （转载）
    assert page.text.count("广州市人民政府办公厅关于印发广州市公共租赁住房管理办法的通知") == 1


# ------------------------------------------------------------------------------------ one behaviour each

SHELL = """<html><head><meta charset="utf-8"><title>{title}-某市人民政府门户网站</title></head><body>
<div class="top-nav"><a href="/">首页</a><a href="/zwgk/">政务公开</a><a href="/bsfw/">办事服务</a></div>
<div class="crumb">您当前的位置：<a href="/">首页</a> &gt; 政策文件</div>
{main}
<div class="footer"><p>主办：某市人民政府办公厅 版权所有 ICP备12345678号</p></div>
</body></html>"""

PARA = "为进一步优化营商环境，激发市场主体活力，结合本市实际，现就有关事项通知如下。"


def test_widgets_and_related_lists_never_enter_the_text():
    main = f"""<div class="article"><h1>某市关于优化营商环境的通知</h1>
<div class="info"><span>发布时间：2024-05-06</span> <span>来源：某市发展改革委</span> <span>浏览次数：<b>36</b></span></div>
<div class="con"><p>{PARA}</p><p>一、持续深化改革。</p><p>附件：<a href="/f/1.xlsx">任务分工表.xlsx</a></p></div>
<div class="tools">【<a href="#">打印</a>】【<a href="#">关闭窗口</a>】【<a href="#">返回顶部</a>】</div>
<div class="ewm"><img src="qr.png"><p>扫一扫在手机打开当前页</p></div>
<div class="box"><h3>相关解读</h3><ul><li><a href="/1">《某市关于优化营商环境的通知》解读</a></li>
<li><a href="/2">一图读懂营商环境新政</a></li></ul></div>
<div class="box"><h3>相关文件</h3><ul><li><a href="/3">关于做好2024年就业工作的通知</a></li></ul></div>
<p>上一篇：<a href="/p">关于开展安全生产检查的通知</a></p><p>下一篇：<a href="/n">关于公布行政规范性文件清理结果的通知</a></p>
</div>"""
    page = extract_page(SHELL.format(title="某市关于优化营商环境的通知", main=main), "p.html")
    assert page.text.split("\n") == ["某市关于优化营商环境的通知", PARA, "一、持续深化改革。", "附件：任务分工表.xlsx"]
    assert page.title == "某市关于优化营商环境的通知"
    assert page.fields == {"发布时间": "2024-05-06", "来源": "某市发展改革委"}


def test_an_information_table_with_labels_and_values_in_separate_cells():
    main = f"""<table class="xxgk"><tr><th>索引号</th><td>000-2024-17</td><th>主题分类</th><td>综合政务</td></tr>
<tr><th>发文机关</th><td>某市人民政府</td><th>成文日期</th><td>2024年05月06日</td></tr>
<tr><th>标　　题</th><td colspan="3">某市人民政府关于加强安全生产的通知</td></tr>
<tr><th>发文字号</th><td>某府发〔2024〕7号</td><th>发布日期</th><td></td></tr></table>
<div class="pages_content"><p>{PARA}</p><p>一、压实责任。</p>
<!-- a table of the document, not of the page: the label-like words of a form are not fields -->
<table><tr><td>名称</td><td>数量</td></tr><tr><td>灭火器</td><td>20</td></tr></table></div>"""
    page = extract_page(SHELL.format(title="某市人民政府关于加强安全生产的通知", main=main), "p.html")
    assert page.fields == {"索引号": "000-2024-17", "主题分类": "综合政务", "发文机关": "某市人民政府",
                           "成文日期": "2024年05月06日", "标题": "某市人民政府关于加强安全生产的通知",
                           "发文字号": "某府发〔2024〕7号"}
    assert page.text.split("\n") == ["某市人民政府关于加强安全生产的通知", PARA, "一、压实责任。", "名称\t数量", "灭火器\t20"]


def test_a_layout_table_is_read_as_blocks_and_a_br_breaks_a_line():
    main = f"""<table width="980"><tr><td width="200"><a href="/1">机构概况</a><br><a href="/2">政策文件</a></td>
<td><table><tr><td class="bt_content" align="center"><b>某区关于促进就业的<br>若干措施</b></td></tr>
<tr><td class="TRS_Editor"><p>{PARA}</p><p>一、稳定岗位。<br>二、扩大就业。</p></td></tr></table></td></tr></table>"""
    page = extract_page(SHELL.format(title="某区关于促进就业的若干措施", main=main), "p.html")
    assert page.text.split("\n") == ["某区关于促进就业的若干措施", PARA, "一、稳定岗位。", "二、扩大就业。"]


def test_an_aspnet_form_wrapping_the_page_is_not_dropped():
    main = f'<form id="form1" method="post"><div class="main-content"><p>{PARA}</p><p>二、强化保障。</p></div></form>'
    page = extract_page(SHELL.format(title="某市通知", main=main), "p.html")
    assert page.text.split("\n") == ["某市通知", PARA, "二、强化保障。"]


def test_a_page_with_almost_no_body_text_is_an_error():
    links = "".join(f'<li><a href="/{i}">关于做好第{i}批项目申报工作的通知</a><span>2024-05-0{i % 9 + 1}</span></li>'
                    for i in range(20))
    with pytest.raises(ReadError) as info:
        extract_page(SHELL.format(title="通知公告", main=f"<ul class='list'>{links}</ul>"), "list.html")
    message = str(info.value)
    assert message.startswith("list.html: is an HTML page with almost no body text (")
    with pytest.raises(ReadError, match=r"almost no body text \(\d+ characters\)"):
        extract_page(SHELL.format(title="空页面", main="<div class='con'><p>暂无内容</p></div>"), "empty.html")
    with pytest.raises(ReadError):
        extract_page("<html><body><script>var a = '很多很多的脚本文字不是正文内容不应计入正文字数统计之中的呀';</script></body></html>",
                     "script.html")


def test_a_hundred_thousand_nested_divs_are_read():
    n = 100_000
    markup = "<html><body>" + "<div>" * n + f"<p>{PARA}</p>" + "</div>" * n + "</body></html>"
    page = extract_page(markup, "deep.html")  # no timing assertion: it must simply finish (linear walks)
    assert page.text == PARA
    # unclosed, and inside a table cell, with chrome around it
    markup = ("<html><body><div class='nav'><a href='/'>首页</a></div><table><tr><td>" + "<div><span>" * 20_000
              + f"<p>{PARA}</p><p>二、附则。</p>" + "</td></tr></table><div class='footer'>版权所有</div>")
    page = extract_page(markup, "deep.html")
    assert page.text.split("\n") == [PARA, "二、附则。"]


def test_read_bytes_keeps_the_fields_and_the_title_as_metadata():
    main = f"""<table class="info"><tr><td>发文字号：某府规〔2024〕3号</td></tr><tr><td>成文日期：2024年02月20日</td></tr></table>
<div class="article-content"><p>{PARA}</p><p>一、加大金融支持。</p></div>"""
    html = SHELL.format(title="某市人民政府关于支持中小企业发展的通知", main=main)
    html = html.replace("<body>", "<body><h1>某市人民政府关于支持中小企业发展的通知</h1>", 1)
    src = read_bytes(html.encode("utf-8"), "page.html")
    assert src.format == "html" and src.encoding == "utf-8"
    assert src.meta == {"发文字号": "某府规〔2024〕3号", "成文日期": "2024年02月20日",
                        "标题": "某市人民政府关于支持中小企业发展的通知"}
    assert src.text.split("\n") == ["某市人民政府关于支持中小企业发展的通知", PARA, "一、加大金融支持。"]
    assert isinstance(extract_page(html, "page.html"), PageText)
