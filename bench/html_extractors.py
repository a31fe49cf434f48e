"""Measure main-content extractors on government portal pages: ``python -m bench.html_extractors``.

Extractors: ``old`` (loaders/html.py before PageText: drop boilerplate by tag/class, keep the densest
non-link block — kept verbatim below), ``trafilatura`` (PyPI), ``readability`` (PyPI readability-lxml) and
``new`` (:func:`policykg.loaders.html.extract_page`). The two PyPI packages are optional: an extractor
that is not installed is reported as such.

Sources:

* **real pages** (``../shared/corpus/china-real`` next to the repository, skipped when absent): the
  Guangzhou portal pages and the gov.cn content fragments hand-labelled in ``tests/labels/html-bodies.json``
  (the first and last sentence of the body and the title, written by reading each page's full text before
  any extractor ran). The reference body is the page's full text (every text node in document order, one
  line per block) from the last line holding ``first`` before the last line holding ``last`` to that line.
* **rendered pages**: each document of ``corpus/shanghai-2024`` written into four portal templates
  (:data:`TEMPLATES`): an ASP.NET ``<form id="form1">`` page with a header menu, a breadcrumb, an
  information table, related-reading lists and a footer listing 50 bureaus; a Bootstrap page with a
  sidebar; a table-layout legacy CMS page; a gov.cn-style content fragment. The body is known exactly.

Metrics per page, on text with all whitespace removed (so a line break, a tab or a joined line do not
count): **recall** — the share of the reference body's characters whose line is found in the extraction;
**precision** — the share of extracted characters on lines that are body (a substring of the reference
body, or the title); chrome lines are everything else. **ms/page** — wall time of one extraction
(parsing included). Averages are over pages (macro).

``python -m bench.html_extractors [--only new,old] [--pages]`` prints a markdown table per source
(``--pages`` adds one row per page and extractor).
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "corpus" / "china-real"
LABELS = ROOT / "tests" / "labels" / "html-bodies.json"
SHANGHAI = ROOT / "corpus" / "shanghai-2024"

_WS = re.compile(r"[\s\u3000\xa0\u200b\ufeff|]+")


def compact(text: str) -> str:
    return _WS.sub("", text)


# ------------------------------------------------------------------------------------------ extractors

# --- loaders/html.py as it was before extract_page (commit 9101faa), verbatim but for the names -------
_OLD_DROP_TAGS = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "button", "select",
                  "svg"]
_OLD_BOILERPLATE = re.compile(
    r"(^|[-_\s])(nav|navbar|menu|footer|foot|header|head-?bar|breadcrumb|crumb|sidebar|side|share|banner|"
    r"copyright|toolbar|login|search|related|links?|bottom|topbar|top-?nav|print|location|position|ad|ads)($|[-_\s\d])",
    re.I,
)
_OLD_BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table", "td", "th",
               "pre", "blockquote"}


def _old_text_of(el) -> str:
    parts: list[str] = []

    def walk(node):
        name = getattr(node, "name", None)
        if name is None:
            parts.append(str(node))
            return
        if name == "br":
            parts.append("\n")
            return
        block = name in _OLD_BLOCKS
        if block:
            parts.append("\n")
        for child in node.children:
            walk(child)
        if block:
            parts.append("\n")

    walk(el)
    text = "".join(parts)
    text = re.sub(r"[ \t\r\f\v]*\n[ \t\r\f\v]*", "\n", text)
    text = re.sub(r"\n{2,}", "\n", text)
    return text.strip()


def _old_score(el) -> int:
    text = el.get_text(" ", strip=True)
    links = sum(len(a.get_text(" ", strip=True)) for a in el.find_all("a"))
    return len(text) - 2 * links


def old_main_content(soup) -> str:
    h1 = soup.find("h1")
    title = h1.get_text("", strip=True) if h1 is not None else ""
    for tag in soup(_OLD_DROP_TAGS):
        tag.decompose()
    for el in soup.find_all(True):
        if el.decomposed or el.attrs is None:
            continue
        ident = " ".join([el.get("id") or ""] + list(el.get("class") or []))
        if ident.strip() and _OLD_BOILERPLATE.search(ident) and el.name not in ("body", "html"):
            el.decompose()
    body = soup.body or soup
    candidates = [body] + body.find_all(["div", "article", "section", "main", "td"])
    scored = [(el, _old_score(el)) for el in candidates]
    best_score = max(s for _, s in scored) if scored else 0
    best = body
    for el, s in scored:
        if s >= 0.8 * best_score and len(list(el.parents)) >= len(list(best.parents)):
            best = el
    text = _old_text_of(best)
    if title and not text.startswith(title) and title not in text[:200]:
        text = title + "\n" + text
    return text
# --- end of the old extractor ------------------------------------------------------------------------


def run_old(markup: str) -> str:
    from bs4 import BeautifulSoup

    return old_main_content(BeautifulSoup(markup, "lxml"))


def run_new(markup: str) -> str:
    from policykg.errors import ReadError
    from policykg.loaders.html import extract_page

    try:
        return extract_page(markup, "page.html").text
    except ReadError:
        return ""


def run_trafilatura(markup: str) -> str:
    import trafilatura

    return trafilatura.extract(markup, include_tables=True, include_comments=False, include_links=False,
                               deduplicate=False) or ""


_BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "td", "th", "section",
           "article", "ul", "ol", "dd", "dt"}


def _block_text(root, blocks: set[str]) -> str:
    """The text of an lxml tree with a newline at each block's start and end (scripts and styles skipped)."""
    from lxml import etree

    out: list[str] = []
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in blocks:
                out.append("\n")
            if el.text and tag not in ("script", "style") and isinstance(el.tag, str):
                out.append(el.text)
        else:
            if tag in blocks:
                out.append("\n")
            if el.tail:
                out.append(el.tail)
    return "".join(out)


