"""Kinds of document beyond the bundled five: chapters, unheaded articles, Chinese-numeral dates,
portal metadata blocks, gazette running heads, issued titles that differ from their citation.

Each text below is written the way such documents are printed; the expected values follow from the text.
"""
from __future__ import annotations

import hashlib

from policykg.loaders.model import SourceText
from policykg.loaders.parse import parse_source
from policykg.loaders.read import read_bytes


def parse(text: str, fmt: str = "text"):
    return parse_source(SourceText(path="x.txt", format=fmt, text=text,
                                   sha256=hashlib.sha256(text.encode()).hexdigest(), size=len(text))).documents


REGULATION = """某省电动自行车管理条例
第一章　总　则
第一条　为了加强电动自行车管理，保障道路交通安全，根据有关法律、行政法规，结合本省实际，制定本条例。
第二条　本省行政区域内电动自行车的生产、销售、登记、通行及其相关管理活动，适用本条例。
第二章　登　记
第三条　电动自行车应当依法登记。有下列情形之一的，不予登记：
（一）未取得产品合格证的；
（二）车辆与合格证记载不符的。
第四条　公安机关交通管理部门负责电动自行车登记工作。
第三章　附　则
第五条　本条例自二〇二四年三月一日起施行。
"""


def test_regulation_with_chapters_unheaded_articles_and_points():
    [doc] = parse(REGULATION)
    assert doc.doc_type == "regulation"
    assert doc.in_force == "2024-03-01"  # written in Chinese numerals
    chapters = [p for p in doc.provisions if p.kind == "chapter"]
    assert [c.path for c in chapters] == ["chp_1", "chp_2", "chp_3"]
    assert [c.heading for c in chapters] == ["总则", "登记", "附则"]
    articles = [p for p in doc.walk() if p.kind == "article"]
    # articles are numbered through the document, under the chapter that holds them (issue 13)
    assert [a.path for a in articles] == ["chp_1__art_1", "chp_1__art_2", "chp_2__art_3", "chp_2__art_4", "chp_3__art_5"]
    assert all(a.heading is None for a in articles)
    assert articles[0].text.startswith("为了加强电动自行车管理")
    points = [p for p in doc.walk() if p.kind == "point"]
    assert [p.path for p in points] == ["chp_2__art_3__point_1", "chp_2__art_3__point_2"]
    assert points[1].text == "车辆与合格证记载不符的。"


NOTICE_CN_DATE = """某市人民政府办公厅关于印发《某市优化营商环境行动方案（2024-2026年）》的通知
某府办发〔2024〕12号
各区人民政府，市政府各委、办、局：
《某市优化营商环境行动方案》已经市政府同意，现印发给你们，请认真贯彻执行。
某市人民政府办公厅
二〇二四年三月五日
（此件公开发布）
某市优化营商环境行动方案
一、工作目标
到2026年，营商环境达到国内一流水平。
二、重点任务
（一）深化改革。全面推行告知承诺制。推进“一网通办”。
（二）优化服务。建设企业服务平台。
"""


def test_notice_issuing_a_plan_whose_title_differs_from_the_citation():
    notice, plan = parse(NOTICE_CN_DATE)
    assert notice.number == "某府办发〔2024〕12号" and notice.date_signed == "2024-03-05"
    assert notice.release_marking == "此件公开发布"
    assert plan.title == "某市优化营商环境行动方案"  # the citation carries （2024-2026年）, the plan heading does not
    assert plan.promulgated_by == notice.key and notice.promulgates == [plan.key]
    assert plan.doc_type == "action-plan" and plan.date_signed == "2024-03-05"
    measures = [p.text for p in plan.walk() if p.kind == "measure"]
    assert measures == ["到2026年，营商环境达到国内一流水平。", "全面推行告知承诺制。", "推进“一网通办”。", "建设企业服务平台。"]


PORTAL = """<html><head><meta charset="utf-8"></head><body>
<div class="nav"><a href="/">首页</a></div>
<div class="content">
<table class="info"><tr><td>索引号：000-2024-001</td></tr>
<tr><td>发文机关：某市人民政府</td></tr>
<tr><td>成文日期：2024年02月20日</td></tr>
<tr><td>发文字号：某府规〔2024〕3号</td></tr></table>
<p>某市人民政府关于进一步支持中小企业发展的通知</p>
<p>各区人民政府，市政府各部门：</p>
<p>一、加大金融支持。</p>
<p>二、本通知自2024年4月1日起施行，有效期至2029年3月31日。</p>
</div><div class="footer">网站地图</div></body></html>"""


