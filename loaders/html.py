"""The text of a government portal page: its document, its title, its information table.

A portal page wraps one document in navigation, breadcrumbs, share and print bars, QR codes,
"related documents" lists and a footer that lists every bureau of the city. :func:`extract_page`
returns only the document:

* **parse** — the markup is parsed into a light tree by an event parser (the standard library's
  :class:`html.parser.HTMLParser`) with the implicit-end rules of HTML that matter for text (an open
  ``<p>`` ends at the next block, ``<li>`` at the next item, cells and rows at the next cell or row).
  Every walk over the tree is iterative, so a page nested 100,000 levels deep is read like any other
  (libxml2, under lxml, silently drops what lies deeper than 256 levels).
* **fields** — the information table (索引号, 发文机关, 成文日期, 发文字号 …) is read wherever it
  stands: label and value in one cell (``发文字号：X``), in two cells (``<td>索引号：</td><td>X</td>``),
  in a ``<span>`` label followed by text, in ``<dt>/<dd>``; and the standard meta tags of Chinese
  government sites (``ArticleTitle``, ``PubDate``, ``ContentSource``). Those elements never reach the text.
* **content** — every text node is *good* (text outside links) or *bad* (link text, text inside page
  chrome: navigation, header, footer, breadcrumb, share, print and font-size bars, related-reading lists,
  QR-code captions, recognised by tag, by class/id words and by the widgets' own words). The content is
  the element whose good-minus-bad total is largest: the smallest element that holds the document and
  as little chrome as possible. Attachment links (``附件1.docx``) count as good.
* **lines** — the content is written one block per line: paragraphs, headings, list items; a data
  table one row per line with its cells joined by a tab (a layout table is treated as blocks); ``<br>``
  breaks a line. Chrome lines left inside the content are dropped; the header lines of the content
  (``发布日期：… 来源：…``) become fields.
* **title** — the ``<h1>`` (or the heading) that the page's own metadata confirms, else the
  ``ArticleTitle`` meta tag, the information table's 标题/名称 or the ``<title>``, without the site's
  name and without a repost marker (（转载）). For a content fragment (a gov.cn database column) without
  a page around it, the centred heading lines the document starts with. The title is the first line of
  the text: found split over several lines near the top (``<br>`` or one ``<p>`` per line), the lines
  are joined; a page heading repeating the document's own title line is dropped; not found anywhere, it is
  put first.
* **error** — a page with fewer than 30 Chinese characters of body (title aside) — a list of links, an
  empty shell — raises :class:`ReadError`.

The document's own indentation (``　　``) is kept at the start of a line: the normaliser reads it.

Nothing is site-specific: class names are matched as words (TRS_Editor, article-content, zoom, con,
detail, main-content, pages_content, bt_content … are never chrome), labels are the printed labels.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from policykg.errors import ReadError

from .markdown import page_title
from .patterns import INFO_LABELS


@dataclass
class PageText:
    """What a portal page says: its document's text, the document's title and the page's metadata."""

    text: str  # the main content, one block (paragraph, heading, table row) per line, in order
    title: str | None  # the document title (site suffix and repost marker removed), None if the page has none
    #: the information table and meta tags, keyed by the printed label without its colon (索引号, 发文字号 …)
    fields: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------- parsing

_VOID = frozenset("area base br col embed hr img input keygen link meta param source track wbr".split())
#: elements whose content is never text of the page
_JUNK = frozenset(
    "script style noscript template svg math iframe object embed select textarea button head map canvas "
    "audio video applet frameset frame".split()
)
#: elements that bound the scope of an end tag (an unclosed <div> inside a cell does not close outside it)
_SCOPE = frozenset("td th table caption html template object marquee applet button".split())
#: a start tag of these ends an open <p>
_CLOSES_P = frozenset(
    "address article aside blockquote center details dialog dir div dl fieldset figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 header hgroup hr main menu nav ol p pre section summary table ul li dd dt".split()
)
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_BLOCK = frozenset(
    "address article aside blockquote body caption center dd details dialog dir div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main menu nav ol p pre section summary table "
    "tbody td tfoot th thead tr ul".split()
)
_CELLS = ("td", "th")
_MAX_WALK = 64  # how far up an implicit end looks for its element


class _Node:
    __slots__ = ("tag", "attrs", "parent", "children", "skip", "hidden", "chrome", "fieldy", "inlink", "depth",
                 "index", "chars", "links", "punct", "good", "bad", "cjk", "attach", "size", "blocks", "tables")

    def __init__(self, tag: str, attrs: dict, parent: "_Node | None") -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list = []  # _Node or str
        self.skip = False  # junk or hidden: not text (a hidden element is still read for fields)
        self.hidden = False  # inside a hidden element
        self.chrome = False
        self.fieldy = False
        self.inlink: _Node | None = None  # the <a> this node stands in
        self.depth = 0
        self.index = 0  # position in the parent's children
        self.chars = self.links = self.punct = self.good = self.bad = self.cjk = self.attach = 0
        self.size = self.blocks = self.tables = 0  # elements, block elements and tables in the subtree

    def ident(self) -> str:
        a = self.attrs
        return " ".join(x for x in (a.get("id"), a.get("class")) if x)


class _Frame:
    __slots__ = ("owner", "counts")

    def __init__(self, owner: _Node) -> None:
        self.owner = owner
        self.counts: dict[str, int] = {}