def _lines_of_html(fragment_html: str) -> str:
    """Text of an HTML fragment with one line per block (for readability's output)."""
    import lxml.html

    text = _block_text(lxml.html.fromstring(fragment_html), _BLOCKS | {"pre", "blockquote"})
    return re.sub(r"\n\s*\n+", "\n", re.sub(r"[ \t\xa0]+", " ", text)).strip()


def run_readability(markup: str) -> str:
    from readability import Document

    return _lines_of_html(Document(markup).summary(html_partial=True))


EXTRACTORS = {"old": run_old, "trafilatura": run_trafilatura, "readability": run_readability, "new": run_new}


def title_old(markup: str) -> str | None:
    from bs4 import BeautifulSoup

    h1 = BeautifulSoup(markup, "lxml").find("h1")
    return h1.get_text("", strip=True) if h1 is not None else None


def title_new(markup: str) -> str | None:
    from policykg.errors import ReadError
    from policykg.loaders.html import extract_page

    try:
        return extract_page(markup, "page.html").title
    except ReadError:
        return None


def title_trafilatura(markup: str) -> str | None:
    import trafilatura

    meta = trafilatura.extract_metadata(markup)
    return meta.title if meta is not None else None


def title_readability(markup: str) -> str | None:
    from readability import Document

    return Document(markup).short_title() or None


#: the document title each extractor reports (the old one: the first <h1>)
TITLES = {"old": title_old, "trafilatura": title_trafilatura, "readability": title_readability, "new": title_new}


def available(name: str) -> bool:
    try:
        if name == "trafilatura":
            import trafilatura  # noqa: F401
        elif name == "readability":
            import readability  # noqa: F401
    except ImportError:
        return False
    return True


# --------------------------------------------------------------------------------------------- metrics