def test_portal_page_with_a_metadata_block():
    src = read_bytes(PORTAL.encode("utf-8"), "page.html")
    [doc] = parse_source(src).documents
    assert doc.title == "某市人民政府关于进一步支持中小企业发展的通知"
    assert doc.number == "某府规〔2024〕3号"
    assert doc.date_signed == "2024-02-20"
    assert (doc.in_force, doc.expiry) == ("2024-04-01", "2029-03-31")
    assert doc.issuer == "某市人民政府"
    assert [p.path for p in doc.provisions] == ["sec_1", "sec_2"]


GAZETTE = """某市人民政府公报
某市人民政府关于调整最低工资标准的通知
某府发〔2024〕5号
各区人民政府：
经研究，决定调整本市最低工资标准，现将有关事项通知如下：
一、月最低工资标准从2590元调整到2690元。
某市人民政府公报
二、本通知自2024年7月1日起执行。
某市人民政府
2024年6月1日
某市人民政府公报
"""


def test_gazette_running_heads_are_dropped():
    [doc] = parse(GAZETTE)
    assert doc.number == "某府发〔2024〕5号" and doc.in_force == "2024-07-01"
    assert doc.issuer == "某市人民政府" and doc.date_signed == "2024-06-01"
    texts = [p.text for p in doc.walk() if p.text]
    assert not any("公报" in t for t in texts)
    assert [p.path for p in doc.provisions] == ["preamble", "sec_1", "sec_2"]


# Found by the synthetic corpus of the benchmarks (bench/): a decree and a trial regulation as a gazette's text
# layer prints them — half-width punctuation, lines cut at the page width, the title exactly one line wide.
GAZETTE_TRIAL_REGULATION = """某市人民政府令
第7号
«某市公共数据开放管理办法(试行)»已经2023年3月1日市政府
第12次常务会议通过,现予公布,自2023年6月1日起施行.
市长　张三
2023年3月6日
某市公共数据开放管理办法(试行)
(2023年3月6日某市人民政府令第7号公布　自202
3年6月1日起施行)
第一条　(目的)
为了规范公共数据开放,促进数据利用,制定本办
法.
"""


def test_a_title_ending_in_a_qualifier_is_complete():
    docs = parse(GAZETTE_TRIAL_REGULATION)
    assert [d.doc_type for d in docs] == ["decree", "regulation"]
    assert docs[1].title == "某市公共数据开放管理办法（试行）"  # not run on into the promulgation note


FTZ_ITEMS = """某市推进数字政府建设实施方案
一、重点任务
（一）数据共享
1.完善公共数据目录。（责任单位：市大数据中心）
2.2025年底前，建成统一的数据共享交换平台，实现各部门数据按需共享。（责任单位：市大数据中心、市经济信息化委）
3.推进数据分级分类。推动各部门完成数据分级。（责任单位：市经济信息化委）
"""


def test_items_with_one_short_sentence_and_items_starting_with_a_year():
    [doc] = parse(FTZ_ITEMS)
    items = [p for p in doc.walk() if p.kind == "item"]
    assert [i.path for i in items] == ["sec_1__subsec_1__item_1", "sec_1__subsec_1__item_2", "sec_1__subsec_1__item_3"]
    measures = [(p.path, p.text) for p in doc.walk() if p.kind == "measure"]
    assert measures == [
        # one short sentence and a unit list: a measure, not a heading
        ("sec_1__subsec_1__item_1__meas_1", "完善公共数据目录。"),
        # 2.2025年底前… is item 2, not the decimal number 2.2025
        ("sec_1__subsec_1__item_2__meas_1", "2025年底前，建成统一的数据共享交换平台，实现各部门数据按需共享。"),
        # a short first sentence followed by another sentence stays the item's heading
        ("sec_1__subsec_1__item_3__meas_1", "推动各部门完成数据分级。"),
    ]
    assert items[2].heading == "推进数据分级分类"


# Found by the 10,000-document benchmark: a serial part after the type word (…的通知（二）) hid the title, so the
# header line 某市人民政府文件 became the title; a cited title cut by a page break before its 》 lost the act.
SERIAL_NOTICE = """某市人民政府文件
某府规〔2025〕2号
某市人民政府关于做好乡村振兴工作的通知（二）
各区人民政府，市政府各委、办、局：
为做好本市乡村振兴工作，现就有关事项通知如下：
一、加强统筹
各区应当建立工作机制。
某市人民政府
2025年7月10日
"""

