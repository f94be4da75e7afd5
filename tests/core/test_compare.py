"""core.compare: lanes read at the same time on the emulator, stop keeps partial text, and the figures
the Compare page shows (headline, badges, timelines, the repeat table)."""

from __future__ import annotations

import dataclasses
import itertools
import time
from pathlib import Path
from typing import Any

import pytest

from core import answers, catalog, compare
from core.catalog import ModelInfo
from core.history import History
from core.settings import LabSettings
from core.streaming import RunRequest
from core.types import ChatRequest, Message, RunRecord

from ..conftest import client_for
from ..models import CHAT, CLAUDE, FAMILY_MODELS, FAST, NOT_STREAMING

NOVA = FAST
LLAMA = FAMILY_MODELS["llama3"]


def request(model_id: str, *, stream: bool = True, text: str = "Write 120 tokens about queues.", max_tokens: int = 120,
            group: str | None = None, api: str = "converse") -> RunRequest:
    chat = ChatRequest((Message("user", text),), "", max_tokens, 0.5, 0.9, ())
    return RunRequest(model_id, chat, api=api, stream=stream, compare_group=group)  # type: ignore[arg-type]


@pytest.fixture()
def client(emulator: Any) -> Any:
    return client_for(emulator.url)


@pytest.fixture()
def slow(control: Any) -> Any:
    """The emulator keeps time (scale 1), with quick first tokens and modest decode rates."""
    control.request("POST", "/_emulator/config", {"time_scale": 1})
    for model_id, ttft_ms, rate in ((CLAUDE, 250, 100), (NOVA, 150, 200), (LLAMA, 200, 150)):
        control.request("POST", "/_emulator/profiles", {"model_id": model_id, "ttft_ms": ttft_ms, "tokens_per_s": rate})
    return control


def test_lanes_stream_at_the_same_time_and_land_in_the_history_with_their_group(
        slow: Any, client: Any, tmp_path: Path) -> None:
    history = History(tmp_path / "history.sqlite")
    group = compare.new_group()
    lanes = answers.start_lanes([request(m, group=group) for m in (CLAUDE, NOVA, LLAMA)],
                                on_finish=history.record_run, client=client)
    both_partial = False
    while not all(lane.done for lane in lanes):  # the page's view: several panels hold partial text at once
        texts = [lane.text for lane in lanes]
        both_partial = both_partial or sum(1 for t in texts if t) >= 2 and not any(lane.done for lane in lanes)
        time.sleep(0.02)
    assert both_partial
    records = [lane.record for lane in lanes]
    assert all(r is not None and r.status == "ok" and r.text for r in records)
    # each stream was read while the others were: every TTFT came before every other stream ended
    t_first = max(r.ttft_ms for r in records)  # type: ignore[union-attr,type-var]
    assert all(t_first < r.e2e_ms for r in records)  # type: ignore[union-attr,operator]
    stored = history.runs(compare_group=group)
    assert sorted(stored["model_id"]) == sorted([CLAUDE, NOVA, LLAMA]) and set(stored["status"]) == {"ok"}


def test_stop_keeps_every_partial_answer_and_records_it_as_cancelled(slow: Any, client: Any, tmp_path: Path) -> None:
    history = History(tmp_path / "history.sqlite")
    group = compare.new_group()
    lanes = answers.start_lanes([request(m, group=group, max_tokens=2000, text="Write 2000 tokens about queues.")
                                 for m in (CLAUDE, NOVA)], on_finish=history.record_run, client=client)
    while not all(lane.text for lane in lanes):
        time.sleep(0.02)
    shown = [lane.text for lane in lanes]
    answers.stop_lanes(lanes)
    assert all(lane.done for lane in lanes)
    for lane, seen in zip(lanes, shown, strict=True):
        record = lane.record
        assert record is not None and record.status == "cancelled"
        assert record.text.startswith(seen) and 0 < len(record.text) < 4000  # kept, and really cut short
    assert set(history.runs(compare_group=group)["status"]) == {"cancelled"}