class _Builder(HTMLParser):
    """An event parser building a _Node tree with the implicit ends of HTML; linear in the markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("#root", {}, None)
        self.stack: list[_Node] = [self.root]
        self.frames: list[_Frame] = [_Frame(self.root)]
        self.metas: list[tuple[str, str]] = []
        self.title_parts: list[str] = []
        self.in_title = 0
        self.seen_body = False

    # stack helpers --------------------------------------------------------------------------------
    def _push(self, node: _Node) -> None:
        counts = self.frames[-1].counts
        counts[node.tag] = counts.get(node.tag, 0) + 1
        self.stack.append(node)
        if node.tag in _SCOPE:
            self.frames.append(_Frame(node))

    def _pop(self) -> _Node:
        node = self.stack.pop()
        if node.tag in _SCOPE and len(self.frames) > 1 and self.frames[-1].owner is node:
            self.frames.pop()
        counts = self.frames[-1].counts
        counts[node.tag] = counts.get(node.tag, 1) - 1
        if node.tag == "title":
            self.in_title = max(0, self.in_title - 1)
        return node

    def _pop_to(self, node: _Node) -> None:
        while len(self.stack) > 1:
            if self._pop() is node:
                return

    def _find_up(self, tag: str, stop: frozenset | tuple) -> _Node | None:
        for node in reversed(self.stack[-_MAX_WALK:]):
            if node.tag == tag:
                return node
            if node.tag in stop:
                return None
        return None

    def _close_cell(self) -> None:
        owner = self.frames[-1].owner
        if owner.tag in _CELLS:
            self._pop_to(owner)

    # events ---------------------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs_list) -> None:
        attrs = {k: (v if v is not None else "") for k, v in attrs_list}
        if tag == "meta":
            name = attrs.get("name") or attrs.get("property") or attrs.get("itemprop")
            if name and attrs.get("content") is not None:
                self.metas.append((name.strip(), attrs["content"]))
            return
        if tag in ("html", "body") and any(n.tag == tag for n in self.stack[:3]):
            return  # a repeated <html>/<body>
        counts = self.frames[-1].counts
        if tag in _CLOSES_P and counts.get("p", 0) > 0:
            p = self._find_up("p", ())
            if p is not None:
                self._pop_to(p)
        if tag == "li" and counts.get("li", 0) > 0:
            li = self._find_up("li", ("ul", "ol"))
            if li is not None:
                self._pop_to(li)
        elif tag in ("dt", "dd") and (counts.get("dt", 0) or counts.get("dd", 0)):
            for other in ("dt", "dd"):
                item = self._find_up(other, ("dl",))
                if item is not None:
                    self._pop_to(item)
                    break
        elif tag in ("tr", "td", "th", "tbody", "thead", "tfoot"):
            self._close_cell()
            counts = self.frames[-1].counts
            if tag in ("td", "th"):
                pass
            elif tag == "tr" and counts.get("tr", 0) > 0:
                tr = self._find_up("tr", ("table",))
                if tr is not None:
                    self._pop_to(tr)
            elif tag in ("tbody", "thead", "tfoot"):
                for sect in ("tbody", "thead", "tfoot"):
                    if counts.get(sect, 0) > 0:
                        node = self._find_up(sect, ("table",))
                        if node is not None:
                            self._pop_to(node)
        elif tag in _HEADINGS and self.stack[-1].tag in _HEADINGS:
            self._pop()
        parent = self.stack[-1]
        node = _Node(tag, attrs, parent)
        node.depth = parent.depth + 1
        node.index = len(parent.children)
        parent.children.append(node)
        if tag == "title":
            self.in_title += 1
        if tag not in _VOID:
            self._push(node)

    def handle_startendtag(self, tag: str, attrs_list) -> None:
        self.handle_starttag(tag, attrs_list)
        if tag not in _VOID and self.stack[-1].tag == tag and tag in ("p", "div", "span", "a", "td", "li"):
            self._pop()  # <p/> written by XHTML tools: an empty element

    def handle_endtag(self, tag: str) -> None:
        if tag == "br":
            self.handle_starttag("br", [])
            return
        if tag in _VOID:
            return
        for depth, frame in enumerate(reversed(self.frames)):
            if depth > 20:
                return
            if frame.owner.tag == tag and frame.owner is not self.root:
                self._pop_to(frame.owner)
                return
            if frame.counts.get(tag, 0) > 0:
                node = self._find_up(tag, ())
                if node is None:  # further up than the walk looks: pop until it
                    while len(self.stack) > 1 and self.stack[-1].tag != tag:
                        self._pop()
                    if len(self.stack) > 1:
                        self._pop()
                else:
                    self._pop_to(node)
                return
            # the element is not open in this scope; a table end tag may close the cell it stands in
            if not (frame.owner.tag in _CELLS and tag in ("tr", "table", "tbody", "thead", "tfoot")):
                return

    def handle_data(self, data: str) -> None:
        if self.in_title and self.stack[-1].tag == "title":
            self.title_parts.append(data)
        children = self.stack[-1].children
        if children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)


def _parse(markup: str) -> _Builder:
    builder = _Builder()
    builder.feed(markup)
    builder.close()
    return builder


# ------------------------------------------------------------------------------------------ vocabulary

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_PUNCT = re.compile(r"[。，；：、！？]")
_WS = re.compile(r"[ \t\r\n\f\v\xa0\u2002\u2003\u2009\u200b\ufeff]+")
_ALLWS = re.compile(r"[\s\u3000\xa0\u200b\ufeff]+")
_HIDDEN = re.compile(r"display\s*:\s*none", re.I)  # (visibility:hidden is how pages hide <body> until a script ran)
_CENTER = re.compile(r"text-align\s*:\s*center", re.I)
_BOLD = re.compile(r"font-weight\s*:\s*(?:bold|[6-9]00)", re.I)
_FONT_SIZE = re.compile(r"font-size\s*:\s*([\d.]+)\s*(pt|px)", re.I)
_CLASS_WORD = re.compile(r"[A-Za-z][a-z]*|[A-Z]+(?![a-z])")

#: class/id words of page chrome (matched as whole words of the class or id: "top-nav", "shareBar")
_CHROME_WORDS = frozenset(
    "nav navbar navi navigation menu menus submenu footer foot bottom header topbar toolbar tools breadcrumb "
    "breadcrumbs crumb crumbs bread position location curpos share sharebar bdshare jiathis print printer "
    "sidebar aside banner copyright login logon register search searchbar related relate relevant xgwz xgxx "
    "xgwj xgjd xglj recommend friend friendlink links qrcode qr ewm erweima gotop backtop totop pagination pager "
    "prevnext prev next fontsize setfont fontzoom comment comments advert ads ad "
    # pinyin names of Chinese CMS templates: 位置, 当前位置, 面包屑, 导航, 分享, 打印, 关闭, 版权
    "weizhi dqwz mbx daohang dh fenxiang fx dayin guanbi banquan".split()
)
_CHROME_TAGS = frozenset("nav header footer aside".split())

#: labels of an information table (the printed words, without colon); extends the shared list
_LABELS = tuple(sorted(set(INFO_LABELS.split("|")) | set(
    "来源 文章来源 信息来源 发表时间 发布时间 时间 统一编号 失效日期 文件状态 分类 发布机关 公开日期 "
    "公开时间 责任部门 所属主题 生成日期".split()), key=len, reverse=True))
#: labels of widgets that end a field's value: 发布日期：2024-09-12 浏览次数：-
_STOP_LABELS = ("浏览次数", "浏览量", "访问量", "阅读次数", "点击数", "点击率", "字号", "字体", "浏览字号", "分享到", "打印")
#: a label as printed, maybe spread out: 文　　号
_LABEL_ALT = "|".join("[ \u3000\xa0]*".join(map(re.escape, x)) for x in _LABELS)
_STOP_ALT = "|".join(re.escape(x) for x in _STOP_LABELS)
_FIELD_START = re.compile(rf"^(?P<label>{_LABEL_ALT})\s*[:：]")
#: where the next field of a line starts: a label after a space or a non-Chinese character (字号 in 发文字号 is none)
_FIELD_SPLIT = re.compile(rf"\s*(?<![\u3400-\u9fff])(?=(?:{_LABEL_ALT}|{_STOP_ALT})\s*[:：])")
#: the standard meta tags of Chinese government sites → the printed label
_META_LABELS = {"articletitle": "标题", "pubdate": "发布日期", "contentsource": "来源", "sitename": "网站名称"}

#: lines that are widgets, never text: each alternative is a whole line (or a line prefix with a length bound)
_CHROME_LINE = re.compile(
    r"^(?:"
    r"(?:【[^】\n]{1,10}】\s*)+"                                   # 【返回顶部】【关闭窗口】【打印】
    r"|(?:打印本页|打印页面|打印文章|打印|关闭窗口|关闭本页|关闭|返回顶部|回到顶部|返回|顶部|收藏|纠错|听全文|语音播报"
    r"|打印关闭|分享|分享文章到|取消|回到|\[?\s*打印\s*\]?|\[?\s*关闭\s*\]?|(?:A[+-]?[大中小]?\s*)+|[大中小]|默认|放大|缩小)"
    r"|(?:扫一扫|微信扫一扫|用微信扫|手机扫|扫码|扫描二维码)[^。；]{0,20}"
    r"|(?:分享到|分享至|分享文章|浏览次数|浏览量|访问量|阅读次数|阅读量|点击数|点击量|字号|字体|浏览字号|【字体|【字号)[:：\s].{0,40}"
    r"|(?:分享到|浏览次数|浏览量|访问量|阅读次数|字体大小|字号大小)[:：]?"
    r"|(?:(?:您|你)?(?:当前|现在|目前)(?:所在|所处)?的?|(?:您|你)(?:所在|所处)?的?|所在的?)位置(?:[:：>\s].{0,200}|[:：]?\s*>?)"
    r"|(?:上一篇|下一篇|上一条|下一条|上一页|下一页)[:：\s].{0,150}|(?:上一篇|下一篇|上一条|下一条)[:：]?"
    r"|(?:点击查看)?(?:政策解读|图文解读|一图读懂|音频解读|文字解读|视频解读|相关解读|解读)[:：]\s*(?:https?://\S+|【.{0,150})"
    r"|点击查看(?:政策)?解读.{0,150}"
    r"|(?:微信|微博|QQ空间|QQ好友|新浪微博|微信好友|朋友圈)(?:\s*(?:微信|微博|QQ空间|QQ好友|新浪微博|微信好友|朋友圈))*"
    r"|(?:\s*(?:用户)?登录|注册|退出|无障碍(?:阅读|浏览|版)?|长者助手|关怀版|适老化|繁体版?|繁體|简体版?|English|EN|"
    r"手机版|电脑版|网站地图|联系我们|使用帮助|内容纠错|关于我们|\|)+"
    r"|-?\s*次|[-|/×+↺·…\s]+"
    r")$"
)
#: lines that belong to a site's footer or header (anywhere in a short line)
_CHROME_ANY = re.compile(
    r"版权所有|ICP备|ICP证|公网安备|网站标识码|网站识别码|主办单位[:：]|承办单位[:：]|技术支持[:：]|网站地图|"
    r"隐私声明|网站声明|您是第.{0,12}位访|Copyright|©"
)
#: headings of related-reading lists (the list after them is chrome)
_RELATED = re.compile(
    r"^(?:相关(?:解读|文件|链接|附件|新闻|文章|稿件|阅读|信息|政策|报道|推荐|内容|专题|下载)(?:下载)?|政策解读|解读文件|图文解读|"
    r"延伸阅读|推荐阅读|热点推荐|热门推荐|猜你喜欢|相关文件下载|上一篇|下一篇)[:：]?$"
)
_ATTACH_TEXT = re.compile(r"^附件|\.(?:docx?|xlsx?|pdf|wps|ofd|zip|rar|7z|et|pptx?|txt|csv)$", re.I)
_ATTACH_HREF = re.compile(r"\.(?:docx?|xlsx?|pdf|wps|ofd|zip|rar|7z|et|pptx?)(?:$|[?#])", re.I)
_DATE_ONLY = re.compile(r"^(?:发布)?(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_REPOST = re.compile(r"^\s*[（(【\[]\s*(?:转载|转发|转)\s*[）)】\]]\s*")
_NUMBER_LINE = re.compile(r"^[\u4e00-\u9fff]{1,12}[〔\[［(（【]\s*\d{4}\s*[〕\]］)）】]\s*第?\s*\d+\s*号$|^第\s*\d+\s*号$|^[\u4e00-\u9fff]{1,10}令第\s*\d+\s*号$")
_TITLE_END = re.compile(
    r"(?:通知|决定|意见|办法|方案|规定|批复|复函|函|通报|报告|条例|细则|规则|规划|公告|通告|指引|纲要|预案|决议|纪要|"
    r"请示|要点|计划|措施|标准|目录|清单|指南|规范|章程|守则|公报|说明|解读)(?:\s*[（(][^）)]{1,20}[）)])?$"
)


def _compact(text: str) -> str:
    return _ALLWS.sub("", text)


def _class_words(ident: str) -> set[str]:
    return {w.lower() for w in _CLASS_WORD.findall(ident)}


def _is_hidden(node: _Node) -> bool:
    a = node.attrs
    if node.tag in ("html", "body"):
        return False
    if "hidden" in a:
        return True
    style = a.get("style")
    return bool(style and _HIDDEN.search(style))


def _clean_line(text: str) -> str:
    """Whitespace runs → one space; no space at either end (ideographic spaces included)."""
    text = _WS.sub(" ", text)
    return text.strip(" \u3000\t")


_INDENT = re.compile(r"^[ \t\r\n\f\v\u200b\ufeff]*([\u3000\xa0\u2002\u2003][\u3000\xa0\u2002\u2003 ]*)")


def _line_text(text: str) -> str:
    """A rendered line: clean, but keeping the indentation the document prints (　　 or &nbsp;&nbsp;), which
    the normaliser reads as the start of a paragraph. The markup's own spaces and newlines are not indentation."""
    m = _INDENT.match(text)
    body = _clean_line(text)
    if m and body:
        lead = m.group(1).replace(" ", "")
        return lead + body
    return body