GAZETTE_TITLE_CUT_BY_PAGE_BREAK = """某市人民政府令
第24号
«某市防护林管理规定(2020年第2次修订)
— 36 —
»已经2020年3月17日市政府第64次常务会
议通过,现予公布,自2021年7月1日起施行.
市长　张三
2020年3月17日
某市防护林管理规定(2020年第2次修订)
(2020年3月17日某市人民政府令第24号
公布　自2021年7月1日起施行)
第一条　(目的和依据)
为了保护防护林,制定本规定.
"""


def test_a_notice_title_with_a_serial_part():
    [doc] = parse(SERIAL_NOTICE)
    assert (doc.title, doc.doc_type, doc.number) == ("某市人民政府关于做好乡村振兴工作的通知（二）", "notice", "某府规〔2025〕2号")


def test_a_cited_title_cut_by_a_page_break_before_its_closing_bracket():
    docs = parse(GAZETTE_TITLE_CUT_BY_PAGE_BREAK)
    assert [(d.doc_type, d.title) for d in docs] == [("decree", "某市人民政府令第24号"),
                                                      ("regulation", "某市防护林管理规定（2020年第2次修订）")]


EDITION_PLAN = """某市全面提升科技创新水平实施方案（2025年版）
一、总体要求
（一）加强统筹
建立工作机制，定期研究重大事项。
"""


def test_a_plan_title_with_an_edition_is_still_a_plan():
    # found by the 10,000-document benchmark: （2025年版） made the plan "other", so no district plan followed it
    [doc] = parse(EDITION_PLAN)
    assert (doc.title, doc.doc_type) == ("某市全面提升科技创新水平实施方案（2025年版）", "implementation-plan")


CO_ISSUED_NOTICE_WITH_A_HEADLESS_TEXT = """某区科技局 某区人力资源和社会保障局 中共某区委统战部关于印发某区支持青年创新创业实施办法的通知
区属各单位：
　　《某区支持青年创新创业实施办法》已经区委、区政府同意，现印发实施。
　　某区科技局
　　某区人力资源和社会保障局
　　中共某区委统战部
　　2023年8月9日
　　第一条　为支持青年创新创业，制定本办法。
　　第二条　本办法由某区科技局负责解释。
　　第三条　本办法自2023年9月8日起施行。
"""


def test_a_co_issued_notice_and_the_text_it_issues_without_a_heading():
    notice, issued = parse(CO_ISSUED_NOTICE_WITH_A_HEADLESS_TEXT)
    assert notice.doc_type == "notice"
    # three co-issuers named together in the title: the signature block says where each ends
    assert notice.issuer == "某区科技局"
    assert notice.issuers == ["某区科技局", "某区人力资源和社会保障局", "中共某区委统战部"]
    # the issued text starts at its first article and takes the title the notice gives it
    assert (issued.title, issued.doc_type) == ("某区支持青年创新创业实施办法", "regulation")
    assert [p.path for p in issued.provisions] == ["art_1", "art_2", "art_3"]
    assert issued.issuers == notice.issuers and issued.date_signed == "2023-08-09"
    assert issued.in_force == "2023-09-08"


DECREE_OF_A_REVISED_REGULATION = """中华人民共和国国务院令
第706号
《专利代理条例》已经2018年9月6日国务院第23次常务会议修订通过，现将修订后的《专利代理条例》公布，自2019年3月1日起施行。
总理　李克强
2018年11月6日
专利代理条例
（1991年3月4日中华人民共和国国务院令第76号发布　2018年9月6日国务院第23次常务会议修订通过）
第一章　总　　则
第一条　为了规范专利代理行为，制定本条例。
第二条　本条例自2019年3月1日起施行。
"""


def test_a_decree_that_publishes_a_revised_regulation():
    decree, regulation = parse(DECREE_OF_A_REVISED_REGULATION)
    assert (decree.doc_type, decree.number, decree.title) == ("decree", "中华人民共和国国务院令第706号",
                                                              "中华人民共和国国务院令第706号")
    assert (regulation.title, regulation.doc_type) == ("专利代理条例", "regulation")
    assert regulation.promulgated_by == decree.key
    # signed when the decree is, not at the revision's adoption that its history gives
    assert regulation.date_signed == "2018-11-06"
    assert regulation.issuer == "中华人民共和国国务院"


REGULATION_WITH_ITS_PROMULGATION_NOTE = """中华人民共和国某某登记管理条例
（2021年7月27日中华人民共和国国务院令第746号公布）
第一章　总则
第一条　为了规范登记管理行为，制定本条例。
第二条　本条例自2022年3月1日起施行。
"""


