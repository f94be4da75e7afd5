"""The Monitor page in Chromium: a quick benchmark draws the charts, hover shows a run, Cancel keeps what finished and
says what became of every planned run; with a dozen models the charts stay readable (names level and whole, legends
clear of the plot and of the toolbar), nothing is drawn empty, each chart downloads as a PNG, and times are local."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from core import catalog
from core.charts import WAIT_MODES, model_label
from core.history import History
from core.types import RunRecord

from .. import models
from .conftest import serve_streamlit

pytestmark = pytest.mark.browser

CHARTS_JS = "Array.from(document.querySelectorAll('.js-plotly-plot')).map(d => d.data.map(t => [t.name, t.type]))"
KEY_TRACES = {meaning for _, meaning in WAIT_MODES.values()}
ZONE = "America/New_York"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"

# Per chart, what a reader would find wrong: the toolbar over the legend, a legend over the plot, tick labels on
# top of each other or turned on their side, model names cut short.
LAYOUT_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(d => {
  const box = e => { if (!e) return null; const r = e.getBoundingClientRect();
                     return r.width && r.height ? [r.left, r.top, r.right, r.bottom] : null; };
  const ticks = axis => Array.from(d.querySelectorAll(`.${axis}tick text`)).filter(t => t.textContent)
    .map(t => ({text: t.textContent, box: box(t),
                turned: /rotate\\((?!0[,)])/.test(t.getAttribute('transform') || '')}));
  return {title: d.closest('[data-testid=stColumn]')?.querySelector('strong')?.textContent,
          modebar: box(d.querySelector('.modebar')), legend: box(d.querySelector('.legend')),
          plot: box(d.querySelector('.nsewdrag')), figure: box(d), x: ticks('x'), y: ticks('y'),
          png: !!d.querySelector('.modebar-btn[data-title="Download plot as a PNG"]'),
          empty: !d.data.length || !!d.querySelector('.annotation-text')};
})"""


def overlap(one: list[float] | None, other: list[float] | None) -> bool:
    if not one or not other:
        return False
    return one[0] < other[2] - 1 and other[0] < one[2] - 1 and one[1] < other[3] - 1 and other[1] < one[3] - 1


def unreadable(chart: dict[str, Any]) -> list[str]:
    """What makes a chart hard to read, in words (empty: nothing)."""
    problems = []
    title = chart["title"]
    if overlap(chart["modebar"], chart["legend"]):
        problems.append(f"{title}: the toolbar covers the legend")
    if overlap(chart["legend"], chart["plot"]):
        problems.append(f"{title}: the legend covers the plot")
    if chart["figure"] and chart["legend"] and chart["legend"][3] > chart["figure"][3] + 1:
        problems.append(f"{title}: the legend runs out of the chart")
    for axis in ("x", "y"):
        labels = chart[axis]
        problems += [f"{title}: {t['text']!r} is turned on its side" for t in labels if t["turned"]]
        problems += [f"{title}: {a['text']!r} and {b['text']!r} overlap" for i, a in enumerate(labels)
                     for b in labels[i + 1:] if overlap(a["box"], b["box"])]
    if not chart["png"]:
        problems.append(f"{title}: no PNG download in the toolbar")
    return problems


def open_monitor_for_this_session(page: Any, url: str) -> None:
    """The Monitor scoped to this browser session, which has no runs yet (other tests share the server)."""
    page.goto(url)
    # the app's own navigation
    expect(page.get_by_test_id("stSidebar").get_by_text("Bedrock Streaming Lab")).to_be_visible(timeout=30_000)
    page.get_by_test_id("stSidebarNav").get_by_text("Monitor", exact=True).click()
    expect(page.get_by_role("heading", name="Monitor")).to_be_visible(timeout=30_000)
    page.get_by_text("This session", exact=True).click()
    expect(page.get_by_text("No runs in this session yet")).to_be_visible(timeout=30_000)