def _collapse_spacing(text: str) -> str:
    """几 个 问 题 的 通 知 → 几个问题的通知: a run of three or more single characters spaced apart (a letter-spaced
    title) is written together; spaces between words (广州市医疗保障局 广州市财政局) stay."""
    tokens = re.split(r"[ \u3000]+", text.strip())
    out: list[str] = []
    run: list[str] = []

    def close() -> None:
        if len(run) >= 3:
            out.append("".join(run))
        else:
            out.extend(run)
        run.clear()

    for tok in tokens:
        if len(tok) == 1 and _CJK.match(tok):
            run.append(tok)
        else:
            close()
            out.append(tok)
    close()
    return " ".join(t for t in out if t)


_SITE_PREFIX = re.compile(r"^[^-_|—–]{2,30}(?:门户网站|政府网|网站|官网|政务网)\s*[-_|—–]+\s*")


def _clean_title(text: str, site: str | None = None) -> str:
    text = _clean_line(text)
    text = page_title(text)
    text = _SITE_PREFIX.sub("", text)
    if site:
        text = re.sub(rf"\s*[-_|—–]+\s*{re.escape(site)}\s*[-_]*\s*$", "", text)
    text = re.sub(r"\s*[-_|—–]{2,}\s*$", "", text)
    text = _REPOST.sub("", text)
    return _collapse_spacing(text).strip()