def score(extracted: str, body_lines: list[str], title: str | None) -> tuple[float, float]:
    """(recall, precision) of an extraction against the reference body lines and title."""
    ext = compact(extracted)
    ref_lines = [compact(l) for l in body_lines if compact(l)]
    ref_all = "".join(ref_lines)
    total = sum(len(l) for l in ref_lines) or 1
    found = sum(len(l) for l in ref_lines if l in ext)
    recall = found / total
    key = compact(title or "")
    got = body = 0
    for line in extracted.split("\n"):
        c = compact(line)
        if not c:
            continue
        got += len(c)
        if c in ref_all or (key and (c == key or c in key)):
            body += len(c)
    precision = body / got if got else 0.0
    return recall, precision


# ----------------------------------------------------------------------------------------- real pages

def page_lines(markup: str) -> list[str]:
    """Every text node of a page in document order, one line per block (no element dropped but scripts)."""
    import lxml.html

    root = lxml.html.fromstring(markup, parser=lxml.html.HTMLParser(huge_tree=True))
    text = _block_text(root, _BLOCKS | {"title", "form", "tbody"})
    return [l.strip() for l in text.split("\n") if compact(l)]


def reference_body(markup: str, first: str, last: str) -> list[str]:
    """The page's lines from the body's first line to its last. Pages may hold a second copy of the text (a hidden
    print or text-to-speech version, sometimes as one giant line): the span is the latest one in which the body's
    opening lines do not come back, starting at a line that *is* ``first`` when there is one."""
    lines = page_lines(markup)
    keys = [compact(l) for l in lines]
    f, l = compact(first), compact(last)
    giant = {i for i, k in enumerate(keys) if f in k and l in k and len(k) > len(f) + len(l) + 200}
    ends = [i for i, k in enumerate(keys) if l in k and i not in giant]
    for end in reversed(ends):
        starts = [i for i in range(end + 1) if keys[i] == f] or [
            i for i in range(end + 1) if f in keys[i] and i not in giant]
        if not starts:
            continue
        start = starts[-1]
        span = [k for k in keys[start: end + 1] if len(k) >= 8]
        opening = span[1:4]
        repeats = any(span[i: i + len(opening)] == opening for i in range(2, len(span) - len(opening) + 1))
        if not opening or not repeats:
            return lines[start: end + 1]
    raise ValueError(f"no body span for {first!r} … {last!r}")


def real_pages() -> list[dict]:
    if not REAL.is_dir():
        return []
    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    pages = []
    for rel, lab in labels.items():
        if rel.startswith("_") or lab.get("no_body"):
            continue
        markup = (REAL / rel).read_text(encoding="utf-8")
        body = reference_body(markup, lab["first"], lab["last"])
        pages.append({"source": "portal pages" if rel.startswith("portal") else "gov.cn fragments", "name": rel,
                      "markup": markup, "body": body, "title": lab.get("title")})
    return pages


# ------------------------------------------------------------------------------------ rendered pages

SITE = "某市人民政府门户网站"
BUREAUS = (
    "市发展改革委 市教委 市科委 市经济信息化委 市商务委 市民族宗教委 市公安局 市民政局 市司法局 市财政局 "
    "市人力资源社会保障局 市规划资源局 市生态环境局 市住房城乡建设管理委 市交通委 市农业农村委 市水务局 市文化旅游局 "
    "市卫生健康委 市退役军人局 市应急局 市审计局 市国资委 市市场监管局 市体育局 市统计局 市医保局 市绿化市容局 "
    "市机管局 市民防办 市地方金融监管局 市政府合作交流办 市政府侨办 市政府研究室 市大数据中心 市城管执法局 "
    "市药品监管局 市粮食物资储备局 市知识产权局 市信访办 市外办 市口岸办 市残联 市总工会 团市委 市妇联 市科协 "
    "市档案局 市气象局 市邮政管理局"
).split()
assert len(BUREAUS) == 50
NAV = ["首页", "政务公开", "政务服务", "互动交流", "数据开放", "走进本市", "新闻中心", "专题专栏"]