def test_a_quick_benchmark_draws_every_chart_with_one_trace_per_model(app_url: str, page: Any) -> None:
    open_monitor_for_this_session(page, app_url)
    page.get_by_role("button", name="Run a quick benchmark").click()
    expect(page.get_by_text("Benchmark finished.")).to_be_visible(timeout=60_000)
    # seven charts and the time to first reasoning second (the quick benchmark has a model that shows reasoning);
    # no error chart: no run failed, and a line says so instead of a row of zeros
    expect(page.locator(".js-plotly-plot")).to_have_count(8, timeout=30_000)
    expect(page.get_by_text("No errors: all 60 finished runs of 3 models ended ok.")).to_be_visible()
    page.wait_for_function("Array.from(document.querySelectorAll('.js-plotly-plot')).every(d => d.data)")
    charts = page.evaluate(CHARTS_JS)
    names = {name for name, _ in charts[0]}
    assert len(names) == 3 and model_label(models.CLAUDE) in names  # the sidebar's model and two others
    reasoning = {name for name, _ in charts.pop(1)}
    assert reasoning and reasoning < names
    for traces in charts:
        assert {name for name, _ in traces} - KEY_TRACES == names
    assert [kind for _, kind in charts[0]] == ["box"] * 6  # each model: quartiles, then its runs as points
    # the benchmark's own figures per load step, then the Monitor's table with one row per model
    expect(page.get_by_test_id("stDataFrame").nth(1)).to_be_visible()

    # Hovering a run's point in the TTFT chart shows that run's details.
    ttft = page.locator(".js-plotly-plot").first
    ttft.scroll_into_view_if_needed()
    point = ttft.locator("g.points path.point").first
    point.hover(force=True)
    hover = ttft.locator(".hoverlayer")
    expect(hover).to_contain_text(re.compile(r"run [0-9a-f]{8}"), timeout=5_000)
    expect(hover).to_contain_text("TTFT")


def test_cancel_keeps_the_runs_that_finished_and_the_counts_add_up(live_app_url: str, page: Any) -> None:
    open_monitor_for_this_session(page, live_app_url)
    page.get_by_role("button", name="Run a quick benchmark").click()
    progress = page.get_by_text(re.compile(r"[1-9]\d* of 60 runs"))
    expect(progress).to_be_visible(timeout=30_000)  # at least one run finished, at real latencies
    expect(page.get_by_text(re.compile(r"about .* left"))).to_be_visible()
    page.get_by_role("button", name="Cancel").click()
    outcome = page.get_by_text("Benchmark cancelled.")
    expect(outcome).to_be_visible(timeout=30_000)
    alert = page.get_by_test_id("stAlert").filter(has_text="Benchmark cancelled.").inner_text()
    # every planned run is accounted for: it finished ok, failed, was stopped in flight or never started
    found = re.search(r"60 runs planned: (\d+) finished ok, (\d+) failed(?:, (\d+) stopped in flight)?"
                      r"(?:, (\d+) not started)?", alert)
    assert found, alert
    ok, failed, stopped, not_started = (int(n or 0) for n in found.groups())
    assert ok + failed + stopped + not_started == 60 and 1 <= ok < 60 and not_started + stopped > 0, alert
    # the kept runs are charted (and the time to first reasoning, if a kept stream showed reasoning)
    expect(page.locator(".js-plotly-plot").nth(6)).to_be_visible(timeout=30_000)
    assert page.locator(".js-plotly-plot").count() in (7, 8)


# -- a dozen models --------------------------------------------------------------------------------------------


def dozen_models() -> list[str]:
    """Twelve models the table knows, as many vendors as it can (one of each in turn), each as requests call it."""
    by_vendor: dict[str, list[str]] = {}
    for model in catalog.listed_models():
        if model.spec and model.spec.streaming and model.lifecycle == "active":
            by_vendor.setdefault(model.vendor, []).append(models.call_id(model))
    in_turn = [ids[i] for i in range(max(map(len, by_vendor.values()))) for ids in by_vendor.values() if i < len(ids)]
    return in_turn[:12]