# ------------------------------------------------------------------------------------------- the walks

def _preorder(root: _Node) -> list[_Node]:
    """Element nodes in document order, without junk subtrees; sets inlink, skip (junk, hidden) and hidden."""
    order: list[_Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        kids = []
        for child in node.children:
            if isinstance(child, str):
                continue
            if child.tag in _JUNK:
                child.skip = True
                continue
            if node.hidden or _is_hidden(child):
                child.skip = not node.hidden  # the hidden element itself; its children are reached through it
                child.hidden = True
            child.inlink = child if child.tag == "a" else node.inlink
            kids.append(child)
        stack.extend(reversed(kids))
    return order


def _text_of(node: _Node, limit: int = 100_000) -> str:
    """All text under a node (skipping junk), at most ``limit`` characters; iterative."""
    parts: list[str] = []
    size = 0
    stack: list = [node]
    while stack and size < limit:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
            size += len(item)
            continue
        if item is not node and (item.skip or item.tag in _JUNK):
            continue
        if item.tag == "br" or item.tag in _BLOCK:
            parts.append(" ")
        stack.extend(reversed(item.children))
    return "".join(parts)


def _raw_stats(order: list[_Node]) -> None:
    """chars, link chars, punctuation and CJK of every subtree (bottom-up over the pre-order list)."""
    for node in reversed(order):
        chars = links = punct = cjk = 0
        size, blocks, tables = 1, 0, 0
        for child in node.children:
            if isinstance(child, str):
                n = len(_compact(child)) if child.strip() else 0
                if n:
                    chars += n
                    punct += len(_PUNCT.findall(child))
                    cjk += len(_CJK.findall(child))
                    if node.inlink:
                        links += n
            elif not child.skip:
                chars += child.chars
                links += child.links
                punct += child.punct
                cjk += child.cjk
                size += child.size
                blocks += child.blocks + (child.tag in _COUNTED_BLOCKS)
                tables += child.tables + (child.tag == "table")
        node.chars, node.links, node.punct, node.cjk = chars, links, punct, cjk
        node.size, node.blocks, node.tables = size, blocks, tables


_COUNTED_BLOCKS = frozenset("p div li h1 h2 h3 h4 h5 h6 table".split())
#: the most elements a subtree may hold for its text to be looked at as a label, a heading or a title
_SMALL = 60


def _content_like(node: _Node) -> bool:
    nonlink = node.chars - node.links
    return nonlink >= 200 and node.links < 0.3 * node.chars and node.punct >= 5


def _mark_chrome(order: list[_Node]) -> None:
    """Chrome by tag, by class/id word and by related-reading headings (top-down)."""
    for node in order:
        parent = node.parent
        if parent is not None and parent.chrome:
            node.chrome = True
            continue
        if node.tag in ("html", "body", "#root"):
            continue
        chrome = node.tag in _CHROME_TAGS
        if not chrome:
            ident = node.ident()
            if ident and _class_words(ident) & _CHROME_WORDS:
                chrome = True
        if chrome and not _content_like(node):
            node.chrome = True
    # a related-reading heading: the heading and the link lists after it (a page has a few; at most 100 are
    # looked at, so that a page of thousands of them stays linear)
    seen = 0
    for node in order:
        if seen >= 100:
            break
        if node.chrome or node.chars > 14 or node.chars == 0 or node.size > _SMALL or node.tag in ("html", "body", "#root"):
            continue
        if node.tag not in _BLOCK and node.tag not in ("span", "b", "strong", "em", "font", "a", "label", "i"):
            continue
        text = _compact(_text_of(node, 60))
        if not _RELATED.match(text):
            continue
        seen += 1
        head = node
        # climb to the element that is the heading's own box (its parent holds only the heading)
        while head.parent is not None and head.parent.chars == head.chars and head.parent.tag not in ("body", "html"):
            head = head.parent
        box = head.parent
        if box is None:
            continue
        siblings = [c for c in box.children if isinstance(c, _Node) and not c.skip]
        rest = box.chars - head.chars
        if box.tag not in ("body", "html", "#root") and (rest == 0 or box.links >= 0.5 * rest) and not _content_like(box):
            box.chrome = True
            _mark_subtree(box)
            continue
        head.chrome = True
        _mark_subtree(head)
        after = False
        for sib in siblings:
            if sib is head:
                after = True
                continue
            if after:
                if sib.chars and sib.links >= 0.5 * sib.chars:
                    sib.chrome = True
                    _mark_subtree(sib)
                elif sib.chars:
                    break


def _mark_subtree(node: _Node) -> None:
    stack = [node]
    while stack:
        n = stack.pop()
        n.chrome = True
        # an element already marked has its whole subtree marked: each element is walked once
        stack.extend(c for c in n.children if isinstance(c, _Node) and not c.chrome)


# --------------------------------------------------------------------------------------------- fields

def _label_value(text: str) -> tuple[str, str] | None:
    """``文　　号：穗医保规字〔2019〕4号`` → (文号, 穗医保规字〔2019〕4号); a label alone gives value ''."""
    stripped = text.strip(" \t\r\n\xa0\u3000")
    m = re.search(r"[:：]", stripped)
    if m:
        label = _compact(stripped[: m.start()])
        if label in _LABEL_SET:
            return label, stripped[m.end():]
        return None
    label = _compact(stripped)
    if label in _LABEL_SET:
        return label, ""
    return None


_LABEL_SET = frozenset(_LABELS)


def _clean_value(value: str) -> str:
    value = _FIELD_SPLIT.split(_clean_line(value), maxsplit=1)[0]
    value = value.strip(" \u3000\t：:")
    return "" if value in ("-", "—", "--") else value


def _parse_field_line(line: str) -> list[tuple[str, str]]:
    """Every ``label：value`` of a line: 发布日期：2024-09-12 浏览次数：- → [(发布日期, 2024-09-12)]."""
    out = []
    for part in _FIELD_SPLIT.split(_clean_line(line)):
        m = _FIELD_START.match(part)
        if m:
            out.append((_compact(m["label"]), _clean_value(part[m.end():])))
    return out


def _next_element(node: _Node) -> _Node | None:
    parent = node.parent
    if parent is None:
        return None
    for child in parent.children[node.index + 1: node.index + 8]:
        if isinstance(child, str):
            if child.strip():
                return None
            continue
        if not child.skip:
            return child
    return None


def _find_fields(order: list[_Node]) -> dict[str, str]:
    """Label/value elements of information tables; marks them ``fieldy`` (they never reach the text)."""
    candidates: list[tuple[_Node, str, str, _Node | None, bool]] = []
    taken: set[int] = set()
    for node in order:
        if node.tag in ("html", "body", "#root") or node.chars == 0 or node.chars > 200 or node.size > _SMALL:
            continue
        if id(node.parent) in taken:
            taken.add(id(node))
            continue
        text = _text_of(node, 400)
        lv = _label_value(text)
        if lv is None or len(_parse_field_line(text)) > 1:
            continue  # not a label, or a box of several labels: its parts are looked at
        label, value = lv
        colon = bool(re.search(r"[:：]", text))
        value_node = None
        if not _compact(value):
            nxt = _next_element(node)
            if nxt is not None and nxt.chars <= 300 and nxt.size <= _SMALL and (node.tag in _CELLS + ("dt",) or nxt.tag in _CELLS + ("dd",)
                                                         or nxt.tag == node.tag or nxt.tag in ("span", "b", "font", "em", "i")):
                nxt_text = _text_of(nxt, 400)
                if _label_value(nxt_text) is None:
                    value, value_node = nxt_text, nxt
                else:
                    value = ""
            else:
                # <li><span>文　　号：</span> 穗医保规字〔2019〕4号</li>: the rest of the parent
                parent = node.parent
                if (parent is not None and parent.tag not in ("body", "html", "#root") and parent.chars <= 300
                        and parent.size <= _SMALL):
                    whole = _text_of(parent, 400)
                    lv2 = _label_value(whole)
                    if lv2 is not None and lv2[0] == label:
                        node = parent
                        value = lv2[1]
        candidates.append((node, label, value, value_node, colon))
        taken.add(id(node))
    groups: dict[int, int] = {}
    for node, *_ in candidates:
        for g in _groups_of(node):
            groups[g] = groups.get(g, 0) + 1
    fields: dict[str, str] = {}
    for node, label, value, value_node, colon in candidates:
        n_group = max(groups.get(g, 0) for g in _groups_of(node))
        table_pair = value_node is not None and (node.tag in _CELLS or node.tag == "dt")
        if colon and n_group < 2 and not table_pair:
            continue  # a lone 「标题：…」 line is text (a loose header line is read later, by position)
        if not colon and n_group < 3:
            continue  # labels without colons only in a table of at least three of them
        node.fieldy = True
        if value_node is not None:
            value_node.fieldy = True
        value = _clean_value(value)
        if value and len(value) <= 200:
            fields.setdefault(label, value)
    return fields


def _groups_of(node: _Node) -> list[int]:
    """The parent, grandparent and nearest table/list of a node: where its sibling labels stand."""
    out = []
    up = node.parent
    steps = 0
    while up is not None and steps < 4:
        out.append(id(up))
        if up.tag in ("table", "ul", "ol", "dl"):
            break
        up = up.parent
        steps += 1
    return out or [0]


# ------------------------------------------------------------------------------------------ selection

def _score(order: list[_Node]) -> None:
    """good and bad characters of every subtree (bottom-up)."""
    for node in reversed(order):
        good = bad = attach = 0
        if node.fieldy:
            node.good = node.bad = node.attach = 0
            continue
        for child in node.children:
            if isinstance(child, str):
                if not child.strip():
                    continue
                n = len(_compact(child))
                if node.chrome:
                    bad += n
                elif node.inlink is not None:
                    text = child.strip()
                    if _ATTACH_HREF.search(node.inlink.attrs.get("href", "")) or _ATTACH_TEXT.search(text):
                        good += n
                        attach += n
                    else:
                        bad += n
                elif n <= 40 and (_CHROME_LINE.match(_clean_line(child)) or _CHROME_ANY.search(child)):
                    bad += n
                else:
                    good += n
            elif not child.skip:
                good += child.good
                bad += child.bad
                attach += child.attach
        node.good, node.bad, node.attach = good, bad, attach


def _select(order: list[_Node]) -> _Node:
    best = order[0]
    best_score = best.good - best.bad
    for node in order:
        if node.chrome or node.fieldy or node.hidden or node.tag in _VOID:
            continue
        s = node.good - node.bad
        if s > best_score or (s == best_score and node.depth > best.depth and node.good >= best.good):
            best, best_score = node, s
    return best


# ------------------------------------------------------------------------------------------ rendering

class _Line:
    __slots__ = ("text", "centered", "strong", "zone", "heading", "br")

    def __init__(self, text: str, centered: bool, strong: bool, zone: int, heading: bool, br: bool) -> None:
        self.text = text
        self.centered = centered
        self.strong = strong
        self.zone = zone  # -1 before the content, 0 in it, 1 after it
        self.heading = heading
        self.br = br


def _style_flags(node: _Node, centered: bool, strong: bool) -> tuple[bool, bool]:
    a = node.attrs
    align = (a.get("align") or "").lower()
    style = a.get("style") or ""
    if node.tag in _BLOCK or node.tag == "center":
        if node.tag == "center" or align == "center" or _CENTER.search(style):
            centered = True
        elif align in ("left", "right", "justify") or re.search(r"text-align\s*:\s*(?:left|right|justify)", style, re.I):
            centered = False
    if node.tag in ("b", "strong", "th") or node.tag in _HEADINGS or _BOLD.search(style):
        strong = True
    else:
        m = _FONT_SIZE.search(style)
        if m:
            size = float(m.group(1)) * (1.0 if m.group(2).lower() == "pt" else 0.75)
            if size >= 15.5:
                strong = True
    return centered, strong


def _is_data_table(table: _Node) -> bool:
    """A table of the document (rows → lines) rather than a layout table (cells → blocks): no table inside it,
    no cell holding a long text or many blocks, and at least one row of two filled cells."""
    if table.tables:
        return False
    multi = False
    groups = [table] + [c for c in table.children if isinstance(c, _Node) and c.tag in ("tbody", "thead", "tfoot")]
    for group in groups:
        for row in group.children:
            if isinstance(row, str) or row.skip or row.tag != "tr":
                continue
            cells = [c for c in row.children if isinstance(c, _Node) and c.tag in _CELLS and not c.skip]
            if sum(1 for c in cells if c.chars) >= 2:
                multi = True
            if any(c.chars > 1500 or c.blocks > 12 for c in cells):
                return False
    return multi


def _render(top: _Node, content: _Node | None, extra: tuple = ()) -> list[_Line]:
    """The lines under ``top``; lines inside ``content`` (and ``extra`` nodes after it) have zone 0, before it -1,
    after it 1."""
    inside = {id(n) for n in (content, *extra) if n is not None}
    lines: list[_Line] = []
    parts: list[str] = []
    state = {"strong": 0, "chars": 0, "centered": False, "heading": False, "started": False}
    zone = -1 if content is not None and content is not top else 0
    data_tables: dict[int, bool] = {}

    def flush(br: bool = False) -> None:
        text = _line_text("".join(parts))
        if text:
            strong = state["chars"] > 0 and state["strong"] >= 0.6 * state["chars"]
            lines.append(_Line(text, state["centered"], strong, zone, state["heading"], br))
        parts.clear()
        state.update(strong=0, chars=0, centered=False, heading=False, started=False)

    def add_text(text: str, centered: bool, strong: bool, heading: bool) -> None:
        if not parts or not state["started"]:
            state["centered"] = centered
            state["heading"] = heading
            state["started"] = bool(text.strip())
        parts.append(text)
        n = len(_compact(text))
        state["chars"] += n
        if strong:
            state["strong"] += n

    # stack items: ("node", node, centered, strong, heading) | ("end", node) | ("text", str, c, s, h)
    stack: list[tuple] = [("node", top, False, False, False)]
    while stack:
        item = stack.pop()
        kind = item[0]
        if kind == "text":
            _, text, centered, strong, heading = item
            add_text(text, centered, strong, heading)
            continue
        if kind == "end":
            node = item[1]
            if id(node) in inside:
                flush()
                zone = 1
            elif node.tag in _BLOCK or node.tag == "br":
                flush()
            continue
        _, node, centered, strong, heading = item
        if node.skip or node.fieldy:
            continue
        if node.chrome and zone == 0:
            continue
        if id(node) in inside:
            flush()
            zone = 0
        if node.tag == "br":
            flush(br=True)
            continue
        centered, strong = _style_flags(node, centered, strong)
        heading = heading or node.tag in _HEADINGS
        if node.tag in _BLOCK:
            flush()
        if node.tag == "tr":
            table = node.parent
            while table is not None and table.tag != "table":
                table = table.parent
            if table is not None:
                key = id(table)
                if key not in data_tables:
                    data_tables[key] = _is_data_table(table)
                if data_tables[key]:
                    cells = []
                    for cell in node.children:
                        if isinstance(cell, _Node) and cell.tag in _CELLS and not cell.skip and not cell.fieldy:
                            if cell.chrome and zone == 0:
                                continue
                            cell_lines = [_clean_line(l.text) for l in _render(cell, None)]
                            text = " ".join(t for t in cell_lines if not _CHROME_LINE.match(t))
                            if text:
                                cells.append(text)
                    if cells:
                        lines.append(_Line("\t".join(cells), centered, False, zone, False, False))
                    if id(node) in inside:
                        zone = 1
                    continue
        stack.append(("end", node))
        for child in reversed(node.children):
            if isinstance(child, str):
                if node.tag == "pre" and "\n" in child:
                    pieces = child.split("\n")
                    for i in range(len(pieces) - 1, -1, -1):
                        stack.append(("text", pieces[i], centered, strong, heading))
                        if i:
                            stack.append(("node", _BR, centered, strong, heading))
                else:
                    stack.append(("text", child, centered, strong, heading))
            else:
                stack.append(("node", child, centered, strong, heading))
    flush()
    return lines


_BR = _Node("br", {}, None)


# ------------------------------------------------------------------------------------------- the page

def _attachments_after(content: _Node) -> tuple:
    """Attachment blocks standing after the content box (附件：<a>X.docx</a>): they are part of the document."""
    out = []
    node = content
    for _ in range(2):
        parent = node.parent
        if parent is None:
            break
        seen = False
        for sib in parent.children:
            if sib is node:
                seen = True
                continue
            if not seen or isinstance(sib, str) or sib.skip or sib.chrome or sib.fieldy or sib.hidden or not sib.chars:
                continue
            text = _compact(_text_of(sib, 200))
            if sib.attach >= 0.5 * sib.chars or (text.startswith(("附件", "附表")) and sib.links >= 0.3 * sib.chars):
                out.append(sib)
        node = parent
    return tuple(out)


def _meta_fields(metas: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, str]]:
    fields: dict[str, str] = {}
    raw: dict[str, str] = {}
    for name, content in metas:
        key = name.lower()
        value = _clean_line(content)
        if not value:
            continue
        raw.setdefault(key, value)
        label = _META_LABELS.get(key)
        if label and value not in ("本网",):
            fields.setdefault(label, value)
    return fields, raw