def test_a_fault_in_one_lane_leaves_the_others_complete(control: Any, client: Any) -> None:
    control.fault("stream_error", model_id=NOVA, after_tokens=10)
    lanes = answers.start_lanes([request(CLAUDE), request(NOVA), request(LLAMA)], client=client)
    for lane in lanes:
        assert lane.join(30)
    claude, nova, llama = (lane.record for lane in lanes)
    assert nova is not None and nova.status == "error" and nova.text  # its partial text is kept
    assert lanes[1].run.failure is not None and lanes[1].run.failure.action
    assert claude is not None and claude.status == "ok" and llama is not None and llama.status == "ok"


def test_a_sync_lane_stopped_while_waiting_is_recorded_as_cancelled(slow: Any, client: Any) -> None:
    lanes = answers.start_lanes([request(CLAUDE, stream=False, max_tokens=300,
                                         text="Write 300 tokens about queues.")], client=client)
    time.sleep(0.3)
    answers.stop_lanes(lanes)
    assert lanes[0].join(30)
    record = lanes[0].record
    assert record is not None and record.status == "cancelled" and record.mode == "sync"


def test_the_sync_and_stream_timelines_show_what_the_user_saw(client: Any) -> None:
    stream_lane, sync_lane = answers.start_lanes([request(CLAUDE), request(CLAUDE, stream=False)], client=client)
    assert stream_lane.join(30) and sync_lane.join(30)
    stream, sync = stream_lane.record, sync_lane.record
    assert stream is not None and sync is not None
    points = compare.chars_timeline(stream, stream_lane.run.timeline())
    assert points[0] == (0.0, 0) and points[-1][1] == len(stream.text)
    assert points[1][0] == pytest.approx(stream.ttft_ms / 1000, abs=0.002)  # type: ignore[operator]
    assert all(a[0] <= b[0] and a[1] <= b[1] for a, b in itertools.pairwise(points))  # time and text only grow
    whole = compare.chars_timeline(sync, sync_lane.run.timeline())
    assert whole == [(0.0, 0), (sync.e2e_ms / 1000, 0), (sync.e2e_ms / 1000, len(sync.text))]  # type: ignore[operator]
    tokens = compare.tokens_timeline(stream, stream_lane.run.timeline())
    assert tokens[-1][1] == pytest.approx(stream.output_tokens)


def record(run_id: str, *, mode: str = "stream", status: str = "ok", ttft_ms: float | None = None,
           e2e_ms: float | None = None, tokens_per_s: float | None = None, cost_usd: float | None = None) -> RunRecord:
    return RunRecord(run_id=run_id, started_utc="2026-11-21T10:00:00+00:00", model_id=CLAUDE, provider="Anthropic",
                     api="converse", mode=mode, backend="emulator", status=status, ttft_ms=ttft_ms,  # type: ignore[arg-type]
                     e2e_ms=e2e_ms, tokens_per_s=tokens_per_s, cost_usd=cost_usd)


def test_the_headline_says_how_much_sooner_the_first_words_came() -> None:
    stream = record("a", ttft_ms=700, e2e_ms=5200)
    sync = record("b", mode="sync", e2e_ms=5500)
    assert compare.headline(stream, sync) == "First words 4.8 s sooner with streaming"
    assert compare.headline(stream, record("c", mode="sync", e2e_ms=400)) == (
        "The complete sync answer came 0.3 s before the stream's first words")
    assert compare.headline(stream, record("d", mode="sync", status="error", e2e_ms=100)) is None


