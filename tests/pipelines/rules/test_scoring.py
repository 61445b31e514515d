"""Score-card arithmetic: per-item points, caps, group caps, thresholds, vetoes, unmeasured rules."""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources
from pathlib import Path

import pytest

from pipelines.rules.rulesfile import FindingFilter, Rule, RuleSet, load_rules
from pipelines.rules.scoring import FindingView, ProbeStats, ScoreCard, score_site

ALL = frozenset({"links", "columns", "homepage", "probes"})


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def many(n: int, kind: str, prefix: str = "", **fields: object) -> list[FindingView]:
    """n distinct findings of one kind."""
    return [
        FindingView(ref=f"{prefix}{kind}-{i}", kind=kind, url=f"http://x.gov.cn/{prefix}{i}", **fields)
        for i in range(n)
    ]


def line(card: ScoreCard, rule_id: str) -> dict[str, object]:
    return next(x for x in card.to_dict()["rules"] if x["id"] == rule_id)


def test_clean_site_passes_with_every_line_measured(rules: RuleSet) -> None:
    card = score_site([], rules, probes=ProbeStats(total=2000, failed=0), measured=ALL)
    assert (card.score, card.total_deduction, card.verdict, card.vetoes) == (100, 0, "pass", ())
    assert not card.blacklisted
    assert not card.unmeasured
    assert not card.early_warnings
    assert [x.rule_id for x in card.lines] == [r.id for r in rules.rules]
    assert all(x.count == 0 and x.deduction == 0 for x in card.lines if x.value is None)


@pytest.mark.parametrize(
    ("rule_id", "findings", "vetoes"),
    [
        ("blank_columns", many(4, "blank_column"), False),
        ("blank_columns", many(5, "blank_column"), True),
        ("blank_columns", many(6, "blank_column"), True),
        ("key_columns_stale", many(4, "stale_column", column_category="news"), False),
        ("key_columns_stale", many(5, "stale_column", column_category="news"), True),
        ("key_columns_stale", many(6, "stale_column", column_category="notice_policy"), True),
        ("should_update_but_stale", many(9, "stale_column", column_category="personnel_plan"), False),
        (
            "should_update_but_stale",
            many(7, "stale_column", column_category="personnel_plan")
            + many(3, "blank_column", column_category="news"),
            True,
        ),
        ("should_update_but_stale", many(11, "stale_column", column_category="personnel_plan"), True),
        ("homepage_not_updated", [], False),
        ("homepage_not_updated", many(1, "homepage_stale"), True),
    ],
)
def test_count_vetoes_at_and_above_the_line(
    rules: RuleSet, rule_id: str, findings: list[FindingView], vetoes: bool
) -> None:
    card = score_site(findings, rules, probes=None, measured={"links", "columns", "homepage"})
    assert (rule_id in card.vetoes) is vetoes
    assert line(card, rule_id)["veto"] is vetoes
    assert card.verdict == ("fail" if vetoes else "pass")
    assert card.blacklisted is vetoes
    assert line(card, rule_id)["findings"] == [f.ref for f in findings]


@pytest.mark.parametrize(
    ("findings", "count"),
    [
        (many(3, "stale_column", column_category="notice_policy", top_level=False), 0),
        (many(3, "stale_column", column_category="notice_policy", top_level=True), 3),
        (many(3, "stale_column", column_category="news", top_level=False), 3),
        (many(3, "stale_column", column_category="personnel_plan"), 0),
        (many(3, "blank_column", column_category="news"), 0),
        (many(3, "stale_column", column_category=None), 0),
    ],
)
def test_key_columns_stale_counts_news_and_top_level_notice_policy(
    rules: RuleSet, findings: list[FindingView], count: int
) -> None:
    assert line(score_site(findings, rules, probes=None, measured=ALL), "key_columns_stale")["count"] == count


@pytest.mark.parametrize(
    ("failed", "total", "unreachable_veto", "availability"),
    [
        (0, 100, False, 0.0),
        (9, 1000, False, 0.0),  # 0.9 %: below the deduction line
        (1, 100, False, 5.0),  # at 1 %: flat points
        (4, 100, False, 5.0),
        (49, 1000, False, 5.0),  # 4.9 %: just below the veto
        (5, 100, True, 0.0),  # at 5 %: veto, and the flat points give way to it
        (6, 100, True, 0.0),
        (140, 140, True, 0.0),
    ],
)
def test_probe_ratio_lines(
    rules: RuleSet, failed: int, total: int, unreachable_veto: bool, availability: float
) -> None:
    card = score_site([], rules, probes=ProbeStats(total=total, failed=failed), measured=ALL)
    assert ("site_unreachable" in card.vetoes) is unreachable_veto
    assert line(card, "homepage_availability")["deduction"] == availability
    assert line(card, "site_unreachable")["count"] == failed
    assert line(card, "site_unreachable")["value"] == failed / total


