"""The Monitor at scale: load and aggregate 100,000 runs from the history, within time and memory, on SQLite
and on PostgreSQL.

    .venv/bin/python bench/monitor_scale.py [--runs 100000] [--rounds 3] [--databases sqlite,postgresql]
        [--postgres URL]

Target (issue 6): with 100,000 runs in the history file, the page's data loading and aggregation take
at most 2 s and its memory stays under 500 MB; aggregation runs in SQL or pandas, not in Python
loops over rows.

Setup writes the runs into a temporary history file with one bulk insert (realistic rows: about
1.5 KB of answer text and request JSON each, 12 models, 30 days, 5% errors). Each measurement then
runs in a fresh Python process that imports what the page imports, so its peak resident memory is
the page's own: load (`analytics.load_runs`, what the page reads), aggregate (filters, percentile
table, error rates, costs, fits, perceived wait, totals), and separately the eight figures as the
page builds and serialises them. A second process reads every column (`History.runs()` as before
this issue) for comparison.

The same runs go into a SQLite file and into a PostgreSQL database (issue 18): on the server at `--postgres`
(a URL the script may create a database with), or else a throwaway server started from Debian's `postgresql`
binaries (tests/postgres.py), on this machine's loopback, with fsync on.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_S = 2.0
TARGET_MB = 500.0


def _models() -> list[tuple[str, str, float, float, float | None, float | None]]:
    """(id as requests call it, vendor, usual TTFT ms, usual tok/s, $ per 1M input, $ per 1M output) for a dozen
    models of the model table, two per vendor at most, the defaults first; and the emulator's non-streaming demo."""
    from core import catalog
    from core.emulator.models import MODELS as EMULATED

    rows: list[tuple[str, str, float, float, float | None, float | None]] = []
    per_vendor: dict[str, int] = {}
    defaults = [catalog.resolve(m) for m in (catalog.default_model_id(), catalog.default_model_id("api"))]
    for model in (*defaults, *catalog.listed_models()):
        spec, prices = model.spec, model.prices_per_1m_usd
        ref = model.invocation_id("us-east-1")
        if (spec is None or model.lifecycle != "active" or prices is None or not spec.ttft_ms or not spec.tokens_per_s
                or per_vendor.get(model.vendor, 0) >= 2 or any(row[0] == ref for row in rows)):
            continue
        per_vendor[model.vendor] = per_vendor.get(model.vendor, 0) + 1
        rows.append((ref, model.vendor, spec.ttft_ms, spec.tokens_per_s, *prices))
        if len(rows) == 11:
            break
    sync_only = next(m for m in EMULATED if not m.streaming)
    rows.append((sync_only.model_id, sync_only.provider, sync_only.latency.ttft_ms, sync_only.latency.tokens_per_s,
                 None, None))
    return rows


MODELS = _models()
SYNC_ONLY = MODELS[-1][0]  # answers in one piece
PEOPLE = ("ana", "bo", "chen", "dara", "eli")  # a team of five sharing one history
WORDS = ("streaming latency tokens model request answer first byte decode rate cache region profile throughput "
         "percentile benchmark session history emulator bedrock converse invoke").split()


