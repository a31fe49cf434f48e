"""Normalisation: PDF-extraction debris undone, and every character mapped back to the raw text."""
from policykg.loaders.normalise import normalise

from helpers import FILES


def lines(text: str) -> list[str]:
    n = normalise(text)
    return [n.line(i) for i in range(len(n.lines))]


def test_fullwidth_digits_and_letters_become_ascii():
    assert lines("２０２４年１月１３日\n") == ["2024年1月13日"]
    assert lines("运用“快速审核＋ＥＲＰ联网”模式提交申请。") == ["运用“快速审核+ERP联网”模式提交申请。"]


def test_ascii_punctuation_takes_chinese_form_but_numbers_and_markers_stay():
    assert lines("(一)市场准入.系统提升服务品质,同步集成业务.") == ["（一）市场准入。系统提升服务品质，同步集成业务。"]
    assert lines("1. 市场准入。提高到2.5倍,达到1,000个.") == ["1.市场准入。提高到2.5倍，达到1,000个。"]
    assert lines("«上海市落实 ‹总体方案› 的实施方案»") == ["《上海市落实〈总体方案〉的实施方案》"]
    assert lines("(２０２４－２０２６年)") == ["（2024-2026年）"]


def test_spaces_between_chinese_characters_are_dropped():
    assert lines("上 海 市 人 民 政 府 办 公 厅 文 件") == ["上海市人民政府办公厅文件"]
    assert lines("森林生态效 益 补 偿 资 金 核 拨、支 付 的 重 要 依据。") == ["森林生态效益补偿资金核拨、支付的重要依据。"]
    assert lines("本行动方案自 2023 年 4 月 3 日起施行。") == ["本行动方案自2023年4月3日起施行。"]
    assert lines("建立与欧盟 Peppol system 对接") == ["建立与欧盟Peppol system对接"]


def test_page_number_lines_and_blank_lines_are_dropped_and_the_sentence_rejoined():
    raw = "全面推广“一企、这是一个足够长的行用来占满宽度\n—２—\n\n\n\n一照、一码”应用，推出更多场景。\n"
    assert lines(raw) == ["全面推广“一企、这是一个足够长的行用来占满宽度一照、一码”应用，推出更多场景。"]
    assert lines("第一段结束。\n—０３—\n第二段开始。") == ["第一段结束。", "第二段开始。"]


def test_private_use_glyphs_stand_for_ellipsis():
    assert lines("通过‘上海市敬老卡’发放\U001001ba\U001001ba”修订") == ["通过‘上海市敬老卡’发放……”修订"]


def test_headings_dates_and_numbers_are_never_joined():
    raw = "一、总体目标\n以习近平新时代中国特色社会主义思想为指导，全面贯彻落实。\n2024年1月13日\n（此件公开发布）\n"
    assert lines(raw) == ["一、总体目标", "以习近平新时代中国特色社会主义思想为指导，全面贯彻落实。", "2024年1月13日", "（此件公开发布）"]


def test_offsets_point_back_to_the_raw_characters():
    raw = FILES["003"].read_text(encoding="utf-8")
    n = normalise(raw)
    assert len(n.offsets) == len(n.text)
    assert all(a < b for a, b in zip(n.offsets, n.offsets[1:])), "offsets must be strictly increasing"
    fullwidth = {chr(c + 0xFEE0): chr(c) for c in range(0x21, 0x7F)}
    equivalents = {"。": ".．", "，": ",", "：": ":", "；": ";", "？": "?", "！": "!", "（": "(", "）": ")", "《": "«", "》": "»", "〈": "‹", "〉": "›", "…": "", "-": "－—–"}
    for i, ch in enumerate(n.text):
        r = raw[n.offsets[i]]
        if ch == "\n":
            assert r in "\n\r"
        elif ch == "…":
            assert ord(r) >= 0xF0000 or r == "…"
        else:
            assert r == ch or fullwidth.get(r) == ch or r in equivalents.get(ch, ""), (i, ch, r)
