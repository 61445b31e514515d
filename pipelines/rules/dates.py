"""Find publication dates in list rows, article URLs and article pages (README: How columns are judged).

Pure functions over strings: ``today`` is always passed in, the clock is never read. Reads no settings.
"""

from __future__ import annotations

import html as html_lib
import re
from calendar import monthrange
from datetime import date, timedelta
from urllib.parse import urlsplit

from pipelines.rules.metas import page_metas

__all__ = ["FUTURE_SLACK", "MIN_YEAR", "article_pubdate", "date_from_url", "find_dates", "parse_date"]

MIN_YEAR = 1995
# Sites stamp dates in Beijing time while the crawler may run in another zone: tomorrow is still plausible.
FUTURE_SLACK = timedelta(days=1)

# Full-width ASCII (２０１７－１０－１２, （）, ：), the ideographic space and dash variants become ASCII.
_ASCII = (
    {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
    | {c: ord("-") for c in (*range(0x2010, 0x2016), 0x2212)}
    | {0x3000: ord(" ")}
    | {c: ord(":") for c in (0x2236, 0xFE13, 0xFE30, 0xFE55)}  # ratio and presentation colons: 发布时间∶
)
_SPACES = re.compile(r"\s+")
# str.translate looks every character up in _ASCII; a character class finds the few to change 6x faster.
_WIDE = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_ASCII)) + "]")

_BEFORE_NO_NUMBER = r"(?!\d)(?![-/.]\d)"  # not the head of an index number: 2026-02-00018
_LONE_END = r"(?![^\s)\]】〕|,;。、])"
# Every pattern starts with a digit, so the regex engine skips to the digits of a long page instead of trying each
# position; the lookbehinds right after that first digit check what stood before it.
# A year not the tail of an index number (000014349/2017-00123):
_YEAR = r"(?P<y>\d(?<!\d\d)(?<!\d[-/.]\d)\d{3})"
# A year-less "10-12" must stand alone (callers join elements with spaces): this keeps out 1-6月, 第10-12条, 10/12/2017.
_LONE = r"\d(?<![^\s(\[【〔|:]\d)(?<!\d:\d)"

# In priority order; a span claimed by an earlier pattern (even an invalid date) is not re-read by later ones.
_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        # 2017-10-12, 2017/10/12, 2017.10.12 (one separator throughout), times after it are ignored
        _YEAR + r"(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})" + _BEFORE_NO_NUMBER,
        # 2017年10月12日, 2017年 10 月 12 日
        _YEAR + r" ?年 ?(?P<m>\d{1,2}) ?月 ?(?P<d>\d{1,2})(?: ?[日号]|(?![\d\u4e00-\u9fff]))",
        # homepage date boxes: "2017-10 12" and "12 2017-10"
        _YEAR + r"[-/.](?P<m>\d{1,2}) (?P<d>\d{1,2})" + _LONE_END,
        rf"(?P<d>{_LONE}\d?) " + _YEAR + r"[-/.](?P<m>\d{1,2})" + _BEFORE_NO_NUMBER,
        # month and day only: 10月12日, 10-12, 1-5, 10/12 (slashes only as MM/DD: 1/10 is a pager); the last two
        # never overlap (each stands alone), so two patterns read what one alternation would, faster
        r"(?P<m>\d(?<!\d\d)\d?) ?月 ?(?P<d>\d{1,2}) ?[日号]",
        rf"(?P<m>{_LONE}\d?)-(?P<d>\d{{1,2}})" + _LONE_END,
        rf"(?P<m>{_LONE}\d)/(?P<d>\d\d)" + _LONE_END,
    )
)


def _words(*words: str) -> str:
    """An alternation of label words whose characters may be spaced out (发 布 时 间)."""
    return "|".join(" ?".join(word) for word in words)