#: metadata shown in the templates' information tables (fixture values, not read from the documents)
DOC_META = {
    "000": ("上海市人民政府办公厅关于印发«上海市坚持对标改革持续打造国际一流营商环境行动方案»的通知",
            "沪府办发〔2024〕1号", "上海市人民政府办公厅", "2024年01月13日"),
    "001": ("上海市徐汇区持续优化提升营商环境行动方案", "徐府发〔2024〕2号", "上海市徐汇区人民政府", "2024年02月05日"),
    "002": ("上海市杨浦区人民政府关于印发《聚焦“创新四力” 升级“四大服务” 杨浦全力打造营商环境最暖城区实施方案》的通知",
            "杨府发〔2024〕3号", "上海市杨浦区人民政府", "2024年03月04日"),
    "003": ("上海市森林管理规定", "沪府令9号", "上海市人民政府", "2024年01月22日"),
    "004": ("上海市嘉定区人民政府办公室关于印发《嘉定区坚持对标改革持续打造国际一流营商环境行动方案》的通知",
            "嘉府办发〔2024〕2号", "上海市嘉定区人民政府办公室", "2024年02月20日"),
}


def _paras(lines: list[str], indent: bool = True) -> str:
    style = ' style="text-indent: 2em;"' if indent else ""
    return "\n".join(f"<p{style}>{escape(l)}</p>" for l in lines)


def _related(title: str) -> str:
    return (f'<div class="related"><h3>相关解读</h3><ul><li><a href="/jd/1.html">《{escape(title)}》政策解读</a></li>'
            '<li><a href="/jd/2.html">一图读懂：优化营商环境新举措</a></li></ul></div>'
            '<div class="related-files"><h3>相关文件</h3><ul>'
            '<li><a href="/wj/1.html">关于进一步优化政务服务提升行政效能的实施意见</a><span>2024-01-05</span></li>'
            '<li><a href="/wj/2.html">关于做好2024年全市就业工作的通知</a><span>2023-12-28</span></li></ul></div>')