def _title_candidates(order: list[_Node]) -> list[tuple[_Node, str]]:
    out = []
    for node in order:
        if node.tag in ("h1", "h2") or (node.tag not in ("body", "html", "#root") and node.chars and node.chars <= 200
                                         and _class_words(node.ident()) & {"title", "tit", "bt", "biaoti", "headline"}):
            if node.chars == 0 or node.chars > 200 or node.size > _SMALL or node.links > 0.5 * node.chars:
                continue
            text = _clean_line(_text_of(node, 400))
            if len(_compact(text)) < 4 or _CHROME_LINE.match(text) or _CHROME_ANY.search(text):
                continue
            out.append((node, text))
    return out


def _choose_title(order: list[_Node], content: _Node, meta: dict[str, str], raw_meta: dict[str, str],
                  fields: dict[str, str], page_title_text: str) -> str | None:
    site = raw_meta.get("sitename")
    known = [t for t in (meta.get("标题"), fields.get("标题"), fields.get("名称"), page_title_text) if t]
    known_keys = {_compact(_clean_title(t, site)) for t in known}
    known_keys.discard("")
    candidates = _title_candidates(order)
    page_key = _compact(page_title_text)
    for node, text in candidates:
        key = _compact(_clean_title(text, site))
        if key in known_keys or (len(key) >= 6 and key in page_key):
            return _clean_title(text, site)
    if meta.get("标题"):
        return _clean_title(meta["标题"], site) or None
    # an <h1> near the content: inside it, or the last one before it
    inside = [t for n, t in candidates if n.tag == "h1" and _is_inside(n, content)]
    if inside:
        return _clean_title(inside[0], site)
    before = [t for n, t in candidates if n.tag == "h1"]
    for label in ("标题", "名称"):
        if fields.get(label):
            return _clean_title(fields[label], site)
    if before:
        return _clean_title(before[-1], site)
    if page_title_text:
        t = _clean_title(page_title_text, site)
        return t or None
    return None


