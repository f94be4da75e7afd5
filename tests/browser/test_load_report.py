"""The benchmark report opened from disk in Chromium: it draws its charts and table and requests nothing but
itself, even when what it shows was written to make a browser fetch (the report is shared, so it must never
call home or run what a summary says)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core import bench, load_report
from core.load.figures import Slos
from core.load.patterns import LoadPattern

from ..models import CLAUDE, FAST

pytestmark = pytest.mark.browser

OUTSIDE = "http://198.51.100.7"  # TEST-NET-2: nothing answers there, and nothing may try
HOSTILE = (f'<img src="{OUTSIDE}/pixel.png"><script>fetch("{OUTSIDE}/beacon")</script>'
           f'<link rel="stylesheet" href="{OUTSIDE}/font.css">')


def test_the_report_draws_offline_and_requests_nothing_but_itself(page: Any, tmp_path: Path) -> None:
    spec = bench.BenchmarkSpec((FAST, CLAUDE), bench.PROMPT_SETS["short"].prompts, 64, runs_per_model=2,
                               pattern=LoadPattern("sweep", 2))
    records = bench.run_benchmark(spec).records
    files = load_report.write_report(records, spec_summary={"Load": "sweep 1, 2", "Note": HOSTILE},
                                     folder=tmp_path, slos=Slos(ttft_ms=2000), stop_reason=HOSTILE)
    requested: list[str] = []
    errors: list[str] = []

    def route(handled: Any) -> None:
        requested.append(handled.request.url)
        if handled.request.url.startswith("file://"):
            handled.continue_()
        else:
            handled.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("websocket", lambda socket: requested.append(socket.url))
    page.goto(files.html.as_uri())
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 5")

    assert requested == [files.html.as_uri()]
    assert errors == []
    charts = page.evaluate("""Array.from(document.querySelectorAll('.js-plotly-plot')).map(div => ({
        id: div.id, traces: div.data.length, points: div.calcdata.reduce((n, trace) => n + trace.length, 0),
        drawn: div.querySelectorAll('.main-svg').length}))""")  # calcdata: the points plotly computed to draw
    assert [c["id"] for c in charts] == ["chart-ttft", "chart-decode", "chart-ttft_steps", "chart-throughput_steps",
                                         "chart-goodput_steps"]
    assert all(c["traces"] > 0 and c["points"] > 0 and c["drawn"] > 0 for c in charts), charts
    assert page.locator("table.figures tbody tr").count() == 4  # two models at two load steps
    # The hostile text is shown as text, twice (the summary and why it stopped), and did nothing.
    assert page.get_by_text(HOSTILE, exact=True).count() == 2
    assert page.locator("img, link[rel=stylesheet]").count() == 0
    assert page.locator("a[download]").evaluate_all("links => links.map(a => a.getAttribute('href'))") == [
        files.csv.name, files.json.name]
