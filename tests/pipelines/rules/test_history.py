"""Finding fingerprints, history transitions across runs, and run diffs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipelines.rules.history import FindingHistory, RunDiff, advance_history, diff_runs, fingerprint
from pipelines.rules.kinds import FindingKind

T1 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
T3 = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


def test_fingerprint_is_stable() -> None:
    # A stored contract: changing the recipe orphans every finding history in every database.
    assert (
        fingerprint("4510000031", "broken_link", "http://www.example.gov.cn/a.html") == "eda76f3e9c911f557478"
    )
    assert fingerprint("4510000031", FindingKind.BROKEN_LINK, "http://www.example.gov.cn/a.html") == (
        "eda76f3e9c911f557478"
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            ("4510000031", "broken_link", "http://x.gov.cn/a"),
            ("4510000032", "broken_link", "http://x.gov.cn/a"),
        ),
        (
            ("4510000031", "broken_link", "http://x.gov.cn/a"),
            ("4510000031", "stale_column", "http://x.gov.cn/a"),
        ),
        (
            ("4510000031", "broken_link", "http://x.gov.cn/a"),
            ("4510000031", "broken_link", "http://x.gov.cn/a/"),
        ),
        (("1", "ab", "c"), ("1a", "b", "c")),  # parts do not run into each other
        (("1", "a", "b|c"), ("1", "a|b", "c")),
    ],
)
def test_fingerprint_tells_parts_apart(a: tuple[str, str, str], b: tuple[str, str, str]) -> None:
    fa, fb = fingerprint(*a), fingerprint(*b)
    assert fa != fb
    assert len(fa) == 20
    assert int(fa, 16) >= 0


def history(
    fp: str, first: datetime, last: datetime, runs: int, resolved: datetime | None = None
) -> FindingHistory:
    return FindingHistory(
        fingerprint=fp, first_seen=first, last_seen=last, runs_seen=runs, resolved_at=resolved
    )


# Three synthetic runs: (run time, complete, fingerprints seen) -> histories afterwards.
RUNS_COMPLETE = [
    (T1, True, {"a", "b"}, {"a": history("a", T1, T1, 1), "b": history("b", T1, T1, 1)}),
    (
        T2,
        True,
        {"b", "c"},
        {"a": history("a", T1, T1, 1, T2), "b": history("b", T1, T2, 2), "c": history("c", T2, T2, 1)},
    ),
    (
        T3,
        True,
        {"a", "c"},
        {"a": history("a", T1, T3, 2), "b": history("b", T1, T2, 2, T3), "c": history("c", T2, T3, 2)},
    ),
]
RUNS_WITH_INCOMPLETE = [
    (T1, True, {"a", "b"}, {"a": history("a", T1, T1, 1), "b": history("b", T1, T1, 1)}),
    (
        T2,
        False,
        {"b", "c"},
        {"a": history("a", T1, T1, 1), "b": history("b", T1, T2, 2), "c": history("c", T2, T2, 1)},
    ),
    (
        T3,
        True,
        {"b"},
        {"a": history("a", T1, T1, 1, T3), "b": history("b", T1, T3, 3), "c": history("c", T2, T2, 1, T3)},
    ),
]
RUNS_RESOLVED_STAYS = [
    (T1, True, {"a"}, {"a": history("a", T1, T1, 1)}),
    (T2, True, set(), {"a": history("a", T1, T1, 1, T2)}),
    (T3, True, set(), {"a": history("a", T1, T1, 1, T2)}),  # still gone: resolved when it went away
]


@pytest.mark.parametrize(
    "runs",
    [RUNS_COMPLETE, RUNS_WITH_INCOMPLETE, RUNS_RESOLVED_STAYS],
    ids=["new-persisting-fixed-reappears", "incomplete-run-resolves-nothing", "resolved-once"],
)
def test_history_across_three_runs(
    runs: list[tuple[datetime, bool, set[str], dict[str, FindingHistory]]],
) -> None:
    state: dict[str, FindingHistory] = {}
    for run_time, complete, seen, expected in runs:
        before = {
            fp: history(h.fingerprint, h.first_seen, h.last_seen, h.runs_seen, h.resolved_at)
            for fp, h in state.items()
        }
        after = advance_history(state, seen, run_time=run_time, run_complete=complete)
        assert after == expected
        assert state == before  # the previous mapping is not mutated
        state = after


def test_a_fingerprint_listed_twice_is_one_sighting() -> None:
    assert advance_history({}, ["a", "a"], run_time=T1, run_complete=True) == {"a": history("a", T1, T1, 1)}


def test_naive_run_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        advance_history({}, {"a"}, run_time=datetime(2026, 3, 1), run_complete=True)  # noqa: DTZ001


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (set(), set(), RunDiff((), (), ())),
        ({"b", "a"}, set(), RunDiff((), (), ("a", "b"))),
        (set(), {"b", "a"}, RunDiff(("a", "b"), (), ())),
        ({"a", "b", "c"}, {"d", "c", "b"}, RunDiff(("d",), ("b", "c"), ("a",))),
        (["a", "a"], ["a"], RunDiff((), ("a",), ())),
    ],
)
def test_diff_runs(old: set[str], new: set[str], expected: RunDiff) -> None:
    assert diff_runs(old, new) == expected