def template_aspnet(title: str, lines: list[str], meta: tuple) -> str:
    number, issuer, signed = meta[1], meta[2], meta[3]
    nav = "".join(f'<li><a href="/{i}/">{n}</a></li>' for i, n in enumerate(NAV))
    bureaus = "".join(f'<a href="http://b{i}.example.gov.cn/" target="_blank">{b}</a>' for i, b in enumerate(BUREAUS))
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>{escape(title)}-{SITE}------</title>
<meta name="SiteName" content="{SITE}" /><meta name="ArticleTitle" content="{escape(title)}" />
<meta name="PubDate" content="2024-03-01 10:00" /><meta name="ContentSource" content="{escape(issuer)}" />
<script type="text/javascript">var _hmt = _hmt || []; document.write('<div class="tip">一、不该出现</div>');</script>
<style>.article {{ margin: 0 auto; }}</style></head>
<body><form name="form1" method="post" action="./content.aspx?id=20240301" id="form1">
<div><input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="/wEPDwUKLTkxMjU2MjA2OGRk" /></div>
<div id="header"><div class="logo"><img src="/images/logo.png" alt="{SITE}" /></div>
<div class="topnav"><ul>{nav}</ul></div>
<div class="search"><input type="text" name="kw" /><a href="/search/">搜索</a></div></div>
<div class="location">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="/zwgk/zcwj/">政策文件</a></div>
<div class="wrap">
<table class="info-table" cellspacing="0" cellpadding="0">
<tr><td class="t">索引号：</td><td>SH0000-2024-00017</td><td class="t">主题分类：</td><td>综合政务\\营商环境</td></tr>
<tr><td class="t">发文机关：</td><td>{escape(issuer)}</td><td class="t">成文日期：</td><td>{signed}</td></tr>
<tr><td class="t">标　　题：</td><td colspan="3">{escape(title)}</td></tr>
<tr><td class="t">发文字号：</td><td>{escape(number)}</td><td class="t">发布日期：</td><td>2024年03月01日</td></tr>
<tr><td class="t">有效性：</td><td colspan="3">有效</td></tr>
</table>
<div class="article"><h1 id="lblTitle">{escape(title)}</h1>
<div class="article-content" id="zoom">
{_paras(lines)}
</div></div>
<div class="share-bar">分享到：<a href="#">微信</a> <a href="#">微博</a> 【<a href="javascript:window.print()">打印</a>】【<a href="javascript:window.close()">关闭窗口</a>】</div>
<div class="qr"><img src="/qr.png" /><p>扫一扫在手机打开当前页</p></div>
{_related(title)}
</div>
<div id="footer"><div class="bureaus">部门网站：{bureaus}</div>
<p>主办：某市人民政府办公厅　承办：某市大数据中心　版权所有</p>
<p>网站标识码：3100000001　沪ICP备12345678号　沪公网安备 31010102000001号</p></div>
</form></body></html>"""


def template_bootstrap(title: str, lines: list[str], meta: tuple) -> str:
    issuer = meta[2]
    nav = "".join(f'<li class="nav-item"><a class="nav-link" href="/{i}/">{n}</a></li>' for i, n in enumerate(NAV))
    side = "".join(f'<a class="list-group-item list-group-item-action" href="/lm/{i}/">{b}</a>'
                   for i, b in enumerate(["通知公告", "政策文件", "政策解读", "规划计划", "统计数据", "人事信息"]))
    bureaus = "".join(f'<div class="col-2"><a href="http://b{i}.example.gov.cn/">{b}</a></div>' for i, b in enumerate(BUREAUS))
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}_{SITE}</title><link rel="stylesheet" href="/css/bootstrap.min.css"></head>
<body>
<nav class="navbar navbar-expand-lg navbar-dark bg-primary"><div class="container">
<a class="navbar-brand" href="/">{SITE}</a><ul class="navbar-nav me-auto">{nav}</ul>
<form class="d-flex" role="search"><input class="form-control" type="search" placeholder="请输入关键词"><button class="btn">搜索</button></form>
</div></nav>
<div class="container mt-3">
<nav aria-label="breadcrumb"><ol class="breadcrumb"><li class="breadcrumb-item"><a href="/">首页</a></li><li class="breadcrumb-item"><a href="/zwgk/">政务公开</a></li><li class="breadcrumb-item active">通知公告</li></ol></nav>
<div class="row">
<div class="col-md-3"><div class="card"><div class="card-header">栏目导航</div><div class="list-group">{side}</div></div>
<div class="card mt-3"><div class="card-header">热点专题</div><div class="card-body"><p>优化营商环境专题：聚焦企业关切，持续推出改革举措。</p></div></div></div>
<div class="col-md-9"><article class="card"><div class="card-body">
<h2 class="article-title text-center">{escape(title)}</h2>
<div class="article-meta text-muted text-center"><span>发布时间：2024-03-01</span>　<span>来源：{escape(issuer)}</span>　<span>浏览次数：<span id="hits">128</span></span></div>
<hr>
<div class="article-body">
{_paras(lines, indent=False)}
</div>
<div class="attachments"><p>附件：<a href="/files/fj1.docx">重点任务分工表.docx</a></p></div>
<ul class="pager list-unstyled"><li>上一篇：<a href="/p/1.html">关于做好2024年春节期间安全生产工作的通知</a></li>
<li>下一篇：<a href="/p/3.html">关于公布2024年第一批行政规范性文件清理结果的通知</a></li></ul>
</div></article></div></div></div>
<footer class="footer bg-light py-3 mt-4"><div class="container"><div class="row">{bureaus}</div>
<p class="text-center">Copyright © 2024 {SITE} 版权所有　ICP备12345678号</p></div></footer>
<script src="/js/bootstrap.bundle.min.js"></script>
</body></html>"""