@pytest.fixture(scope="module")
def many_models_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a history of twelve models' runs through Converse (no server first byte), two of them with
    failures, on a machine whose clock is in New York."""
    folder: Path = tmp_path_factory.mktemp("monitor-dozen")
    history = History(folder / "history.sqlite")
    started = datetime.now(UTC) - timedelta(hours=2)
    for m, model_id in enumerate(dozen_models()):
        for i in range(8):
            failed = m < 2 and i < 2
            history.record_run(RunRecord(
                run_id=f"dozen-{m:02d}-{i}", started_utc=(started + timedelta(minutes=m + 5 * i)).isoformat(),
                model_id=model_id, provider=catalog.resolve(model_id).vendor, api="converse",
                mode="sync" if i == 7 else "stream", backend="emulator", status="error" if failed else "ok",
                error_code="ThrottlingException" if failed else None, ttft_ms=250.0 + 40 * m + 9 * i,
                e2e_ms=1200.0 + 80 * m + 30 * i, output_tokens=60 + 7 * i, tokens_per_s=40.0 + 12 * m + i,
                cost_usd=0.0001 * (m + 1)))
    env = {**os.environ, "BEDROCK_BACKEND": "emulator", "BEDROCK_EMULATOR_TIME_SCALE": "0",
           "BEDROCK_LAB_HISTORY": str(folder / "history.sqlite"), "TZ": ZONE}
    with serve_streamlit(folder, env) as url:
        yield url


def open_monitor(page: Any, url: str) -> list[dict[str, Any]]:
    """The Monitor with its charts drawn, and each chart's layout."""
    page.goto(f"{url}/monitor")
    page.wait_for_selector(IDLE, timeout=60_000)
    expect(page.locator(".js-plotly-plot")).to_have_count(7, timeout=30_000)
    page.wait_for_function("Array.from(document.querySelectorAll('.js-plotly-plot')).every(d => d._fullLayout)")
    return page.evaluate(LAYOUT_JS)  # type: ignore[no-any-return]


def test_a_dozen_models_read_on_a_slide(many_models_url: str, page: Any, tmp_path: Path) -> None:
    charts = open_monitor(page, many_models_url)
    # Seven charts: the client-vs-server chart has nothing to draw (Converse reports no server first byte), so it
    # is left out and a line says why; every chart drawn has data.
    assert [c["empty"] for c in charts] == [False] * 7
    expect(page.get_by_text("No stream reported the server's first byte")).to_be_visible()
    assert [p for chart in charts for p in unreadable(chart)] == []
    names = {model_label(m) for m in dozen_models()}
    ttft = next(c for c in charts if c["title"].startswith("Time to first token"))
    assert {t["text"] for t in ttft["y"]} == names  # each model's name, whole, on a row of its own
    errors = page.locator(".js-plotly-plot").filter(has_text="no errors")
    expect(errors).to_have_count(1)  # the error chart: "no errors" beside the ten models that had none
    expect(errors.get_by_text("no errors")).to_have_count(10)
    zone = datetime.now(ZoneInfo(ZONE)).strftime("%Z")
    expect(page.locator(".js-plotly-plot").get_by_text(f"started (local time, {zone})")).to_be_visible()

    # Each chart downloads as a PNG from its own toolbar, drawn in the browser (no outside service).
    first = page.locator(".js-plotly-plot").first
    first.hover()
    with page.expect_download() as download:
        first.locator('.modebar-btn[data-title="Download plot as a PNG"]').click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "monitor-ttft.png" and saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_dozen_models_read_on_a_phone(many_models_url: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        charts = open_monitor(page, many_models_url)
        problems = [p for chart in charts for p in unreadable(chart) if "turned on its side" not in p]
        assert problems == []  # a phone may turn an axis' numbers; names and legends stay clear
        assert all(chart["figure"][2] <= 390 + 1 for chart in charts)  # no chart wider than the screen
    finally:
        context.close()