@pytest.mark.parametrize(
    ("home", "other", "failed", "expected", "capped"),
    [
        (0, 3, 0, (0.0, 0.3, 0.0), (False, False, False)),
        (3, 7, 0, (3.0, 0.7, 0.0), (False, False, False)),
        (3, 7, 2, (3.0, 0.7, 5.0), (False, False, False)),
        (15, 50, 0, (15.0, 5.0, 0.0), (False, False, False)),  # exactly the group cap: not reduced
        (15, 60, 0, (15.0, 5.0, 0.0), (False, True, False)),  # 6 -> 5 by the group cap
        (15, 60, 2, (15.0, 5.0, 0.0), (False, True, True)),  # availability finds no room left
        (25, 0, 0, (20.0, 0.0, 0.0), (True, False, False)),
        (10, 40, 2, (10.0, 4.0, 5.0), (False, False, False)),  # 19: below the cap
        (10, 60, 2, (10.0, 6.0, 4.0), (False, False, True)),
    ],
)
def test_link_points_share_the_availability_cap(
    rules: RuleSet,
    home: int,
    other: int,
    failed: int,
    expected: tuple[float, float, float],
    capped: tuple[bool, bool, bool],
) -> None:
    findings = many(home, "broken_link", "h", on_homepage=True) + many(other, "broken_link", "o")
    card = score_site(findings, rules, probes=ProbeStats(total=100, failed=failed), measured=ALL)
    ids = ("homepage_broken_links", "other_broken_links", "homepage_availability")
    assert tuple(line(card, i)["deduction"] for i in ids) == expected
    assert tuple(line(card, i)["cap_applied"] for i in ids) == capped
    assert card.total_deduction == sum(expected)
    assert card.score == 100 - sum(expected)
    assert line(card, "other_broken_links")["count"] == other


@pytest.mark.parametrize(
    ("home", "other", "attachment", "cap_applied"),
    [
        ((0, 0), 0.2, 0.0, False),
        ((1, 2), 0.4, 3.0, False),
        ((0, 7), 0.9, 5.0, True),
        ((3, 3), 0.5, 5.0, True),
    ],
)
def test_broken_attachments_count_in_link_rules_and_their_own(
    rules: RuleSet, home: tuple[int, int], other: float, attachment: float, cap_applied: bool
) -> None:
    findings = (
        many(home[0], "broken_link", "h", on_homepage=True, resource_type="attachment")
        + many(home[1], "broken_link", "o", resource_type="attachment")
        + many(2, "broken_link", "p", resource_type="page")
    )  # 0.2 in other_broken_links
    card = score_site(findings, rules, probes=None, measured={"links"})
    assert line(card, "homepage_broken_links")["deduction"] == home[0]
    assert line(card, "other_broken_links")["deduction"] == other
    assert line(card, "attachment_download")["deduction"] == attachment
    assert line(card, "attachment_download")["count"] == sum(home)
    assert line(card, "attachment_download")["cap_applied"] is cap_applied


@pytest.mark.parametrize(
    ("findings", "deduction", "note"),
    [
        (many(3, "stale_column", column_category="personnel_plan"), 3.0, ""),
        (many(4, "stale_column", column_category="news"), 4.0, ""),
        (many(2, "blank_column", column_category="notice_policy"), 2.0, ""),
        (
            many(8, "stale_column", column_category="personnel_plan")
            + many(2, "blank_column", column_category="other"),
            8.0,
            "",
        ),
        (many(5, "stale_column", column_category="news"), 0.0, "key_columns_stale vetoes"),
        (many(10, "stale_column", column_category="personnel_plan"), 0.0, "should_update_but_stale vetoes"),
    ],
)
def test_column_timeliness_deducts_per_column_below_the_vetoes(
    rules: RuleSet, findings: list[FindingView], deduction: float, note: str
) -> None:
    entry = line(score_site(findings, rules, probes=None, measured={"columns"}), "column_timeliness")
    assert entry["deduction"] == deduction
    assert note in str(entry["note"])


