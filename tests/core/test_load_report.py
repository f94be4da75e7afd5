"""The benchmark report: what it says about the run, its figures table, and the CSV and JSON of every request,
from a real benchmark (load steps and a warm-up) against the emulator."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from core import bench, catalog, load_report
from core import format as fmt
from core.history import RUN_FIELDS
from core.load.figures import DEFINITIONS, Slos, record_step
from core.load.patterns import WARMUP_STEP, LoadPattern
from core.types import RunRecord

from ..models import CLAUDE, FAST

SHORT = bench.PROMPT_SETS["short"]
SLOS = Slos(ttft_ms=2000, tpot_ms=50)


@pytest.fixture(scope="module")
def records() -> list[RunRecord]:
    """A sweep over two levels with a warm-up, streamed and sync, two models, plus one failed request."""
    spec = bench.BenchmarkSpec((FAST, CLAUDE), SHORT.prompts, 64, runs_per_model=3, modes=("stream", "sync"),
                               pattern=LoadPattern("sweep", 2), warmup_requests=2)
    ran = bench.run_benchmark(spec).records
    failed = dataclasses.replace(ran[-1], run_id="f" * 32, status="error", error_code="ThrottlingException",
                                 error_message="Too many requests", ttft_ms=None, tokens_per_s=None, text="")
    return [*ran, failed]


def test_the_page_says_what_was_run_and_why_it_stopped(records: list[RunRecord]) -> None:
    page = load_report.render_html(records, spec_summary={"Load": "sweep 1, 2", "Prompt set": "short"},
                                   slos=SLOS, stop_reason="every planned request finished")
    facts = dict(re.findall(r"<tr><th>([^<]+)</th><td>([^<]*)</td></tr>", page))
    assert list(facts)[:2] == ["Load", "Prompt set"]  # the caller's summary first, in its order
    names = catalog.display_names([FAST, CLAUDE])
    assert facts["Models"] == ", ".join(f"{names[ref]} ({ref})" for ref in sorted({FAST, CLAUDE}))  # name and id
    assert facts["Backend"] == "emulator"
    assert facts["SLOs (goodput)"] == "TTFT &lt;= 2,000 ms, TPOT &lt;= 50 ms"
    assert facts["Why it stopped"] == "every planned request finished"
    assert facts["Requests"] == f"{len(records)} ({len(records) - 1} ok, 1 error)"
    first = min(datetime.fromisoformat(r.started_utc) for r in records)
    assert facts["When"].startswith(f"{first:%Y-%m-%d %H:%M:%S} to ")


def test_the_figures_table_has_a_row_per_model_and_load_step_without_the_warm_up(records: list[RunRecord]) -> None:
    page = load_report.render_html(records, spec_summary={}, slos=SLOS)
    body = page.split('<table class="figures">')[1].split("</table>")[0].split("<tbody>")[1]
    rows = [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in body.split("</tr>") if "<td" in row]
    ids = re.findall(r'<td class="text" title="([^"]*)">', body)  # each model by its name, its id on hover
    names = catalog.display_names([FAST, CLAUDE])
    assert sorted((row[0], row[1]) for row in rows) == sorted((names[m], s) for m in (FAST, CLAUDE)
                                                              for s in ("c=1", "c=2"))
    assert sorted(ids) == sorted([FAST, FAST, CLAUDE, CLAUDE])
    assert not any(cell in ("None", "nan", "NaN") for row in rows for cell in row)  # unknown is a dash
    header = page.split('<table class="figures">')[1].split("</thead>")[0]
    assert all(f">{fmt.label(key)}<" in header for key in ("ttft", "tpot", "e2e", "decode_rate", "error_rate"))
    counted = {(row[0], row[1]): int(row[2]) for row in rows}
    steps = [record_step(r) for r in records]
    assert sum(counted.values()) == sum(step != WARMUP_STEP for step in steps)
    assert counted[(names[records[-1].model_id], steps[-1])] == sum(
        r.model_id == records[-1].model_id and s == steps[-1] for r, s in zip(records, steps, strict=True))
    for name, definition in DEFINITIONS.items():  # each figure's definition, on the page and on its column
        assert definition.replace("'", "&#x27;") in page, name
    assert page.count('class="js-plotly-plot"') == 0  # drawn by the browser from the inlined plotly.js
    assert page.count('<figure class="chart"') == 5


def test_the_csv_and_json_hold_every_request_with_every_field(records: list[RunRecord], tmp_path: Path) -> None:
    files = load_report.write_report(records, spec_summary={}, folder=tmp_path / "new" / "folder")
    assert {files.html.parent, files.csv.parent, files.json.parent} == {tmp_path / "new" / "folder"}
    assert files.html.stem == f"benchmark-{records[0].benchmark_id}"

    assert load_report.read_records(files.json) == records
    raw = json.loads(files.json.read_text())
    assert [row[load_report.STEP_FIELD] for row in raw] == [record_step(r) for r in records]

    rows = list(csv.DictReader(io.StringIO(files.csv.read_text())))
    assert list(rows[0]) == [*RUN_FIELDS, load_report.STEP_FIELD]
    assert len(rows) == len(records)
    for record, row in zip(records, rows, strict=True):
        for name in RUN_FIELDS:
            value, cell = getattr(record, name), row[name]
            if name == "started_utc":
                assert datetime.fromisoformat(cell) == datetime.fromisoformat(value)
            elif value is None:
                assert cell == "", name
            elif isinstance(value, list):
                assert json.loads(cell) == value, name
            elif isinstance(value, bool | str):
                assert cell == str(value), name
            else:
                assert float(cell) == pytest.approx(value, rel=1e-12), name
        assert row[load_report.STEP_FIELD] == record_step(record)


def test_an_unwritable_folder_is_reported_in_words(records: list[RunRecord], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(load_report.ReportError, match="could not write the report in"):
        load_report.write_report(records[:2], spec_summary={}, folder=blocker / "reports")


def test_a_report_of_no_request_says_so(tmp_path: Path) -> None:
    files = load_report.write_report([], spec_summary={"Benchmark id": "abc123"}, folder=tmp_path,
                                     stop_reason="cancelled before any request finished")
    page = files.html.read_text()
    assert files.html.name == "benchmark-abc123.html"
    assert "No request finished: no figures." in page and "cancelled before any request finished" in page
    assert json.loads(files.json.read_text()) == []