def template_legacy(title: str, lines: list[str], meta: tuple) -> str:
    number, issuer, signed = meta[1], meta[2], meta[3]
    nav = " | ".join(f'<a href="/{i}/" class="white">{n}</a>' for i, n in enumerate(NAV))
    left = "".join(f'<tr><td height="26">·<a href="/xxgk/{i}/">{n}</a></td></tr>'
                   for i, n in enumerate(["公开指南", "公开目录", "公开年报", "依申请公开", "机构职能", "政策文件",
                                          "规划计划", "财政信息", "人事信息", "统计信息"]))
    paras = "\n".join(f"<p>&nbsp;&nbsp;&nbsp;&nbsp;<font face=\"宋体\">{escape(l)}</font></p>" for l in lines)
    bureaus = "&nbsp;&nbsp;".join(BUREAUS)
    return f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{SITE}--{escape(title)}</title>
<link href="/css/style.css" rel="stylesheet" type="text/css"></head>
<body topmargin="0" leftmargin="0">
<table width="980" border="0" align="center" cellpadding="0" cellspacing="0">
<tr><td colspan="2"><img src="/images/top.jpg" width="980" height="120"></td></tr>
<tr><td colspan="2" class="daohang" bgcolor="#0066CC" height="32">{nav}</td></tr>
<tr><td width="200" valign="top" class="left"><table width="100%" border="0"><tr><td class="lmtitle">信息公开</td></tr>{left}</table></td>
<td width="780" valign="top">
<table width="96%" align="center"><tr><td class="weizhi" height="30">您现在的位置：<a href="/">首页</a> &gt;&gt; <a href="/xxgk/">信息公开</a> &gt;&gt; 政策文件</td></tr></table>
<table class="xxgk_info" width="96%" border="1" align="center" cellpadding="3">
<tr><td width="15%">索引号</td><td width="35%">SH0000-2024-00017</td><td width="15%">发布机构</td><td>{escape(issuer)}</td></tr>
<tr><td>主题分类</td><td>综合政务</td><td>成文日期</td><td>{signed}</td></tr>
<tr><td>文　　号</td><td>{escape(number)}</td><td>发布日期</td><td>2024年03月01日</td></tr>
</table>
<table width="96%" align="center" border="0">
<tr><td class="bt_content" align="center" height="50"><font size="4" color="#CC0000"><b>{escape(title)}</b></font></td></tr>
<tr><td class="TRS_Editor"><div class="TRS_Editor">
{paras}
</div></td></tr>
<tr><td align="right" height="40">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</td></tr>
</table>
</td></tr>
<tr><td colspan="2" class="bottom" align="center" height="120">{bureaus}<br>
版权所有：{SITE}　地址：某市人民大道200号　邮编：200003<br>ICP备12345678号　网站标识码：3100000001</td></tr>
</table></body></html>"""


def template_govcn(title: str, lines: list[str], meta: tuple) -> str:
    number = meta[1]
    half = max(1, len(title) // 2)
    head = (f'<p style="margin-top: 0px; margin-bottom: 0px; text-align: center; font-family: 宋体;">'
            f'<span style="font-weight: bold; font-size: 18pt;">{escape(title[:half])}</span><br> '
            f'<span style="font-weight: bold; font-size: 18pt;">{escape(title[half:])}</span></p> '
            f'<p style="margin-top: 0px; margin-bottom: 0px; text-align: center;"><span style="font-family: 楷体, 楷体_GB2312;">'
            f'{escape(number)}</span></p> <p align="" style="text-align: justify;"><br> </p> ')
    body = " ".join(f'<p align="" style="margin-top: 0px; margin-bottom: 0px; text-indent: 2em; text-align: justify; '
                    f'font-family: 宋体;">{escape(l)}</p>' for l in lines)
    return f'<tbody> \n <tr> \n  <td class="b12c" id="UCAP-CONTENT">{head}{body}</td> \n </tr> \n <tr> \n  <td></td> \n </tr> \n</tbody>'


TEMPLATES = {"aspnet": template_aspnet, "bootstrap": template_bootstrap, "legacy": template_legacy, "govcn": template_govcn}


def rendered_body(template: str, lines: list[str], meta: tuple) -> list[str]:
    """The body lines a template shows around ``lines``: the gov.cn fragment adds its 文号; Bootstrap its attachment."""
    if template == "govcn":
        return [meta[1], *lines]
    if template == "bootstrap":
        return [*lines, "附件：重点任务分工表.docx"]
    return list(lines)


def shanghai_docs(max_lines: int | None = None) -> list[tuple[str, str, list[str], tuple]]:
    docs = []
    for path in sorted(SHANGHAI.glob("*.txt")):
        key = path.name[:3]
        lines = [l.strip(" \u3000\t") for l in path.read_text(encoding="utf-8").splitlines()]
        lines = [l for l in lines if l]
        if max_lines:
            lines = lines[:max_lines]
        docs.append((key, DOC_META[key][0], lines, DOC_META[key]))
    return docs


def rendered_pages() -> list[dict]:
    pages = []
    for key, title, lines, meta in shanghai_docs():
        for name, template in TEMPLATES.items():
            pages.append({"source": f"rendered: {name}", "name": f"{key}.{name}", "markup": template(title, lines, meta),
                          "body": rendered_body(name, lines, meta), "title": title})
    return pages


# ------------------------------------------------------------------------------------------------ main

def measure(pages: list[dict], names: list[str]) -> list[dict]:
    rows = []
    for page in pages:
        for name in names:
            fn = EXTRACTORS[name]
            t = time.perf_counter()
            try:
                text = fn(page["markup"])
            except Exception as exc:  # an extractor crashing on a page is a result too
                text = ""
                page.setdefault("errors", {})[name] = repr(exc)[:120]
            ms = (time.perf_counter() - t) * 1000
            recall, precision = score(text, page["body"], page["title"])
            try:
                got = TITLES[name](page["markup"])
            except Exception:
                got = None
            title_ok = compact(got or "") == compact(page["title"] or "")
            rows.append({"source": page["source"], "page": page["name"], "extractor": name, "recall": recall,
                         "precision": precision, "ms": ms, "title": title_ok, "title_got": got})
    return rows


def table(rows: list[dict], names: list[str]) -> str:
    sources = list(dict.fromkeys(r["source"] for r in rows))
    out = ["| source | pages | " + " | ".join(f"{n} R / P / T / ms" for n in names) + " |",
           "|---|---:|" + "---:|" * len(names)]
    for src in sources + ["all"]:
        cells = []
        n_pages = 0
        for name in names:
            sel = [r for r in rows if r["extractor"] == name and (src == "all" or r["source"] == src)]
            n_pages = len(sel)
            if not sel:
                cells.append("—")
                continue
            cells.append(f"{statistics.mean(r['recall'] for r in sel):.3f} / {statistics.mean(r['precision'] for r in sel):.3f}"
                         f" / {statistics.mean(r['title'] for r in sel):.2f} / {statistics.mean(r['ms'] for r in sel):.1f}")
        out.append(f"| {src} | {n_pages} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="old,trafilatura,readability,new", help="extractors, comma-separated")
    ap.add_argument("--pages", action="store_true", help="one row per page and extractor")
    ap.add_argument("--json", help="write every row to this file")
    args = ap.parse_args(argv)
    names = []
    for name in args.only.split(","):
        if available(name):
            names.append(name)
        else:
            print(f"({name} is not installed: skipped)")
    pages = real_pages() + rendered_pages()
    if not any(p["source"] in ("portal pages", "gov.cn fragments") for p in pages):
        print(f"(no real pages: {REAL} is absent)")
    rows = measure(pages, names)
    print(table(rows, names))
    if args.pages:
        print()
        print("| page | extractor | recall | precision | title | ms |\n|---|---|---:|---:|---|---:|")
        for r in rows:
            print(f"| {r['page']} | {r['extractor']} | {r['recall']:.3f} | {r['precision']:.3f} | "
                  f"{'ok' if r['title'] else repr(r['title_got'])[:60]} | {r['ms']:.1f} |")
    errors = {p["name"]: p["errors"] for p in pages if p.get("errors")}
    if errors:
        print("\nerrors:", json.dumps(errors, ensure_ascii=False, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
