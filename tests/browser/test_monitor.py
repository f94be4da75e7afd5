"""The Monitor page in Chromium: a quick benchmark draws the charts, hover shows a run, Cancel keeps what finished."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from core.charts import model_label

from .. import models

pytestmark = pytest.mark.browser

CHARTS_JS = "Array.from(document.querySelectorAll('.js-plotly-plot')).map(d => d.data.map(t => [t.name, t.type]))"


def open_monitor_for_this_session(page: Any, url: str) -> None:
    """The Monitor scoped to this browser session, which has no runs yet (other tests share the server)."""
    page.goto(url)
    expect(page.get_by_text("Bedrock Streaming Lab")).to_be_visible(timeout=30_000)  # the app's own navigation
    page.get_by_test_id("stSidebarNav").get_by_text("Monitor", exact=True).click()
    expect(page.get_by_role("heading", name="Monitor")).to_be_visible(timeout=30_000)
    page.get_by_text("This session", exact=True).click()
    expect(page.get_by_text("No runs in this session yet")).to_be_visible(timeout=30_000)


def test_a_quick_benchmark_draws_every_chart_with_one_trace_per_model(app_url: str, page: Any) -> None:
    open_monitor_for_this_session(page, app_url)
    page.get_by_role("button", name="Run a quick benchmark").click()
    expect(page.get_by_text("Benchmark finished.")).to_be_visible(timeout=60_000)
    # eight charts, and the time to first reasoning second: the quick benchmark has a model that shows reasoning
    expect(page.locator(".js-plotly-plot")).to_have_count(9, timeout=30_000)
    page.wait_for_function("Array.from(document.querySelectorAll('.js-plotly-plot')).every(d => d.data)")
    charts = page.evaluate(CHARTS_JS)
    names = {name for name, _ in charts[0]}
    assert len(names) == 3 and model_label(models.CLAUDE) in names  # the sidebar's model and two others
    reasoning = {name for name, _ in charts.pop(1)}
    assert reasoning and reasoning < names
    for traces in charts:
        assert {name for name, _ in traces} == names
    assert [kind for _, kind in charts[0]] == ["box"] * 6  # each model: quartiles, then its runs as points
    # the benchmark's own figures per load step, then the Monitor's percentile table
    expect(page.get_by_test_id("stDataFrame")).to_have_count(2)
    expect(page.get_by_test_id("stDataFrame").last).to_be_visible()

    # Hovering a run's point in the TTFT chart shows that run's details.
    ttft = page.locator(".js-plotly-plot").first
    ttft.scroll_into_view_if_needed()
    point = ttft.locator("g.points path.point").first
    point.hover(force=True)
    hover = ttft.locator(".hoverlayer")
    expect(hover).to_contain_text(re.compile(r"run [0-9a-f]{8}"), timeout=5_000)
    expect(hover).to_contain_text("TTFT")


def test_cancel_keeps_the_runs_that_finished(live_app_url: str, page: Any) -> None:
    open_monitor_for_this_session(page, live_app_url)
    page.get_by_role("button", name="Run a quick benchmark").click()
    progress = page.get_by_text(re.compile(r"[1-9]\d* of 60 runs"))
    expect(progress).to_be_visible(timeout=30_000)  # at least one run finished, at real latencies
    expect(page.get_by_text(re.compile(r"about .* left"))).to_be_visible()
    page.get_by_role("button", name="Cancel").click()
    outcome = page.get_by_text("Benchmark cancelled.")
    expect(outcome).to_be_visible(timeout=30_000)
    alert = page.get_by_test_id("stAlert").filter(has_text="Benchmark cancelled.").inner_text()
    finished = int(re.search(r"(\d+) of 60 runs finished", alert).group(1))  # type: ignore[union-attr]
    assert 1 <= finished < 60
    # the kept runs are charted (and the time to first reasoning, if a kept stream showed reasoning)
    expect(page.locator(".js-plotly-plot").nth(7)).to_be_visible(timeout=30_000)
    assert page.locator(".js-plotly-plot").count() in (8, 9)