# The label right before a date. "pub" and "generic" name the publication date, "weak" a drafting or
# effective date, "skip" a deadline. A bare 日期/时间 must not end another word (会议时间, 截止日期).
# Reversed (时间发布) and English footer stamps (publishdate:2024/01/05) are labels as written;
# 发文日期 is the document's date, like 成文日期, not the publication date.
_LABEL = re.compile(
    rf"(?:(?P<pub>{_words('发布时间', '发布日期', '时间发布', '日期发布', '发表时间', '发稿时间', '更新时间', '更新日期')}"
    r"|(?i:publish_?(?:date|time)|pub_?date|release_?date))"
    rf"|(?P<weak>{_words(*(w + t for w in ('成文', '发文', '生成', '印发', '实施', '施行', '生效') for t in ('日期', '时间')))})"
    r"|(?P<skip>有效期至?|截止(?:日期|时间)?|(?:失效|废止)日期)"
    r"|(?<![\u4e00-\u9fffA-Za-z_])(?P<generic>日 ?期|时 ?间))"
    r" ?:? ?[\[(【]? ?$"
)
_LABEL_WINDOW = 24  # longest label plus its colon, bracket and spaces (发 布 日 期 ： [)
_RANGE_GAP = re.compile(r" ?[至到~-] ?")  # 有效期：2017-10-12至2018-10-12 labels both ends
_ROW_RANK = {"pub": 0, "generic": 0, None: 1, "weak": 2}
_ARTICLE_RANK = {"pub": 0, "generic": 1, "info": 1}  # no "weak": a 成文日期 is not when a page was published
# The info line under an article's title: a date, maybe a time (17:35, 09时32分), then 来源/作者/浏览次数/字号.
_INFO_AFTER = re.compile(
    r" ?(?:\d{1,2}:\d{2}(?::\d{2})?|\d{1,2} ?时 ?\d{1,2} ?分(?: ?\d{1,2} ?秒)?)? ?[|/]? ?[【\[]? ?"
    r"(?:(?:信息|文章)?来源|作者|(?:责任)?编辑|发布(?:者|人|机构)|浏览|阅读|点击|访问|字号|字体|[大中小] ?[中小])"
)

_URL_DAY: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        r"(?<!\d)(?P<y>\d{4})(?P<sep>[-/_])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)",  # /art/2017/10/12/
        r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{1,2})/(?P<d>\d{1,2})(?!\d)",  # /2017-10/12/
        r"(?<!\d)(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?!\d)",  # t20171012_123.html, /20171012/
    )
)
_URL_MONTH = re.compile(r"/(?P<y>\d{4})-?(?P<m>\d{2})/")  # /201710/, /2017-10/

_PUBDATE_METAS = frozenset(
    {"pubdate", "firstpublishedtime", "publishdate", "articlepublishdate", "article:published_time"}
)
# Meta values are machine-written, so compact and odd forms are safe here: 20171012, 2017-10-12-09:30:15.
_META_DATE = re.compile(r"\s*(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})")
_INVISIBLE = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def find_dates(text: str, today: date) -> list[date]:
    """All plausible publication dates in a piece of text, in order of appearance.

    Month-day forms take the latest year that does not put them in the future; bare 8-digit
    numbers, year-month alone, 索引号, 文号, phone numbers and times are not dates.
    """
    return [found for _, _, found in _scan(_normalize(text), today)]


def parse_date(text: str, today: date) -> date | None:
    """The publication date of one list row / one text snippet, or None.

    A date labelled 发布时间/发布日期/发文日期/更新时间/日期 wins; otherwise the last unlabelled date
    (list rows put the date after the title); a 成文/生成/印发/实施日期 only when nothing else is
    there; a 有效期/截止 date never. Within one rank the last date in the row wins.
    """
    best, best_rank = None, len(_ROW_RANK)
    for found, kind in _labelled(text, today):
        rank = _ROW_RANK.get(kind)
        if rank is not None and rank <= best_rank:
            best, best_rank = found, rank
    return best


def date_from_url(url: str, today: date) -> date | None:
    """Publication date encoded in the path of an article URL, or None.

    Day forms: ``t20171012_123.html``, ``/art/2017/10/12/art_...``, ``/2017-10/12/...``, ``/20171012/...``;
    the last one in the path wins. Month only (``/201710/``) gives the last day of that month, but never
    a day after ``today``. The query string and host are not read.
    """
    path = urlsplit(url).path
    days = [
        (match.start(), found)
        for pattern in _URL_DAY
        for match in pattern.finditer(path)
        if (found := _plausible(int(match["y"]), int(match["m"]), int(match["d"]), today))
    ]
    if days:
        return max(days, key=lambda item: item[0])[1]
    for match in reversed(list(_URL_MONTH.finditer(path))):
        year, month = int(match["y"]), int(match["m"])
        if _plausible(year, month, 1, today):
            return min(date(year, month, monthrange(year, month)[1]), today)
    return None