def test_a_regulation_alone_is_cited_by_the_decree_number_its_note_prints():
    [doc] = parse(REGULATION_WITH_ITS_PROMULGATION_NOTE)
    assert doc.number == "中华人民共和国国务院令第746号"
    assert doc.issuer == "中华人民共和国国务院"
    assert doc.date_signed == "2021-07-27" and doc.in_force == "2022-03-01"
    assert doc.key == "2021/中华人民共和国某某登记管理条例"  # the decree's number identifies the decree


def test_a_title_followed_by_a_table_of_contents():
    docs = parse("国家某某应急预案\n目　　录\n1　总则\n2　组织机构\n1　总则\n为了做好应急工作，制定本预案。\n")
    assert [(d.title, d.doc_type) for d in docs] == [("国家某某应急预案", "plan")]


NOTICE_SIGNED_UNDER_ITS_ATTACHMENT_LIST = """某市民政局某市财政局关于印发某市最低生活保障标准的通知
各区民政局、财政局：
现将《某市最低生活保障标准》印发给你们，请遵照执行。
附件：1.某市最低生活保障标准.docx
2.申请表.xls
某市民政局　某市财政局
2025年5月30日
"""


def test_a_notice_signed_under_its_attachment_list_by_two_bodies_on_one_line():
    [doc] = parse(NOTICE_SIGNED_UNDER_ITS_ATTACHMENT_LIST)
    # the date under the attachment list is the notice's; the file names keep their dots
    assert doc.date_signed == "2025-05-30"
    # two bodies of one place written together, in the title and on one signature line
    assert doc.issuer == "某市民政局" and doc.issuers == ["某市民政局", "某市财政局"]


def test_split_bodies_only_where_a_place_begins_again_after_a_body():
    from policykg.loaders.metadata import split_bodies

    assert split_bodies("广州市医疗保障局广州市财政局广州市卫生健康委员会") == ["广州市医疗保障局", "广州市财政局", "广州市卫生健康委员会"]
    assert split_bodies("广州市人民政府办公厅") == ["广州市人民政府办公厅"]
    assert split_bodies("中共广州市天河区委统战部") == ["中共广州市天河区委统战部"]
    assert split_bodies("国务院办公厅") == ["国务院办公厅"]


PAGE_WITH_A_NOTICE_AND_THE_MEASURES_IT_ISSUES = """某市人民政府办公厅关于印发某市公共租赁住房管理办法的通知
各区人民政府：
《某市公共租赁住房管理办法》已经市人民政府同意，现印发给你们，请认真贯彻执行。
某市人民政府办公厅
2024年7月26日
某市公共租赁住房管理办法
第一条　为规范公共租赁住房管理，制定本办法。
第二条　本办法自印发之日起施行。
某市人民政府办公厅秘书处　2024年7月29日印发
"""


def test_in_force_from_the_day_of_issue_is_the_issuing_footers_date():
    notice, issued = parse(PAGE_WITH_A_NOTICE_AND_THE_MEASURES_IT_ISSUES)
    assert issued.title == "某市公共租赁住房管理办法"
    assert issued.in_force == "2024-07-29"  # 印发 on the 29th, signed on the 26th


def test_a_decree_takes_effect_with_what_it_promulgates():
    decree, _ = parse(DECREE_OF_A_REVISED_REGULATION)
    assert decree.in_force == "2019-03-01"


REPLY_APPROVING_AN_ATTACHED_TEXT = """国务院关于同意建立某某工作部际联席会议制度的批复
国函〔2018〕144号
教育部：
你部关于建立某某工作部际联席会议制度的请示收悉。现批复如下：
同意建立由教育部牵头的某某工作部际联席会议制度。联席会议不刻制印章，不正式行文，请按照国家有关文件规定认真组织开展工作。
附件：某某工作部际联席会议制度
国务院
2018年11月20日
附件
某某工作部际联席会议制度
一、主要职能
统筹协调全国某某工作。
二、成员单位
联席会议由教育部、人力资源社会保障部组成。
"""


def test_a_reply_and_the_text_it_approves_attached_to_it():
    reply, approved = parse(REPLY_APPROVING_AN_ATTACHED_TEXT)
    assert reply.doc_type == "reply" and reply.number == "国函〔2018〕144号"
    assert approved.title == "某某工作部际联席会议制度"
    assert (approved.issuer, approved.date_signed) == ("国务院", "2018-11-20")
    assert [p.path for p in approved.provisions if p.kind == "part"] == ["sec_1", "sec_2"]
