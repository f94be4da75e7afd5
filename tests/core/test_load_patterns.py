"""Load patterns: each arrival schedule is a pure function of (pattern, seed), checked statistically."""

from __future__ import annotations

import statistics

import pytest

from core.load.patterns import (
    MAX_CONCURRENCY,
    InvalidPattern,
    LoadPattern,
    arrival_times_s,
    check,
    count_within,
    steps,
    sweep_levels,
)


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def test_constant_rate_sends_one_every_period() -> None:
    times = arrival_times_s(LoadPattern("rate", rate_per_s=4), 9)
    assert times == pytest.approx([k * 0.25 for k in range(9)])


@pytest.mark.parametrize("burstiness", [1.0, 0.25, 4.0])
def test_poisson_gaps_have_the_rate_s_mean_and_the_burstiness_s_spread(burstiness: float) -> None:
    times = arrival_times_s(LoadPattern("poisson", rate_per_s=20, burstiness=burstiness), 20_001, seed=3)
    between = gaps(times)
    mean = statistics.fmean(between)
    cv = statistics.pstdev(between) / mean
    assert mean == pytest.approx(1 / 20, rel=0.03)
    assert cv == pytest.approx(burstiness ** -0.5, rel=0.05)  # 1: Poisson (CV 1); lower: burstier


def test_a_schedule_is_the_same_for_the_same_seed_and_differs_for_another() -> None:
    pattern = LoadPattern("poisson", rate_per_s=5, burstiness=0.5)
    assert arrival_times_s(pattern, 50, seed=1) == arrival_times_s(pattern, 50, seed=1)
    assert arrival_times_s(pattern, 50, seed=1) != arrival_times_s(pattern, 50, seed=2)
    assert arrival_times_s(LoadPattern("fixed"), 50) == []  # closed loop: no schedule


def test_a_ramp_raises_the_rate_linearly_then_holds_it() -> None:
    pattern = LoadPattern("ramp", rate_per_s=2, end_rate_per_s=22, ramp_s=10)
    times = arrival_times_s(pattern, 400)
    # The instantaneous rate (1 / gap) against time during the ramp: slope (22 - 2) / 10 = 2 per second per second.
    during = [(t, 1 / g) for t, g in zip(times, gaps(times), strict=False) if 0.5 < t < 9.5]
    slope = statistics.linear_regression([t for t, _ in during], [r for _, r in during]).slope
    assert slope == pytest.approx(2.0, rel=0.03)
    assert sum(t < 10 for t in times) == pytest.approx(2 * 10 + 2 * 10 * 10 / 2, abs=1)  # the area under the rate
    after = [g for t, g in zip(times, gaps(times), strict=False) if t > 10.5]
    assert after and all(g == pytest.approx(1 / 22) for g in after)


def test_a_sweep_has_one_step_per_level_up_to_the_top() -> None:
    assert sweep_levels(10) == (1, 2, 4, 8, 10) and sweep_levels(8) == (1, 2, 4, 8) and sweep_levels(1) == (1,)
    assert [(s.name, s.concurrency, s.open_loop) for s in steps(LoadPattern("sweep", 4))] == [
        ("c=1", 1, False), ("c=2", 2, False), ("c=4", 4, False)]
    assert [s.concurrency for s in steps(LoadPattern("sweep", 99, levels=(3, 30)))] == [3, 30]
    assert [(s.name, s.open_loop) for s in steps(LoadPattern("poisson", 64, rate_per_s=5, burstiness=0.5))] == [
        ("poisson 5/s b=0.5", True)]


def test_count_within_a_duration() -> None:
    assert count_within(LoadPattern("rate", rate_per_s=10), 3.0) == 30
    ramp = LoadPattern("ramp", rate_per_s=0, end_rate_per_s=10, ramp_s=10)
    assert count_within(ramp, 10.0) == pytest.approx(50, abs=1)


@pytest.mark.parametrize(("pattern", "message"), [
    (LoadPattern("rate", rate_per_s=0), "the rate must be above 0"),
    (LoadPattern("poisson", rate_per_s=None), "the rate must be above 0"),
    (LoadPattern("poisson", rate_per_s=3, burstiness=0), "burstiness must be above 0"),
    (LoadPattern("sweep", MAX_CONCURRENCY + 1), f"the sweep's top level must be between 1 and {MAX_CONCURRENCY}"),
    (LoadPattern("sweep", 8, levels=(1, 5000)), r"sweep levels must be between 1 and 4096 \(got 5000\)"),
    (LoadPattern("ramp", rate_per_s=1, end_rate_per_s=0, ramp_s=5), "the end rate must be above 0"),
    (LoadPattern("ramp", rate_per_s=1, end_rate_per_s=3), "the ramp's duration must be above 0"),
])
def test_bad_patterns_are_named(pattern: LoadPattern, message: str) -> None:
    with pytest.raises(InvalidPattern, match=message):
        check(pattern)