def test_unverified_findings_never_count(rules: RuleSet) -> None:
    findings = many(30, "unverified_link", on_homepage=True, resource_type="attachment") + many(
        30, "unverified_column", column_category="news"
    )
    card = score_site(findings, rules, probes=None, measured=ALL - {"probes"})
    assert card.total_deduction == 0
    assert card.vetoes == ()
    assert card.early_warnings == ()
    assert all(x.refs == () for x in card.lines)


def test_a_finding_listed_twice_counts_once(rules: RuleSet) -> None:
    findings = many(3, "broken_link", on_homepage=True) * 2
    entry = line(score_site(findings, rules, probes=None, measured={"links"}), "homepage_broken_links")
    assert (entry["count"], entry["deduction"], len(entry["findings"])) == (3, 3.0, 3)


@pytest.mark.parametrize(
    ("measured", "unmeasured"),
    [
        (ALL, ()),
        (ALL - {"probes"}, ("homepage_availability",)),
        (
            {"columns", "homepage"},
            ("homepage_broken_links", "other_broken_links", "homepage_availability", "attachment_download"),
        ),
        (
            {"links"},
            (
                "site_unreachable",
                "homepage_not_updated",
                "key_columns_stale",
                "should_update_but_stale",
                "blank_columns",
                "homepage_availability",
                "column_timeliness",
            ),
        ),
        (
            set(),
            (
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
            ),
        ),
    ],
)
def test_unmeasured_rules_show_as_not_measured(
    rules: RuleSet, measured: set[str], unmeasured: tuple[str, ...]
) -> None:
    findings = many(30, "broken_link", on_homepage=True) + many(6, "blank_column")
    card = score_site(findings, rules, probes=ProbeStats(total=100, failed=2), measured=measured)
    assert card.unmeasured == unmeasured
    for rule_id in unmeasured:
        entry = line(card, rule_id)
        assert (entry["measured"], entry["count"], entry["deduction"], entry["veto"]) == (
            False,
            None,
            None,
            False,
        )
        assert "not measured" in str(entry["note"])
    assert card.to_dict()["unmeasured"] == list(unmeasured)


@pytest.mark.parametrize(
    ("measured", "probes", "findings", "veto", "is_measured"),
    [
        ({"homepage"}, None, 1, True, True),  # no probes: the crawl's finding vetoes
        ({"homepage"}, None, 0, False, True),
        ({"homepage", "probes"}, ProbeStats(0, 0), 1, True, True),  # no probe taken yet: same fallback
        ({"homepage", "probes"}, ProbeStats(100, 1), 1, False, True),  # probes win over one crawl failure
        (set(), None, 1, False, False),
        ({"probes"}, None, 1, False, False),
    ],
)
def test_site_unreachable_without_probes_falls_back_to_the_crawl(
    rules: RuleSet,
    measured: set[str],
    probes: ProbeStats | None,
    findings: int,
    veto: bool,
    is_measured: bool,
) -> None:
    card = score_site(many(findings, "site_unreachable"), rules, probes=probes, measured=measured)
    entry = line(card, "site_unreachable")
    assert (entry["veto"], entry["measured"]) == (veto, is_measured)
    if is_measured and probes is None:
        assert "no probe data" in str(entry["note"])


def arithmetic_rules(rules: RuleSet, **profile: object) -> RuleSet:
    rule = Rule(
        id="links",
        zh="链接",
        counts=(FindingFilter(kinds=("broken_link",)),),
        points_each=0.1,
        needs=("links",),
    )
    return replace(rules, rules=(rule,), profile=replace(rules.profile, **profile))


@pytest.mark.parametrize(
    ("links", "total", "score", "verdict", "blacklisted"),
    [
        (399, 39.9, 60.1, "pass", False),
        (400, 40.0, 60.0, "pass", False),  # 60 is not below 60; 40 is not over 40
        (401, 40.1, 59.9, "fail", True),
    ],
)
def test_fail_below_and_deduction_over_lines(
    rules: RuleSet, links: int, total: float, score: float, verdict: str, blacklisted: bool
) -> None:
    card = score_site(many(links, "broken_link"), arithmetic_rules(rules), probes=None, measured={"links"})
    assert (card.total_deduction, card.score, card.verdict, card.blacklisted) == (
        total,
        score,
        verdict,
        blacklisted,
    )
    if blacklisted:
        assert card.blacklist_reasons == ("health_deduction_over: 40.1 > 40",)