def _is_inside(node: _Node, ancestor: _Node) -> bool:
    while node is not None:
        if node is ancestor:
            return True
        node = node.parent
    return False


def _title_window(lines: list[str], title_key: str, start: int, limit: int) -> tuple[int, int] | None:
    """Lines [i, j) among the first ``limit`` whose joined text is the title."""
    n = min(len(lines), limit)
    for i in range(start, n):
        acc = ""
        for j in range(i, min(n, i + 6)):
            acc += _compact(_REPOST.sub("", lines[j]) if j == i else lines[j])
            if acc == title_key:
                return i, j + 1
            if not title_key.startswith(acc):
                break
    return None


def _leading_title(lines: list[_Line]) -> tuple[int, int] | None:
    """The centred heading lines a content fragment starts with: 国务院办公厅关于加强 / 三级公立医院…的意见."""
    i = 0
    while i < len(lines) and i < 3 and not lines[i].centered:
        i += 1
    j = i
    while j < len(lines) and j - i < 6:
        line = lines[j]
        t = _clean_line(line.text)
        if not (line.centered and (line.strong or line.heading)) or len(_compact(t)) > 40 or _NUMBER_LINE.match(_compact(t)):
            break
        if re.search(r"[。；：:]$", t) or t.startswith(("附件", "附表")):
            break
        j += 1
    if j == i:
        return None
    joined = _compact(_collapse_spacing(_join_pieces([l.text for l in lines[i:j]])))
    if "关于" in joined or _TITLE_END.search(_compact(joined)):
        return i, j
    return None


