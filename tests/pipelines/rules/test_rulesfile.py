"""Loading and validating rules files: the bundled default, custom files, malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.errors import GovHealthError
from pipelines.rules.rulesfile import RulesError, RuleSet, category_period, load_rules

MINIMAL = """\
[profile]
name = "test"
base = 100
fail_below = 60

[categories]
news = 14
other = 0

[groups.g]
cap = 3

[[rule]]
id = "links"
zh = "链接"
counts = { kind = "broken_link" }
points_each = 1
group = "g"

[[rule]]
id = "blank"
zh = "空白"
counts = { kind = "blank_column" }
threshold = 2
veto = true
"""

BUNDLED_IDS = (
    "site_unreachable",
    "homepage_not_updated",
    "key_columns_stale",
    "should_update_but_stale",
    "blank_columns",
    "homepage_broken_links",
    "other_broken_links",
    "homepage_availability",
    "column_timeliness",
    "attachment_download",
)


def write(tmp_path: Path, text: str, name: str = "rules.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def bundled() -> RuleSet:
    return load_rules()


def test_bundled_rules_keep_the_national_ids_and_numbers(bundled: RuleSet) -> None:
    assert tuple(r.id for r in bundled.rules) == BUNDLED_IDS
    assert (bundled.profile.name, bundled.profile.base, bundled.profile.fail_below) == (
        "national-2019",
        100,
        60,
    )
    assert bundled.profile.veto_means_fail
    assert bundled.group_caps == {"availability": 20}
    assert (bundled.blacklist.any_veto, bundled.blacklist.health_deduction_over) == (True, 40)
    assert bundled.early_warning.homepage_unreachable_ratio == 0.03
    assert bundled.early_warning.blank_columns == 2


@pytest.mark.parametrize(
    ("rule_id", "threshold", "veto", "points", "points_each", "cap", "group"),
    [
        ("site_unreachable", 0.05, True, 0, 0, None, None),
        ("homepage_not_updated", 1, True, 0, 0, None, None),
        ("key_columns_stale", 5, True, 0, 0, None, None),
        ("should_update_but_stale", 10, True, 0, 0, None, None),
        ("blank_columns", 5, True, 0, 0, None, None),
        ("homepage_broken_links", 1, False, 0, 1.0, None, "availability"),
        ("other_broken_links", 1, False, 0, 0.1, None, "availability"),
        ("homepage_availability", 0.01, False, 5, 0, None, "availability"),
        ("column_timeliness", 1, False, 0, 1.0, 10, None),
        ("attachment_download", 1, False, 0, 1.0, 5, None),
    ],
)
def test_bundled_rule_numbers(
    bundled: RuleSet,
    rule_id: str,
    threshold: float,
    veto: bool,
    points: float,
    points_each: float,
    cap: float | None,
    group: str | None,
) -> None:
    rule = bundled.rule(rule_id)
    assert (rule.threshold, rule.veto, rule.points, rule.points_each, rule.cap, rule.group) == (
        threshold,
        veto,
        points,
        points_each,
        cap,
        group,
    )
    assert rule.zh


@pytest.mark.parametrize(
    ("category", "days"),
    [("news", 14), ("notice_policy", 183), ("personnel_plan", 365), ("other", None), ("unknown", None)],
)
def test_category_period(bundled: RuleSet, category: str, days: int | None) -> None:
    assert category_period(bundled, category) == days


@pytest.mark.parametrize(
    ("table", "word", "present"),
    [
        ("news", "要闻", True),
        ("news", "乡镇动态", True),
        ("news", "图片新闻", True),
        ("notice_policy", "通知公告", True),
        ("notice_policy", "规范性文件", True),
        ("notice_policy", "政策解读", False),
        ("personnel_plan", "人事", True),
        ("personnel_plan", "规划", True),
        ("placeholders", "暂无信息", True),
        ("placeholders", "该栏目暂无信息", True),
        ("placeholders", "没有记录", True),
        ("single_page", "机构职能", True),
        ("single_page", "网站地图", True),
    ],
)
def test_bundled_word_lists(bundled: RuleSet, table: str, word: str, present: bool) -> None:
    words = {"placeholders": bundled.placeholders, "single_page": bundled.single_page_names}.get(table)
    assert (word in (words if words is not None else bundled.keywords[table])) is present


def test_minimal_file_loads_and_borrows_the_bundled_word_lists(tmp_path: Path, bundled: RuleSet) -> None:
    rules = load_rules(write(tmp_path, MINIMAL))
    assert rules.source == str(tmp_path / "rules.toml")
    assert [r.id for r in rules.rules] == ["links", "blank"]
    assert rules.rule("links").needs == ("links",)
    assert rules.rule("blank").threshold == 2
    assert rules.periods == {"news": 14, "other": 0}
    assert rules.keywords == bundled.keywords
    assert rules.placeholders == bundled.placeholders
    assert rules.blacklist.health_deduction_over is None
    assert rules.early_warning.stale_columns is None


def test_own_word_lists_replace_the_bundled_ones(tmp_path: Path) -> None:
    text = MINIMAL + '\n[keywords]\nnews = ["快讯"]\n\n[placeholders]\ntexts = "敬请期待"\n'
    rules = load_rules(str(write(tmp_path, text)))
    assert rules.keywords == {"news": ("快讯",)}
    assert rules.placeholders == ("敬请期待",)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_rules(path).profile.name == "test"


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("fail_below = 60", "fail_below = ", 4),
        ('zh = "空白"', 'zh = "空白', 22),
        ("base = 100", "base = 100\nbase = 90", 4),
        ("[groups.g]", "[groups.g", 10),
    ],
)
def test_toml_syntax_error_names_file_and_line(tmp_path: Path, old: str, new: str, line: int) -> None:
    path = write(tmp_path, MINIMAL.replace(old, new, 1))
    with pytest.raises(RulesError) as info:
        load_rules(path)
    message = str(info.value)
    assert message.startswith(f"{path}, line {line}: not valid TOML")
    assert "\n" not in message
    assert info.value.line == line


@pytest.mark.parametrize(
    ("old", "new", "key", "line", "why"),
    [
        ("cap = 3", "cap = -3", "groups.g.cap", 11, ">= 0"),
        ("cap = 3", "cap = nan", "groups.g.cap", 11, ">= 0"),
        ("threshold = 2", 'threshold = "2"', 'rule "blank".threshold', 24, "must be a number"),
        ("base = 100", "base = true", "profile.base", 3, "must be a number"),
        ("news = 14", "news = 14.5", "categories.news", 7, "whole number"),
        ("news = 14", "news = -1", "categories.news", 7, ">= 0"),
        ("news = 14", "nws = 14", "categories.nws", 7, "unknown key"),
        ("veto = true", "veto = true\nseverity = 2", 'rule "blank".severity', 26, "unknown key"),
        ("veto = true", 'veto = "yes"', 'rule "blank".veto', 25, "true or false"),
        ('id = "blank"', 'id = "links"', 'rule "links".id', 21, "duplicate rule id"),
        ('id = "blank"\n', "", "rule #2.id", 20, "missing key"),
        ('zh = "链接"\n', "", 'rule "links".zh', 13, "missing key"),
        ('id = "blank"', 'id = "Blank Columns"', "rule #2.id", 21, "snake_case"),
        ('kind = "blank_column"', 'kind = "blank_colum"', 'rule "blank".counts.kind', 23, "blank_colum"),
        (
            'kind = "blank_column"',
            'kind = "unverified_column"',
            'rule "blank".counts.kind',
            23,
            "never count",
        ),
        (
            'kind = "blank_column"',
            'kind = "blank_column", on_page = true',
            'rule "blank".counts.on_page',
            23,
            "unknown key",
        ),
        (
            'kind = "broken_link"',
            'kind = "broken_link", on_homepage = 1',
            'rule "links".counts.on_homepage',
            16,
            "true or false",
        ),
        ('counts = { kind = "blank_column" }\n', "", 'rule "blank".counts', 21, "nothing to count"),
        ('group = "g"', 'group = "h"', 'rule "links".group', 18, "not defined"),
        ("veto = true", 'veto = true\nneeds = "pages"', 'rule "blank".needs', 26, "pages"),
        ("veto = true", 'veto = true\nunless_veto = ["links"]', 'rule "blank".unless_veto', 26, "veto rule"),
        ("[groups.g]", "[categores]\nnews = 1\n\n[groups.g]", "categores", 10, "unknown key"),
        ('name = "test"\n', "", "profile.name", 1, "missing key"),
    ],
)
def test_semantic_error_names_file_key_and_line(
    tmp_path: Path, old: str, new: str, key: str, line: int, why: str
) -> None:
    assert old in MINIMAL
    path = write(tmp_path, MINIMAL.replace(old, new, 1))
    with pytest.raises(RulesError) as info:
        load_rules(path)
    message = str(info.value)
    assert message.startswith(f"{path}, line {line}: {key}: ")
    assert why in message
    assert "\n" not in message
    assert (info.value.key, info.value.line) == (key, line)


@pytest.mark.parametrize(
    ("extra", "key", "why"),
    [
        (
            '[[rule]]\nid = "probe"\nzh = "探测"\nratio = "probes"\npoints = 1\n',
            'rule "probe".threshold',
            "missing key",
        ),
        (
            '[[rule]]\nid = "probe"\nzh = "探测"\nratio = "probes"\nthreshold = 5\n',
            'rule "probe".threshold',
            "at most 1",
        ),
        (
            '[[rule]]\nid = "probe"\nzh = "探测"\nratio = "pings"\nthreshold = 0.1\n',
            'rule "probe".ratio',
            '"probes"',
        ),
        (
            '[[rule]]\nid = "probe"\nzh = "探测"\nratio = "probes"\nthreshold = 0.1\npoints_each = 1\n',
            'rule "probe".points_each',
            "per item",
        ),
        ("[early_warning]\nblank_columns = 1.5\n", "early_warning.blank_columns", "whole number"),
        ("[blacklist]\nany_veto = true\nby_vote = true\n", "blacklist.by_vote", "unknown key"),
    ],
)
def test_more_semantic_errors(tmp_path: Path, extra: str, key: str, why: str) -> None:
    with pytest.raises(RulesError, match=rf"^.*rules\.toml, line \d+: {key}: .*{why}"):
        load_rules(write(tmp_path, MINIMAL + "\n" + extra))


def test_missing_file_is_a_rules_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(RulesError, match=r"nope\.toml: cannot read rules file") as info:
        load_rules(path)
    assert isinstance(info.value, GovHealthError)


def test_file_that_is_not_utf8_is_a_rules_error(tmp_path: Path) -> None:
    path = tmp_path / "gbk.toml"
    path.write_bytes(MINIMAL.encode("gbk"))
    with pytest.raises(RulesError, match=r"gbk\.toml: cannot read rules file"):
        load_rules(path)
