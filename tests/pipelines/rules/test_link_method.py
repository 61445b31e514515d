"""first_check_method: GET straight away for plain page links, HEAD first for the rest."""

from __future__ import annotations

import pytest

from pipelines.rules.kinds import ResourceType
from pipelines.rules.links import first_check_method


@pytest.mark.parametrize(
    ("url", "resource_type", "expected"),
    [
        ("http://a.example/p/1.html", ResourceType.PAGE, "GET"),
        ("http://a.example/p/1.HTM", ResourceType.PAGE, "GET"),
        ("http://a.example/zwgk/index.shtml?x=1", ResourceType.PAGE, "GET"),
        ("http://a.example/zwgk/", ResourceType.PAGE, "GET"),
        ("http://a.example", ResourceType.PAGE, "GET"),
        ("http://a.example/", ResourceType.FRAME, "GET"),
        ("http://a.example/a/b/c.html", ResourceType.FRAME, "GET"),
        # pages of unknown shape may be downloads: HEAD first
        ("http://a.example/module/download/downfile.jsp?id=5", ResourceType.PAGE, "HEAD"),
        ("http://a.example/art/2017/10/12/art_1", ResourceType.PAGE, "HEAD"),
        ("http://a.example/files/1.pdf", ResourceType.PAGE, "HEAD"),
        # never GET straight away: media, attachments, scripts, styles
        ("http://a.example/img/1.png", ResourceType.IMAGE, "HEAD"),
        ("http://a.example/files/1.html", ResourceType.ATTACHMENT, "HEAD"),
        ("http://a.example/", ResourceType.IMAGE, "HEAD"),
        ("http://a.example/js/a.js", ResourceType.SCRIPT, "HEAD"),
        ("http://a.example/css/", ResourceType.STYLESHEET, "HEAD"),
    ],
)
def test_first_check_method(url: str, resource_type: ResourceType, expected: str) -> None:
    assert first_check_method(url, resource_type) == expected