def _join_pieces(pieces: list[str]) -> str:
    """Lines of one title joined: no space between Chinese characters, one between Latin words."""
    pieces = [_collapse_spacing(_clean_line(p)) for p in pieces]
    out = pieces[0] if pieces else ""
    for piece in pieces[1:]:
        if out and piece and (ord(out[-1]) > 0x2E80 or ord(piece[0]) > 0x2E80):
            out += piece
        else:
            out += " " + piece
    return out


def _chrome_line(text: str) -> bool:
    text = _clean_line(text)
    if _CHROME_LINE.match(text):
        return True
    return len(text) <= 60 and bool(_CHROME_ANY.search(text))


def extract_page(markup: str, path: str) -> PageText:
    """The document of a portal page (or of a content fragment): its text, title and information fields.

    Raises :class:`ReadError` when the page carries almost no body text (a list of links, an empty shell).
    """
    builder = _parse(markup)
    root = builder.root
    order = _preorder(root)
    _raw_stats(order)
    fields = _find_fields(order)
    _mark_chrome(order)
    _score(order)
    content = _select(order)
    meta_fields, raw_meta = _meta_fields(builder.metas)
    page_title_text = _clean_line("".join(builder.title_parts))

    all_lines = _render(root, content, _attachments_after(content))
    before = [l for l in all_lines if l.zone < 0]
    body = [l for l in all_lines if l.zone == 0]

    # header lines before the content: 发表时间：… 信息来源：…
    for line in before:
        for label, value in _parse_field_line(line.text):
            if value:
                fields.setdefault(label, value)

    # inside the content: chrome lines go; field lines at its head become fields
    kept: list[_Line] = []
    started = False
    for line in body:
        text = line.text
        if _chrome_line(text):
            continue
        if not started:
            pairs = _parse_field_line(text)
            if pairs and len(text) <= 150:
                for label, value in pairs:
                    if value:
                        fields.setdefault(label, value)
                continue
            if _DATE_ONLY.match(_clean_line(text)):
                continue
            if not line.heading and not (line.centered and line.strong):
                started = True
        kept.append(line)
    for label, value in meta_fields.items():
        fields.setdefault(label, value)

    title = _choose_title(order, content, meta_fields, raw_meta, fields, page_title_text)
    texts = [l.text for l in kept]
    title_index: int | None = None
    if title:
        key = _compact(title)
        window = _title_window(texts, key, 0, 12)
        if window is not None:
            again = _title_window(texts, key, window[1], len(texts))
            first_line = kept[window[0]]
            if again is not None and (again[0] - window[1] <= 3 or first_line.heading
                                      or (first_line.centered and first_line.strong)):
                # the page's heading and the document's own title line: keep the document's
                del texts[window[0]:window[1]]
                del kept[window[0]:window[1]]
                window = (again[0] - (window[1] - window[0]), again[1] - (window[1] - window[0]))
            i, j = window
            texts[i:j] = [_collapse_spacing(_join_pieces(texts[i:j]))]
            title_index = i
        else:
            later = _title_window(texts, key, 12, len(texts))
            if later is not None:
                # the page's heading names a document printed further down (a notice issuing a plan, on a page
                # titled with the plan): that line is the title line; nothing is put first
                i, j = later
                texts[i:j] = [_collapse_spacing(_join_pieces(texts[i:j]))]
                title_index = i
            elif key in _compact("".join(texts[:8]))[:300]:
                title_index = None  # cited in the opening lines (现将《X》印发给你们)
            else:
                texts.insert(0, title)
                title_index = 0
    else:
        window = _leading_title(kept)
        if window is not None:
            i, j = window
            joined = _collapse_spacing(_join_pieces(texts[i:j]))
            texts[i:j] = [joined]
            title = joined
            title_index = i

    body_cjk = sum(len(_CJK.findall(t)) for k, t in enumerate(texts) if k != title_index)
    if body_cjk < 30:
        shown = " / ".join(texts[:3])[:80] or "nothing but navigation and links"
        raise ReadError(f"is an HTML page with almost no body text ({body_cjk} characters): {shown}", path)
    return PageText(text="\n".join(texts), title=title or None, fields=fields)