def test_badges_go_to_the_best_run_that_finished_ok() -> None:
    runs = [record("fast-first", ttft_ms=200, e2e_ms=3000, tokens_per_s=50, cost_usd=0.003),
            record("fast-decode", ttft_ms=900, e2e_ms=2000, tokens_per_s=140, cost_usd=0.002),
            record("sync", mode="sync", e2e_ms=1500, cost_usd=0.001),
            record("failed", status="error", ttft_ms=10, tokens_per_s=999, cost_usd=0.0)]
    assert compare.badges(runs) == {"fast-first": ["Fastest first token"], "fast-decode": ["Fastest decode"],
                                    "sync": ["Cheapest"], "failed": []}
    # a sync run's first words come with its whole answer, so its perceived wait can win
    assert compare.badges([record("s", ttft_ms=900), record("y", mode="sync", e2e_ms=800)])["y"] == [
        "Fastest first token"]
    assert compare.badges([record("alone", ttft_ms=100, tokens_per_s=50, cost_usd=0.1)]) == {"alone": []}


def test_the_repeat_table_follows_the_percentile_rule() -> None:
    runs = [record(f"s{i}", ttft_ms=100.0 * (i + 1), e2e_ms=1000.0 + i) for i in range(10)]
    runs += [record(f"y{i}", mode="sync", e2e_ms=2000.0 + 10 * i) for i in range(3)]
    runs += [record("x", status="cancelled", ttft_ms=1.0, e2e_ms=1.0)]
    table = compare.repeat_table(runs)
    ttft = table.loc["Stream time to first token (ms)"]
    assert ttft["n"] == 10 and ttft["p50"] == pytest.approx(550) and ttft["p90"] == pytest.approx(910)
    sync = table.loc["Sync end-to-end (ms)"]
    assert sync["n"] == 3 and sync["p50"] == pytest.approx(2010) and sync.isna()["p90"]  # p90 needs 10 runs
    empty = compare.repeat_table([])
    assert list(empty["n"]) == [0, 0, 0] and empty[["p50", "p90"]].isna().all().all()


def test_repeats_alternate_which_mode_goes_first() -> None:
    assert [compare.repeat_order(i)[0] for i in range(4)] == [True, False, True, False]


def test_a_panel_takes_the_sidebar_settings_with_its_own_choices_on_top() -> None:
    haiku = ModelInfo(CHAT.base_id, CHAT.name, CHAT.vendor, True, ("INFERENCE_PROFILE",))
    # The current model that writes the least, and the emulator's model that neither streams nor takes a system
    # prompt through InvokeModel (its family, Jurassic-2, has none).
    short = min((m for m in catalog.listed_models() if m.lifecycle == "active" and m.max_output_tokens
                 and m.spec and m.spec.on_demand), key=lambda m: m.max_output_tokens or 0)
    writer = ModelInfo(short.base_id, short.name, short.vendor, True, ("ON_DEMAND",))
    quiet = ModelInfo(NOT_STREAMING, "Jurassic-2 Mid", "AI21 Labs", False, ("ON_DEMAND",))
    limit = short.max_output_tokens or 0
    base = LabSettings("emulator", "eu-west-1", None, haiku, "converse", True, "Be brief.", limit * 2, 0.7, 0.9,
                       ("END",))
    panel = compare.panel_settings(base, model=writer)
    assert panel.max_tokens == limit and panel.temperature == 0.7 and panel.stop_sequences == ("END",)
    assert compare.panel_settings(base, model=writer, max_tokens=100).max_tokens == 100  # its own choice wins
    assert compare.panel_settings(base, api="invoke", temperature=0.1) == dataclasses.replace(
        base, api="invoke", temperature=0.1)
    built = compare.request_for(dataclasses.replace(base, read_timeout_s=12.0, max_attempts=1), [Message("user", "hi")],
                                stream=False, session_id="s", compare_group="g")
    assert built.model_id == "eu." + CHAT.base_id and not built.stream and built.compare_group == "g"  # profile for eu
    assert (built.read_timeout_s, built.max_attempts) == (12.0, 1)  # the sidebar's connection settings
    assert built.chat.system == "Be brief."
    no_system = compare.request_for(compare.panel_settings(base, model=quiet, api="invoke"), [Message("user", "hi")])
    assert no_system.chat.system == ""  # Jurassic-2 takes none through InvokeModel: the panel sends none
    assert not no_system.stream and no_system.model_id == NOT_STREAMING  # it cannot stream: a sync call