def _rows(count: int, seed: int = 6) -> list[tuple[object, ...]]:
    """`count` runs in RUN_FIELDS order plus recorded_utc, spread over the last 30 days."""
    from core.history import RUN_FIELDS

    draw = random.Random(seed)
    now = datetime.now(UTC)
    text = " ".join(draw.choice(WORDS) for _ in range(4000))
    sessions = [f"session-{i:03d}" for i in range(200)]
    benchmarks = [f"bench-{i:03d}" for i in range(50)]
    rows = []
    for i in range(count):
        model_id, provider, ttft_typical, rate, price_in, price_out = MODELS[i % len(MODELS)]
        stream = model_id != SYNC_ONLY and draw.random() < 0.8
        roll = draw.random()
        status = "ok" if roll < 0.93 else "error" if roll < 0.98 else "cancelled"
        code = (("ThrottlingException" if draw.random() < 0.6 else "ModelTimeoutException")
                if status == "error" else None)
        ttft = draw.lognormvariate(0, 0.25) * ttft_typical
        out = draw.randint(20, 900) if status != "error" else 0
        decode_s = out / (rate * draw.uniform(0.8, 1.2))
        e2e = ttft + decode_s * 1000 if stream else ttft + decode_s * 1000
        started = now - timedelta(seconds=draw.uniform(0, 30 * 86400))
        answer = text[(i * 37) % 2000:(i * 37) % 2000 + draw.randint(600, 1400)]
        values = {
            "run_id": f"{i:08d}{draw.getrandbits(64):016x}", "started_utc": started.isoformat(timespec="milliseconds"),
            "model_id": model_id, "provider": provider, "api": "invoke" if i % 3 else "converse",
            "mode": "stream" if stream else "sync", "backend": "emulator" if i % 5 else "aws",
            "region": "us-east-1", "status": status, "ttft_ms": round(ttft if stream else e2e, 3),
            "first_event_ms": round(ttft - 2, 3), "e2e_ms": round(e2e, 3),
            "tokens_per_s": out / decode_s if stream and out >= 2 else None,
            "tpot_ms": decode_s * 1000 / (out - 1) if stream and out >= 2 else None, "gap_count": out // 3,
            "gap_p50_ms": 12.0, "gap_p90_ms": 30.0, "gap_max_ms": 120.0, "input_tokens": draw.randint(10, 600),
            "output_tokens": out or None, "tokens_source": "reported",
            "server_first_byte_ms": round(ttft * 0.93, 3) if stream and i % 3 else None,
            "server_latency_ms": round(e2e * 0.97, 3), "stop_reason": "end_turn", "attempts": 1 + (code is not None),
            "error_code": code, "error_message": "Too many requests, please wait." if code else None,
            "text": answer, "reasoning_text": "", "cost_usd": (300 * price_in + out * price_out) / 1_000_000
                                                            if price_in is not None and price_out is not None else None,
            "notes": "[]", "system": "", "max_tokens": 1024, "temperature": 0.7, "top_p": 0.9, "stop_sequences": "[]",
            "request_json": json.dumps({"messages": [{"role": "user", "content": answer[:300]}], "max_tokens": 1024}),
            "session_id": draw.choice(sessions), "conversation_id": None, "compare_group": None,
            "benchmark_id": draw.choice(benchmarks) if i % 4 == 0 else None,
            "user_name": PEOPLE[i % len(PEOPLE)], "host": f"{PEOPLE[i % len(PEOPLE)]}-laptop",
        }
        # the fields this row leaves out (reasoning, tiers, caching) are unknown, as for runs from before them
        rows.append((*(values.get(name) for name in RUN_FIELDS), now.isoformat()))
    return rows