@pytest.mark.parametrize(("veto_means_fail", "verdict"), [(True, "fail"), (False, "pass")])
def test_veto_means_fail(rules: RuleSet, veto_means_fail: bool, verdict: str) -> None:
    custom = replace(rules, profile=replace(rules.profile, veto_means_fail=veto_means_fail))
    card = score_site(many(5, "blank_column"), custom, probes=None, measured={"columns"})
    assert (card.vetoes, card.verdict, card.score) == (("blank_columns",), verdict, 100)
    assert card.blacklist_reasons == ("any_veto: blank_columns",)


@pytest.mark.parametrize(
    ("findings", "probes", "age", "warnings"),
    [
        ([], ProbeStats(100, 2), 9, []),
        ([], ProbeStats(100, 3), None, [("homepage_unreachable_ratio", 0.03, 0.03)]),
        ([], None, 10, [("homepage_days_without_update", 10, 10)]),
        (many(2, "blank_column"), None, None, [("blank_columns", 2, 2)]),
        (many(1, "blank_column") + many(5, "stale_column", column_category="personnel_plan"), None, None, []),
        (many(6, "stale_column", column_category="personnel_plan"), None, None, [("stale_columns", 6, 6)]),
    ],
)
def test_early_warnings_at_or_above_their_lines(
    rules: RuleSet,
    findings: list[FindingView],
    probes: ProbeStats | None,
    age: int | None,
    warnings: list[tuple[str, float, float]],
) -> None:
    card = score_site(findings, rules, probes=probes, measured=ALL, homepage_age_days=age)
    assert [(w.key, w.value, w.threshold) for w in card.early_warnings] == warnings
    assert card.vetoes == ()


def test_a_rules_file_changes_the_outcome(rules: RuleSet, tmp_path: Path) -> None:
    text = (
        resources.files("pipelines.rules").joinpath("data", "national-2019.toml").read_text(encoding="utf-8")
    )
    stricter = text.replace(
        'counts = { kind = "blank_column" }\nthreshold = 5',
        'counts = { kind = "blank_column" }\nthreshold = 3',
    ).replace("points_each = 0.1 ", "points_each = 0.5 ")
    assert stricter.count("threshold = 3") == 1
    assert "points_each = 0.5" in stricter
    path = tmp_path / "guangxi.toml"
    path.write_text(stricter, encoding="utf-8")
    findings = many(3, "blank_column") + many(4, "broken_link")
    before = score_site(findings, rules, probes=None, measured={"links", "columns"})
    after = score_site(findings, load_rules(path), probes=None, measured={"links", "columns"})
    assert (before.verdict, before.vetoes, before.total_deduction) == ("pass", (), 0.4)
    assert (after.verdict, after.vetoes, after.total_deduction) == ("fail", ("blank_columns",), 2.0)


def test_to_dict_is_json_ready(rules: RuleSet) -> None:
    findings = many(2, "broken_link", on_homepage=True) + many(5, "blank_column")
    data = score_site(findings, rules, probes=None, measured={"links", "columns"}).to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert {"total_deduction", "vetoes", "verdict", "blacklisted", "score", "rules"} <= data.keys()
    assert (data["total_deduction"], data["vetoes"], data["verdict"], data["score"]) == (
        2.0,
        ["blank_columns"],
        "fail",
        98.0,
    )
    entry = data["rules"][5]
    assert {
        k: entry[k] for k in ("id", "zh", "count", "deduction", "cap_applied", "veto", "measured", "findings")
    } == {
        "id": "homepage_broken_links",
        "zh": "链接可用性（首页）",
        "count": 2,
        "deduction": 2.0,
        "cap_applied": False,
        "veto": False,
        "measured": True,
        "findings": ["broken_link-0", "broken_link-1"],
    }


def test_unknown_measurement_is_refused(rules: RuleSet) -> None:
    with pytest.raises(ValueError, match="unknown measurement"):
        score_site([], rules, probes=None, measured={"link"})


@pytest.mark.parametrize(("total", "failed"), [(10, 11), (10, -1)])
def test_impossible_probe_counts_are_refused(total: int, failed: int) -> None:
    with pytest.raises(ValueError, match="probe counts out of range"):
        ProbeStats(total=total, failed=failed)