def article_pubdate(html: str, today: date) -> date | None:
    """Publication date of an article page, or None.

    The visible date first: the first one labelled 发布时间/发布日期/发表时间 (and the like, spaced out,
    reversed 时间发布, ``publishdate:``), else the first one labelled just 时间/日期 or standing unlabelled
    in the info line under the title (``2021年06月10日 17:35 来源：…``). Only then a PubDate-like
    ``<meta>`` (PubDate, firstpublishedtime, publishdate, ArticlePublishDate, article:published_time;
    case-insensitive): CMSs rewrite it when they regenerate or migrate a page, years after the visible
    date. A 成文/发文/生成/印发日期 is never the publication date, nor any other unlabelled date.
    """
    text = html_lib.unescape(_TAG.sub(" ", _INVISIBLE.sub(" ", html)))
    best, best_rank = None, len(_ARTICLE_RANK)
    for found, kind in _labelled(text, today, info_line=True):
        rank = _ARTICLE_RANK.get(kind) if kind else None
        if rank is not None and rank < best_rank:
            best, best_rank = found, rank
    return best or _meta_pubdate(html, today)


def _meta_pubdate(html: str, today: date) -> date | None:
    """The date of the first PubDate-like ``<meta>``, attributes in any order and case."""
    for name, content in page_metas(html).items():
        if name in _PUBDATE_METAS:
            match = _META_DATE.match(content)
            if match and (found := _plausible(int(match[1]), int(match[2]), int(match[3]), today)):
                return found
    return None


def _normalize(text: str) -> str:
    return _SPACES.sub(" ", _WIDE.sub(_to_ascii, text))


def _to_ascii(match: re.Match[str]) -> str:
    return chr(_ASCII[ord(match[0])])


def _plausible(year: int, month: int, day: int, today: date) -> date | None:
    """The date if it exists, is not before MIN_YEAR and not after tomorrow."""
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    return found if year >= MIN_YEAR and found <= today + FUTURE_SLACK else None


def _to_date(match: re.Match[str], today: date) -> date | None:
    month, day = int(match["m"]), int(match["d"])
    if "y" in match.re.groupindex:
        return _plausible(int(match["y"]), month, day, today)
    # No year: this year, or last year when this year's date is still to come (12-30 read on 2018-01-05).
    return _plausible(today.year, month, day, today) or _plausible(today.year - 1, month, day, today)


def _scan(norm: str, today: date) -> list[tuple[int, int, date]]:
    """(start, end, date) of every plausible date in normalised text, in order of appearance."""
    taken = bytearray(len(norm))  # 1 where an earlier pattern matched; keeps long pages linear
    found_at: list[tuple[int, int, date]] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(norm):
            start, end = match.span()
            if not any(taken[start:end]):
                taken[start:end] = b"\x01" * (end - start)
                if found := _to_date(match, today):
                    found_at.append((start, end, found))
    return sorted(found_at)


def _labelled(text: str, today: date, *, info_line: bool = False) -> list[tuple[date, str | None]]:
    """Each date of the text with the kind of label right before it (see _LABEL), or None.

    With ``info_line``, an unlabelled date followed by 来源/作者/浏览 … (see _INFO_AFTER) is of kind "info".
    """
    norm = _normalize(text)
    labelled: list[tuple[date, str | None]] = []
    prev_end = 0
    for start, end, found in _scan(norm, today):
        if labelled and _RANGE_GAP.fullmatch(norm, prev_end, start):
            kind = labelled[-1][1]
        else:
            label = _LABEL.search(norm, max(prev_end, start - _LABEL_WINDOW), start)
            kind = label.lastgroup if label else None
            if kind is None and info_line and _INFO_AFTER.match(norm, end):
                kind = "info"
        labelled.append((found, kind))
        prev_end = end
    return labelled