def create(path: Path, count: int) -> float:
    """A history file holding `count` runs; returns its size in MB."""
    from core.history import RUN_FIELDS, History

    History(path)  # the schema and its migrations, as the app creates them
    columns = [*RUN_FIELDS, "recorded_utc"]
    with sqlite3.connect(path) as db:
        db.executemany(f"INSERT INTO runs ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                       _rows(count))
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size / 1e6


def create_postgres(url: str, count: int) -> float:
    """The same `count` runs in the PostgreSQL database at `url` (COPY, then VACUUM ANALYZE); returns its size in MB."""
    import psycopg

    from core.history import RUN_FIELDS, History

    History(url).close()
    columns = [*RUN_FIELDS, "recorded_utc"]
    with psycopg.connect(url, autocommit=True) as db:
        with db.cursor() as cursor, cursor.copy(f"COPY runs ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[arg-type]
            for row in _rows(count):
                copy.write_row(row)
        db.execute("VACUUM ANALYZE runs")
        size = db.execute("SELECT pg_database_size(current_database())").fetchone()
    return float(size[0]) / 1e6 if size else 0.0


def _rss_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 1e6


def measure(path: str, rounds: int) -> dict[str, float]:
    """In this (fresh) process: import like the page, then load, aggregate and chart, `rounds` times."""
    import pandas as pd  # noqa: F401 - the page's imports count towards its memory
    import plotly.io as pio

    from core import analytics, charts
    from core.history import History

    history = History(path)
    before_mb = _rss_mb()
    loads, aggregates, figures, filtered = [], [], [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        in_scope = analytics.load_runs(history, analytics.RunFilter())
        t1 = time.perf_counter()
        run_filter = analytics.RunFilter()
        analytics.filter_options(in_scope)
        frame = analytics.filter_runs(in_scope, run_filter)
        analytics.totals(frame)
        analytics.format_percentile_table(analytics.percentile_table(frame))
        analytics.error_rates(frame)
        analytics.cost_by_model(frame)
        analytics.e2e_fits(frame)
        analytics.perceived_wait(frame)
        charts.points_capped(frame)
        t2 = time.perf_counter()
        made = charts.monitor_charts(frame)
        sent = sum(len(pio.to_json(chart.figure, validate=False)) for chart in made)
        t3 = time.perf_counter()
        week = analytics.RunFilter(since_utc=datetime.now(UTC) - timedelta(days=7),
                                   model_ids=(MODELS[0][0], MODELS[1][0]))  # the chat and API defaults
        narrow = analytics.filter_runs(analytics.load_runs(history, week), week)
        analytics.percentile_table(narrow)
        charts.monitor_charts(narrow)
        t4 = time.perf_counter()
        loads.append(t1 - t0)
        aggregates.append(t2 - t1)
        figures.append(t3 - t2)
        filtered.append(t4 - t3)
    return {"rows": float(len(in_scope)), "load_s": statistics.median(loads),
            "aggregate_s": statistics.median(aggregates), "figures_s": statistics.median(figures),
            "figure_json_mb": sent / 1e6, "filtered_s": statistics.median(filtered),
            "rss_before_mb": before_mb, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3,
            "frame_mb": float(in_scope.memory_usage(deep=True).sum()) / 1e6}


def measure_all_columns(path: str) -> dict[str, float]:
    """Every column, as History.runs() read before this issue (for comparison)."""
    from core.history import History

    history = History(path)
    t0 = time.perf_counter()
    frame = history.runs()
    elapsed = time.perf_counter() - t0
    return {"load_s": elapsed, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3,
            "frame_mb": float(frame.memory_usage(deep=True).sum()) / 1e6}


def measure_page(path: str, rounds: int) -> dict[str, float]:
    """The whole Monitor page through Streamlit's AppTest (sidebar, embedded emulator and rendering included)."""
    os.environ.update(BEDROCK_LAB_HISTORY=str(path), BEDROCK_EMULATOR_TIME_SCALE="0", BEDROCK_BACKEND="emulator")
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120).run()
    at.switch_page("pages/monitor.py")
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
    assert not at.exception and len(at.get("plotly_chart")) == 8, at.exception
    return {"page_s": statistics.median(times), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3}


def _child(*args: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--databases", default="sqlite,postgresql", help="which databases to measure, in order")
    parser.add_argument("--postgres", metavar="URL",
                        help="a server to measure on (a new database is created there); default: a throwaway one")
    parser.add_argument("--measure", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument("--all-columns", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument("--page", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.rounds)))
        return
    if args.all_columns:
        print(json.dumps(measure_all_columns(args.all_columns)))
        return
    if args.page:
        print(json.dumps(measure_page(args.page, args.rounds)))
        return

    databases = [name.strip() for name in args.databases.split(",") if name.strip()]
    figures: dict[str, float] = {}
    for database in databases:
        if database == "sqlite":
            with tempfile.TemporaryDirectory(prefix="monitor-scale-") as folder:
                path = str(Path(folder) / "history.sqlite")
                t0 = time.perf_counter()
                size_mb = create(Path(path), args.runs)
                print(f"\nSQLite setup: {args.runs:,} runs in a {size_mb:,.0f} MB history file "
                      f"({time.perf_counter() - t0:.1f} s, bulk insert)")
                figures["SQLite"] = report(path, args.rounds)
        elif database == "postgresql":
            figures.update(_on_postgres(args.postgres, args.runs, args.rounds))
        else:
            raise SystemExit(f"unknown database {database!r}: choose among sqlite, postgresql")
    if len(figures) > 1:
        print("\nMonitor load + aggregate for {:,} runs: {}".format(
            args.runs, ", ".join(f"{name} {seconds:.3f} s" for name, seconds in figures.items())))


def _on_postgres(url: str | None, runs: int, rounds: int) -> dict[str, float]:
    """The report on PostgreSQL: a new database on `url`'s server, or on a throwaway server."""
    import uuid

    import psycopg

    server = None
    if url is None:
        from tests import postgres

        reason = postgres.unavailable_reason()
        if reason is not None:
            print(f"\nPostgreSQL: skipped ({reason})")
            return {}
        server = postgres.TemporaryServer.start(fsync=True)
        url = server.url()
    name = f"lab_monitor_scale_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    location = f"{url.rsplit('/', 1)[0]}/{name}"
    try:
        t0 = time.perf_counter()
        size_mb = create_postgres(location, runs)
        print(f"\nPostgreSQL setup: {runs:,} runs in a {size_mb:,.0f} MB database ({time.perf_counter() - t0:.1f} s, "
              "COPY)" + (" on a throwaway server on this machine" if server else ""))
        return {"PostgreSQL": report(location, rounds)}
    finally:
        from core.history.postgres import close_pools

        close_pools()
        with psycopg.connect(url, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
        if server is not None:
            server.cleanup()


def report(location: str, rounds: int) -> float:
    """Measure in child processes and print; returns the load + aggregate seconds."""
    page = _child("--measure", location, "--rounds", str(rounds))
    every = _child("--all-columns", location)
    whole = _child("--page", location, "--rounds", str(rounds))
    work_s = page["load_s"] + page["aggregate_s"]
    from core.analytics import MONITOR_COLUMNS

    print(f"The page's data work over {int(page['rows']):,} runs (median of {rounds} rounds in one process):")
    print(f"  load (SQL, {len(MONITOR_COLUMNS)} columns, typed): "
          f"{page['load_s']:.3f} s; frame {page['frame_mb']:.0f} MB")
    print(f"  aggregate (filters, percentiles, rates, costs, fits, waits, totals): {page['aggregate_s']:.3f} s")
    print(f"  load + aggregate: {work_s:.3f} s   target <= {TARGET_S:g} s: ratio {work_s / TARGET_S:.2f} "
          f"({'met' if work_s <= TARGET_S else 'NOT met'})")
    print(f"  peak resident memory of that process: {page['peak_rss_mb']:.0f} MB (after imports "
          f"{page['rss_before_mb']:.0f} MB)   target < {TARGET_MB:g} MB: ratio {page['peak_rss_mb'] / TARGET_MB:.2f} "
          f"({'met' if page['peak_rss_mb'] < TARGET_MB else 'NOT met'})")
    print(f"  the eight figures, built and serialised: {page['figures_s']:.3f} s, {page['figure_json_mb']:.1f} MB "
          "of plotly JSON")
    print(f"  a narrower view (7 days, 2 models: load, filter, table, figures): {page['filtered_s']:.3f} s")
    print(f"The whole page in Streamlit's AppTest (entry point, sidebar, data work, eight charts, table; the "
          f"embedded emulator and Streamlit in the same process): {whole['page_s']:.3f} s a run, peak resident memory "
          f"{whole['peak_rss_mb']:.0f} MB")
    print(f"For comparison, every column (History.runs() with no column list): load {every['load_s']:.3f} s, "
          f"frame {every['frame_mb']:.0f} MB, peak {every['peak_rss_mb']:.0f} MB "
          f"({every['load_s'] / page['load_s']:.1f}x the time of the page's load)")
    return work_s


if __name__ == "__main__":
    main()
