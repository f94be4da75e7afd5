"""`python -m core ask`, `chat` and `bench`: the contract scripts rely on.

ask: the answer streams to stdout, a one-line summary to stderr; `--json` prints exactly one JSON
object on one line at the end instead. Exit codes: 0 the run succeeded, 1 it failed (the JSON is still
printed, with the partial text), 2 a usage error. No traceback reaches the user for an expected failure.

bench: progress on stderr, the per-model summary (outcomes, then n and percentiles) on stdout, then the figures
per model and load step (--pattern, --warmup, --slo ...: core.load), each figure's definition, and why the
benchmark stopped; every run in the CSV given by `--out`. Exit codes: 0 every run succeeded, 1 some failed or
Ctrl-C stopped the benchmark (what finished is still summarised, recorded and written), 2 a usage error.

history: `info [LOCATION]` says where the history is and what it holds; `copy --from SOURCE --to TARGET`
(each a SQLite file or a postgresql:// URL) copies what the target lacks and prints one summary line on
stdout. Exit codes: 0 done, 1 Ctrl-C stopped a copy (what was copied stays), 2 a usage error or a history
that cannot be used (a missing source file, an unreachable server), said in one line on stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import re
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from . import catalog, metrics, validation
from . import format as fmt
from .client import BACKENDS, DEFAULT_IDLE_TIMEOUT_S, DEFAULT_MAX_ATTEMPTS, DEFAULT_READ_TIMEOUT_S, default_backend
from .conversation import trim
from .errors import LabError, ValidationError
from .streaming import RunRequest, start
from .types import CACHE_TTLS, LATENCIES, SERVICE_TIERS, CachePlan, ChatRequest, Message, RunRecord, invalid_text_at

DEFAULT_MAX_MESSAGES = 40
# Terminal control characters in model text (ESC sequences can recolour, retitle or write the clipboard):
# C0 except tab and newline, DEL, and C1.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def for_terminal(text: str, stream: TextIO) -> str:
    """`text` as a terminal may show it: control characters become visible (ESC as ␛, NUL as ␀, C1 as
    \\x9b) when `stream` is a terminal; unchanged when it is a pipe or a file, and in --json and the history."""
    if not stream.isatty():
        return text

    def visible(match: re.Match[str]) -> str:
        code = ord(match.group())
        return chr(0x2400 + code) if code < 0x20 else "\u2421" if code == 0x7F else f"\\x{code:02x}"

    return _CONTROL.sub(visible, text.replace("\r\n", "\n"))


def undecodable(text: str) -> str | None:
    """Why `text` (from the command line or standard input) is not UTF-8 text, or None when it is."""
    at = invalid_text_at(text)
    if at is None:
        return None
    code = ord(text[at])
    what = f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"a lone surrogate U+{code:04X}"
    return f"{what} at character {at + 1} is not UTF-8 text"


def _tolerant(stream: TextIO) -> None:
    """Read undecodable bytes as surrogates instead of raising, so they can be reported in words."""
    if isinstance(stream, io.TextIOWrapper):
        stream.reconfigure(errors="surrogateescape")


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options `ask` and `chat` share."""
    parser.add_argument("--model", default=catalog.resolve(catalog.default_model_id()).invocation_id(None),
                        help="model id, inference profile id (us., eu., ...) or ARN (default: %(default)s; "
                             "`python -m core models` lists the models the lab knows)")
    parser.add_argument("--api", choices=("invoke", "converse", "openai"), default="invoke",
                        help="InvokeModel, Converse, or openai: Bedrock's OpenAI-compatible Chat Completions route "
                             "(open-weight models only)")
    parser.add_argument("--no-stream", action="store_true", help="wait for the whole answer (sync call)")
    parser.add_argument("--system", default="", help="system prompt")
    parser.add_argument("--max-tokens", type=int, default=512)
    parser.add_argument("--temperature", type=float)
    parser.add_argument("--top-p", type=float)
    parser.add_argument("--effort", choices=catalog.EFFORT_LEVELS,
                        help="reasoning effort, for models that take one (sent in the model's own field)")
    parser.add_argument("--stop", nargs="+", default=[], metavar="SEQ", help="stop sequences")
    parser.add_argument("--service-tier", choices=SERVICE_TIERS,
                        help="the service tier to ask for (the record says which one Bedrock served)")
    parser.add_argument("--latency", choices=LATENCIES, help="latency mode (optimized: Nova Pro, Llama 3.1 70B)")
    parser.add_argument("--cache", action="store_true",
                        help="put prompt-cache points after the system prompt and the conversation")
    parser.add_argument("--cache-ttl", choices=CACHE_TTLS, default="5m", help="the cache's time to live")
    add_connection_options(parser, "the run")
    parser.add_argument("--recover", action="store_true",
                        help="resume a stream that breaks mid-way (each new attempt is billed)")
    parser.add_argument("--json", action="store_true", help="print the run record as one JSON line")


def add_connection_options(parser: argparse.ArgumentParser, what: str) -> None:
    """Where requests go and how patiently: backend, region, profile, read timeout, attempts, history."""
    parser.add_argument("--backend", choices=BACKENDS, default=None, help="default: $BEDROCK_BACKEND or emulator")
    parser.add_argument("--region")
    parser.add_argument("--profile")
    parser.add_argument("--read-timeout", type=float, default=DEFAULT_READ_TIMEOUT_S, metavar="S",
                        help="the longest wait for any byte, the first one included (default: %(default)g)")
    parser.add_argument("--idle-timeout", type=float, default=DEFAULT_IDLE_TIMEOUT_S, metavar="S",
                        help="once a stream has started, end it as gone silent after this long without a byte "
                             "(a half-open connection); 0 turns the guard off (default: %(default)g)")
    parser.add_argument("--max-attempts", type=int, default=DEFAULT_MAX_ATTEMPTS, metavar="N",
                        help="total attempts per request, counting the first (botocore standard retries)")
    parser.add_argument("--no-history", action="store_true", help=f"do not record {what} in the history")
    parser.add_argument("--user", metavar="NAME", help="the name runs are recorded under in a shared history "
                        "(default: $BEDROCK_LAB_USER, else your login name)")


def check_options(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Refuse, before anything is sent, what the run would refuse: the same verdict as the API and the pages."""
    check_connection(args, parser)
    for name, value in [("--system", args.system), *(("--stop", stop) for stop in args.stop)]:
        problem = undecodable(value)
        if problem:
            parser.error(f"{name} is not valid UTF-8 ({problem}): convert it to UTF-8 and retry")
    try:
        model = catalog.resolve(args.model)
    except catalog.UnknownModelError:
        return  # the run refuses it, and says why
    chat = _chat(args, (Message("user", "-"),), None)
    try:
        validation.check_parameters(model, chat, args.api)
    except ValidationError as problem:
        parser.error(f"--{(problem.field or 'parameter').replace('_', '-')}: {problem.detail}")


def _chat(args: argparse.Namespace, messages: tuple[Message, ...], reasoning: Any) -> ChatRequest:
    """The request the options describe."""
    return ChatRequest(messages, args.system, args.max_tokens, args.temperature, args.top_p, tuple(args.stop),
                       reasoning, service_tier=args.service_tier, latency=args.latency,
                       cache=CachePlan(ttl=args.cache_ttl) if args.cache else None)


def check_connection(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    if args.max_attempts < 1:
        parser.error(f"--max-attempts must be at least 1 (got {args.max_attempts})")
    if not args.read_timeout > 0:
        parser.error("--read-timeout must be a positive number of seconds")
    if not args.idle_timeout >= 0:
        parser.error("--idle-timeout must be 0 (off) or a positive number of seconds")


def idle_timeout(args: argparse.Namespace) -> float | None:
    return args.idle_timeout or None


def _backend(args: argparse.Namespace) -> str:
    return args.backend or default_backend()


def _recorder(args: argparse.Namespace, err: TextIO) -> Callable[[RunRecord], None] | None:
    if args.no_history:
        return None
    from .history import History, HistoryUnavailable  # here: pandas stays out of `python -m core emulator`

    try:
        history = History()
    except HistoryUnavailable as problem:  # history is optional: say so and go on
        print(f"note: the run will not be recorded in the history: {problem}", file=err)
        return None

    def record(run: RunRecord) -> None:
        try:
            history.record_run(run)
        except HistoryUnavailable as problem:
            print(f"note: the run was not recorded in the history: {problem}", file=err)

    return record


def summary(record: RunRecord) -> str:
    """The one-line metrics summary printed to stderr."""
    name = catalog.display_names([record.model_id])[record.model_id]
    model = record.model_id if name == record.model_id else f"{name} ({record.model_id})"  # the name, and the id
    return " · ".join([model, record.mode, record.status, metrics.caption(record, catalog.PRICE_TABLE_DATE)])


def record_json(record: RunRecord) -> str:
    return json.dumps(dataclasses.asdict(record), ensure_ascii=False)


def run_once(args: argparse.Namespace, messages: tuple[Message, ...], out: TextIO, err: TextIO,
             on_finish: Callable[[RunRecord], None] | None) -> RunRecord:
    """One run with the shared options: stream the text to `out` (unless --json) and report to `err`."""
    try:
        reasoning = catalog.reasoning_for(catalog.resolve(args.model), args.effort)
    except catalog.UnknownModelError:
        reasoning = None  # the run refuses the model, and says why
    chat = _chat(args, messages, reasoning)
    request = RunRequest(args.model, chat, api=args.api, stream=not args.no_stream, backend=_backend(args),
                         region=args.region, profile=args.profile, max_attempts=args.max_attempts,
                         read_timeout_s=args.read_timeout, idle_timeout_s=idle_timeout(args), recover=args.recover,
                         user_name=args.user)
    run = start(request, on_finish=on_finish)
    try:
        for text in run:
            if not args.json:
                out.write(for_terminal(text, out))
                out.flush()
    except LabError as error:
        if not args.json:
            out.write("\n")
        print(for_terminal(f"error: {error.message} [{error.code}]", err), file=err)
    except KeyboardInterrupt:
        run.close()
        print("\nstopped", file=err)
    if not args.json:
        out.write("\n")
    record = run.record
    for note in record.notes:
        print(f"note: {note}", file=err)
    if args.json:
        out.write(record_json(record) + "\n")
    print(summary(record), file=err)
    out.flush()
    return record


def ask(args: argparse.Namespace, parser: argparse.ArgumentParser, out: TextIO = sys.stdout,
        err: TextIO = sys.stderr) -> int:
    check_options(args, parser)
    if args.prompt in (None, "-"):
        _tolerant(sys.stdin)
        prompt = sys.stdin.read()
    else:
        prompt = args.prompt
    if not prompt.strip():
        parser.error("the prompt is empty: pass it as an argument, or on standard input with -")
    problem = undecodable(prompt)
    if problem:
        parser.error(f"the prompt is not valid UTF-8 ({problem}): convert it to UTF-8 (iconv -t UTF-8) and retry")
    record = run_once(args, (Message("user", prompt),), out, err, _recorder(args, err))
    return 0 if record.status == "ok" else 1


def chat(args: argparse.Namespace, parser: argparse.ArgumentParser, inp: TextIO = sys.stdin,
         out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    check_options(args, parser)
    on_finish = _recorder(args, err)
    interactive = inp.isatty()
    _tolerant(inp)
    messages: list[Message] = []
    failures = 0
    if interactive:
        print(f"Chatting with {args.model}. /reset clears the conversation, /model ID switches model, "
              "exit or Ctrl-D leaves.", file=err)
    while True:
        if interactive:
            print("you> ", end="", file=err, flush=True)
        line = inp.readline()
        if not line:
            break
        text = line.rstrip("\n")
        command = text.strip()
        if command in ("exit", "quit"):
            break
        if command == "/reset":
            messages.clear()
            print("(conversation cleared)", file=err)
            continue
        if command.startswith("/model"):
            parts = command.split()
            if len(parts) != 2:
                print("usage: /model MODEL_ID", file=err)
            else:
                args.model = parts[1]
                print(f"(now talking to {args.model})", file=err)
            continue
        if not command:
            continue
        problem = undecodable(text)
        if problem:
            print(f"(not sent: this line is not valid UTF-8, {problem}; convert the input to UTF-8)", file=err)
            failures += 1
            continue
        messages.append(Message("user", text))
        messages, dropped = trim(messages, system=args.system, model_id=args.model, max_tokens=args.max_tokens,
                                 max_messages=args.max_messages)
        if dropped:
            print(f"(dropped the {dropped} oldest messages to fit the model's context window and the "
                  f"{args.max_messages}-message limit; the system prompt is kept)", file=err)
        record = run_once(args, tuple(messages), out, err, on_finish)
        if record.status == "ok" or record.text:
            messages.append(Message("assistant", record.text))
        else:
            messages.pop()  # nothing came back: the user can send the turn again
            failures += 1
    return 0 if failures == 0 else 1


def _bench_load(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Any:
    """The load pattern the options describe (its problems are a usage error)."""
    from .load.patterns import InvalidPattern, LoadPattern, check

    open_loop = args.pattern in ("rate", "poisson", "ramp")
    concurrency = args.concurrency if args.concurrency is not None else OPEN_LOOP_CAP if open_loop else 4
    levels: tuple[int, ...] = ()
    if args.levels:
        try:
            levels = tuple(int(level) for level in args.levels.split(","))
        except ValueError:
            parser.error(f"--levels takes whole numbers separated by commas, such as 1,2,4,8 (got {args.levels!r})")
        concurrency = max(levels) if args.concurrency is None else concurrency
    if args.pattern in ("rate", "poisson", "ramp") and args.rate is None:
        parser.error(f"--pattern {args.pattern} needs --rate (requests a second" +
                     (", the ramp's start)" if args.pattern == "ramp" else ")"))
    ramp_s = args.ramp_s if args.ramp_s is not None else args.duration
    load = LoadPattern(args.pattern, concurrency, rate_per_s=args.rate, end_rate_per_s=args.end_rate,
                       ramp_s=ramp_s, burstiness=args.burstiness, levels=levels)
    try:
        check(load)
    except InvalidPattern as problem:
        parser.error(str(problem))
    return load


def _bench_spec(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Any:
    """The benchmark the options describe; usage errors exit with 2 before anything is sent."""
    from . import bench
    from .load.saturation import SaturationRule

    check_connection(args, parser)
    prompts = [p for p in args.prompt if p.strip()]
    if args.prompt_file is not None:
        try:
            text = sys.stdin.read() if args.prompt_file == "-" else Path(args.prompt_file).read_text(encoding="utf-8")
        except OSError as problem:
            parser.error(f"cannot read --prompt-file {args.prompt_file}: {problem.strerror}")
        prompts += [line for line in text.splitlines() if line.strip()]
    if (args.prompt or args.prompt_file is not None) and not prompts:
        parser.error("the custom prompts are all empty")
    prompt_set = bench.PROMPT_SETS[args.prompt_set]
    max_tokens = args.max_tokens or (512 if prompts else prompt_set.max_tokens)
    if args.out is not None and not Path(args.out).expanduser().resolve().parent.is_dir():
        parser.error(f"--out: the folder of {args.out} does not exist")
    modes: tuple[bench.Mode, ...] = (("sync",) if args.no_stream else ("stream", "sync") if args.also_sync
                                     else ("stream",))
    load = _bench_load(args, parser)
    replay: tuple[Any, ...] = ()
    if args.replay is not None:
        from .load.workloads import InvalidReplay, load_replay

        try:
            replay = load_replay(args.replay)
        except InvalidReplay as problem:
            parser.error(str(problem))
        prompts = [p.text for p in replay]
        max_tokens = args.max_tokens or 512
    from .load.figures import InvalidSlo, parse_slos

    try:
        slos = parse_slos(args.slo)
    except InvalidSlo as problem:
        parser.error(str(problem))
    runs = args.runs if args.runs is not None else bench.MAX_RUNS_PER_MODEL if args.duration is not None else 10
    spec = bench.BenchmarkSpec(tuple(args.model), tuple(prompts or prompt_set.prompts), max_tokens,
                               runs_per_model=runs, concurrency=load.concurrency, modes=modes,
                               api=args.api, backend=_backend(args), region=args.region, profile=args.profile,
                               max_attempts=args.max_attempts, read_timeout_s=args.read_timeout,
                               idle_timeout_s=idle_timeout(args), effort=args.effort, service_tier=args.service_tier,
                               latency=args.latency, cache=args.cache, cache_buster=args.cache_buster,
                               user_name=args.user, pattern=load if args.pattern != "fixed" else None,
                               warmup_requests=args.warmup, max_requests=args.max_requests, duration_s=args.duration,
                               max_errors=args.max_errors, processes=args.processes, seed=args.seed, slos=slos,
                               replay=replay, saturation=None if args.no_saturation_stop else
                               SaturationRule(window_s=args.saturation_window))
    try:
        bench.check(spec)
    except bench.InvalidBenchmark as problem:
        parser.error(str(problem))
    return spec


def run_bench(args: argparse.Namespace, parser: argparse.ArgumentParser, out: TextIO = sys.stdout,
              err: TextIO = sys.stderr) -> int:
    """`python -m core bench`: run, print the summary, write the CSV; Ctrl-C once stops and keeps what finished."""
    from . import analytics, bench
    from .history import records_frame

    spec = _bench_spec(args, parser)
    if args.locust:
        return _bench_on_locust(args, spec, err)
    requests = bench.plan(spec)
    label = "custom prompts" if args.prompt or args.prompt_file else f"{args.prompt_set} prompts"
    print(f"benchmark {spec.benchmark_id}: {fmt.count(len(requests))} runs ({len(spec.model_ids)} models x "
          f"{fmt.count(spec.runs_per_model)} runs x {'/'.join(spec.modes)}), {label}, max {fmt.count(spec.max_tokens)} "
          f"tokens, concurrency {spec.concurrency}, {spec.api}, {spec.backend}", file=err)
    for note in bench.notes(spec):
        print(f"note: {note}", file=err)
    live = err.isatty()

    def show(progress: bench.Progress) -> None:
        if live:
            print(f"\r{progress.describe():<70}", end="", file=err, flush=True)

    cancel = threading.Event()

    def stop(*_: object) -> None:
        cancel.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C quits at once
        print("\nstopping: runs in flight are closed, finished runs are kept (Ctrl-C again to quit now)",
              file=err, flush=True)

    previous = signal.signal(signal.SIGINT, stop) if threading.current_thread() is threading.main_thread() else None
    try:
        result = bench.run_benchmark(spec, on_progress=show, cancel=cancel, on_record=_recorder(args, err))
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if live:
        print(file=err)
    frame = records_frame(result.records).sort_values(["started_utc", "run_id"], ignore_index=True)
    done = fmt.count(len(result.records))
    status = (f"stopped after {done} of {fmt.count(result.total)} runs" if result.cancelled
              else f"{done} runs" if len(result.records) != result.total else f"{fmt.count(result.total)} runs")
    # the outcomes add up to the runs counted: ok, failed and, for a cancelled benchmark, stopped mid-answer
    outcomes = [f"{fmt.count(sum(r.status == 'ok' for r in result.records))} ok",
                f"{fmt.count(result.errors)} failed"]
    stopped = sum(r.status == "cancelled" for r in result.records)
    outcomes += [f"{fmt.count(stopped)} stopped"] if stopped else []
    print(f"benchmark {result.benchmark_id}: {status} in {fmt.seconds(result.elapsed_s)} "
          f"({', '.join(outcomes)})", file=err)
    for code, count in frame.loc[frame["status"] == "error", "error_code"].value_counts().items():
        print(f"  {fmt.count(count)} x {code}", file=err)
    from .load.figures import STEP_NOTE, format_figures
    from .load.patterns import WARMUP_STEP

    measured = frame[~frame["notes"].map(lambda notes: STEP_NOTE + WARMUP_STEP in notes)]  # warm-up: not a figure
    out.write(bench.format_summary(measured) + "\n")
    out.write("\nPer load step:\n" + format_figures(result.figures(), spec.slos) + "\n")
    ends = "; ".join(f"{step}: {why}" for step, why in result.step_ends.items())
    out.write(f"\nStopped: {result.stop_reason}." + (f" Steps: {ends}." if ends else "") + "\n")
    out.flush()
    failed = result.cancelled or result.errors > 0
    if not args.no_report and result.records:
        from .load_report import ReportError

        try:
            files = bench.write_report(result, spec, args.report)
        except ReportError as problem:
            if args.report is not None:  # asked for there: a failure
                print(f"error: {problem}", file=err)
                return 1
            print(f"note: no report: {problem}; choose a folder with --report DIR", file=err)
        else:
            print(f"report: {files.html} (with the CSV and JSON of every request beside it)", file=err)
    if args.out is not None:
        try:
            Path(args.out).expanduser().write_bytes(analytics.to_csv(frame))
        except OSError as problem:
            print(f"error: could not write {args.out}: {problem.strerror}", file=err)
            return 1
        print(f"wrote {fmt.count(len(frame))} runs to {args.out}", file=err)
    return 1 if failed else 0


def _bench_on_locust(args: argparse.Namespace, spec: Any, err: TextIO) -> int:
    """`bench --locust`: the same benchmark through a local Locust master and workers (core/locustfile.py)."""
    from .bench import InvalidBenchmark, report_folder
    from .locustfile import run_locally  # does not import Locust: its workers and master are processes of their own

    if args.users is not None and args.users < 1:
        print("error: --users must be 1 or more", file=err)
        return 2
    try:
        return run_locally(spec, workers=args.workers, users=args.users, log=err,
                           report_folder=None if args.no_report else (args.report or report_folder()))
    except InvalidBenchmark as problem:
        print(f"error: {problem}", file=err)
        return 2


def add_commands(commands: Any) -> None:
    """Register `ask`, `chat` and `bench` on the top-level subparsers."""
    ask_parser = commands.add_parser("ask", help="ask one question; the answer streams to stdout")
    add_run_options(ask_parser)
    ask_parser.add_argument("prompt", nargs="?", help="the question ('-' or nothing: read standard input)")
    ask_parser.set_defaults(handler=ask, command_parser=ask_parser)
    chat_parser = commands.add_parser("chat", help="a conversation, one user turn per line of standard input")
    add_run_options(chat_parser)
    chat_parser.add_argument("--max-messages", type=int, default=DEFAULT_MAX_MESSAGES,
                             help="most messages kept in the conversation")
    chat_parser.set_defaults(handler=chat, command_parser=chat_parser)
    _add_bench(commands)
    _add_history(commands)
    models_parser = commands.add_parser("models", help="the model table: every model the lab knows, with its rules",
                                        description="Every model of the lab's model table (core/models.toml).")
    models_parser.add_argument("--markdown", action="store_true", help="print docs/models.md")
    models_parser.set_defaults(handler=list_models, command_parser=models_parser)


def list_models(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """`python -m core models`: one line a model (id, name, lifecycle, rules), or the Markdown page."""
    if args.markdown:
        sys.stdout.write(catalog.markdown())
        return 0
    for model in catalog.listed_models():
        rules = f"sampling {model.sampling}, reasoning {model.thinking}"
        note = f" · {model.lifecycle_note}" if model.lifecycle_note else ""
        print(f"{model.base_id:48} {model.label}{note} · {', '.join(model.apis)} · {rules}")
    return 0


def _add_bench(commands: Any) -> None:
    from .bench import MAX_CONCURRENCY, MAX_RUNS_PER_MODEL, PROMPT_SETS
    from .load.patterns import PATTERN_KINDS

    parser = commands.add_parser(
        "bench", help="benchmark models: TTFT, E2E, decode rate and TPOT percentiles per model",
        description="Run the same prompts against several models, record every run in the history with a "
                    "benchmark id (the Monitor page charts them), and print n and percentiles per model.",
        epilog="Prompt sets: " + "; ".join(f"{s.name}: {s.description}" for s in PROMPT_SETS.values()) + ".")
    parser.add_argument("--model", action="append", required=True, metavar="ID",
                        help="model id, inference profile id or ARN (repeat for several models)")
    parser.add_argument("--runs", type=int, default=None, metavar="N",
                        help="runs per model and mode in each step (default 10; with --duration, up to "
                             f"{MAX_RUNS_PER_MODEL})")
    parser.add_argument("--concurrency", type=int, default=None, metavar="C",
                        help=f"runs in flight at once, 1 to {MAX_CONCURRENCY} (default 4): for a sweep its top "
                             f"level, for rate, poisson and ramp the most in flight (default {OPEN_LOOP_CAP})")
    parser.add_argument("--prompt-set", choices=list(PROMPT_SETS), default="short", help="built-in prompts")
    parser.add_argument("--prompt", action="append", default=[], metavar="TEXT",
                        help="your own prompt instead of a set (repeatable; runs cycle through them)")
    parser.add_argument("--prompt-file", metavar="PATH", help="your own prompts, one per line ('-': standard input)")
    parser.add_argument("--max-tokens", type=int, default=None,
                        help="output limit (default: the prompt set's, 512 for your own prompts)")
    parser.add_argument("--no-stream", action="store_true", help="sync calls (whole answer at once)")
    parser.add_argument("--also-sync", action="store_true",
                        help="run every request both streamed and sync (compares the perceived wait)")
    parser.add_argument("--api", choices=("invoke", "converse", "openai"), default="invoke",
                        help="InvokeModel, Converse, or openai: Bedrock's OpenAI-compatible Chat Completions route "
                             "(open-weight models only)")
    parser.add_argument("--effort", choices=catalog.EFFORT_LEVELS, help="reasoning effort, for models that take one")
    parser.add_argument("--service-tier", choices=SERVICE_TIERS, help="the service tier to ask for")
    parser.add_argument("--latency", choices=LATENCIES, help="latency mode")
    parser.add_argument("--cache", action="store_true", help="prompt-cache points after each prompt")
    parser.add_argument("--cache-buster", action="store_true",
                        help="a unique prefix on every request, so no answer comes from the prompt cache "
                             "(cached runs would pass for fast ones)")
    load = parser.add_argument_group("load pattern and limits")
    load.add_argument("--pattern", choices=PATTERN_KINDS, default="fixed",
                      help="fixed: C streams in flight; sweep: one step per level 1, 2, 4, ... C; rate: --rate "
                           "requests a second; poisson: gamma arrivals at --rate with --burstiness; ramp: the rate "
                           "from --rate to --end-rate over --ramp-s seconds")
    load.add_argument("--levels", metavar="L1,L2,...", help="sweep: the levels to run (default 1, 2, 4, ... C)")
    load.add_argument("--rate", type=float, metavar="R", help="requests a second (ramp: the start rate)")
    load.add_argument("--end-rate", type=float, metavar="R", help="ramp: the rate reached at the end")
    load.add_argument("--ramp-s", type=float, metavar="S",
                      help="ramp: seconds to reach --end-rate (default --duration)")
    load.add_argument("--burstiness", type=float, default=1.0, metavar="B",
                      help="poisson: 1 is a Poisson process, below 1 burstier, above 1 more regular (default 1)")
    load.add_argument("--seed", type=int, default=0, help="seed of the arrival schedule (default 0)")
    load.add_argument("--warmup", type=int, default=0, metavar="N",
                      help="warm-up requests first: recorded, marked 'load step: warm-up', left out of the figures")
    load.add_argument("--max-requests", type=int, metavar="N", help="requests in each step")
    load.add_argument("--duration", type=float, metavar="S",
                      help="seconds each step may run (streams still in flight then are cancelled)")
    load.add_argument("--max-errors", type=int, metavar="N", help="stop the benchmark at this many failed requests")
    load.add_argument("--no-saturation-stop", action="store_true",
                      help="do not stop when TTFT and requests in flight both rise steadily (over-saturation)")
    load.add_argument("--saturation-window", type=float, default=10.0, metavar="S",
                      help="the window over which over-saturation is judged (default 10 s)")
    load.add_argument("--processes", type=_processes, default=1, metavar="N|auto",
                      help="worker processes sharing the streams (auto: one per core; default 1: threads here)")
    parser.add_argument("--replay", metavar="FILE.jsonl",
                        help='replay recorded prompts: one JSON object a line, {"prompt": ..., "max_tokens": ..., '
                             '"system": ...} (only prompt is required)')
    parser.add_argument("--slo", action="append", default=[], metavar="NAME=MS",
                        help="a goodput bound per request (repeatable): ttft_ms=2000, tpot_ms=50, e2e_ms=20000")
    parser.add_argument("--definitions", action=_Definitions, help="print every figure's definition and exit")
    add_connection_options(parser, "the runs")
    parser.add_argument("--out", metavar="PATH", help="write every run to this CSV file")
    parser.add_argument("--report", metavar="DIR", type=Path,
                        help="where the shareable report goes (an offline HTML page and the CSV and JSON of every "
                             "request; default: reports/ in the lab's data folder)")
    parser.add_argument("--no-report", action="store_true", help="write no report")
    many = parser.add_argument_group("past one machine (Locust)")
    many.add_argument("--locust", action="store_true",
                      help="run the benchmark through a local Locust master and --workers worker processes "
                           "(more hosts: see the README); fixed concurrency only")
    many.add_argument("--workers", type=int, default=2, metavar="N", help="Locust worker processes (default 2)")
    many.add_argument("--users", type=int, metavar="N", help="Locust users, spread over the workers "
                      "(default: --concurrency)")
    parser.set_defaults(handler=run_bench, command_parser=parser)


OPEN_LOOP_CAP = 256  # the default most requests in flight for rate, poisson and ramp


def _processes(text: str) -> int:
    """--processes: a whole number, or auto (one per core)."""
    if text == "auto":
        from .load.engine import default_processes

        return default_processes()
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number or auto, not {text!r}") from None


class _Definitions(argparse.Action):
    """--definitions: print the figures' definitions and exit (no --model needed)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from .load.figures import definition_lines

        print("\n".join(definition_lines()))
        parser.exit(0)


def _add_history(commands: Any) -> None:
    parser = commands.add_parser(
        "history", help="where the run history is, and copying it between a file and a PostgreSQL database",
        description="The run history is a SQLite file, or a PostgreSQL database when BEDROCK_LAB_HISTORY is a "
                    "postgresql:// URL. LOCATION, SOURCE and TARGET are each a file path or such a URL.")
    actions = parser.add_subparsers(dest="history_command", required=True)
    info = actions.add_parser("info", help="where the history is, its schema, and how many runs and conversations",
                              description="Open the history (as the app does, applying pending migrations) and say "
                                          "what it holds.")
    info.add_argument("location", nargs="?", help="default: $BEDROCK_LAB_HISTORY, else the file in the user's "
                                                  "data folder")
    info.set_defaults(handler=run_history, command_parser=info)
    copy = actions.add_parser(
        "copy", help="copy runs and conversations into another history, without duplicates",
        description="Copy every run, conversation and message of SOURCE that TARGET lacks (ids are kept, so "
                    "copying again copies nothing). Works both ways: a file into a team's database, or back.",
        epilog="Example: python -m core history copy --from ~/.local/share/bedrock-streaming-lab/history.sqlite "
               "--to postgresql://lab@db.internal:5432/lab")
    copy.add_argument("--from", dest="source", required=True, metavar="SOURCE", help="the history to copy from")
    copy.add_argument("--to", dest="target", required=True, metavar="TARGET",
                      help="the history to copy into (created if it does not exist)")
    copy.add_argument("--batch", type=int, default=1000, metavar="N", help="rows per transaction (default 1000)")
    copy.set_defaults(handler=run_history, command_parser=copy)


def run_history(args: argparse.Namespace, parser: argparse.ArgumentParser, out: TextIO = sys.stdout,
                err: TextIO = sys.stderr) -> int:
    """`python -m core history info | copy`; an unusable history is one line on stderr and exit code 2."""
    from .history import HistoryUnavailable

    try:
        if args.history_command == "info":
            return _history_info(args.location, out)
        return _history_copy(args, parser, out, err)
    except HistoryUnavailable as problem:
        print(f"error: {problem.message}", file=err)
        return 2


def _history_info(location: str | None, out: TextIO) -> int:
    from .history import History, default_location, is_url

    where = location or default_location()
    if not is_url(where) and not Path(where).expanduser().exists():
        out.write(f"history        {where} (no file yet: the first recorded run creates it)\n")
        return 0
    from .history import MIGRATIONS

    history = History(where)
    applied = history.applied_migrations()
    counts = history.counts()
    people = history.people_and_hosts()
    known = [m.__name__ for m in MIGRATIONS]
    state = "up to date" if applied == known else f"{len(known)} known here"
    out.write(f"history        {history.location} ({history.version()})\n"
              f"schema         {len(applied)} migrations, the last {applied[-1] if applied else 'none'} ({state})\n"
              f"runs           {counts['runs']:,}, by {people['user_name'].nunique():,} people on "
              f"{people['host'].nunique():,} hosts\n"
              f"conversations  {counts['conversations']:,} ({counts['messages']:,} messages)\n"
              f"winners        {counts['compare_picks']:,} comparisons with a picked winner\n")
    history.close()
    return 0


def _history_copy(args: argparse.Namespace, parser: argparse.ArgumentParser, out: TextIO, err: TextIO) -> int:
    from .history import History, is_url
    from .history.copy import copy_history

    if args.batch < 1:
        parser.error("--batch must be at least 1")
    if not is_url(args.source) and not Path(args.source).expanduser().is_file():
        print(f"error: --from: there is no history file at {args.source}", file=err)
        return 2
    if _same_history(args.source, args.target):
        print("error: --from and --to name the same history", file=err)
        return 2
    source = History(args.source)
    target = History(args.target)
    live = err.isatty()
    totals = source.counts()

    def show(table: str, copied: int, present: int) -> None:
        if live:
            print(f"\r{table}: {copied + present:,} of {totals[table]:,} read", end="", file=err, flush=True)

    try:
        result = copy_history(source, target, batch_rows=args.batch, on_batch=show)
    except KeyboardInterrupt:
        print("\nstopped: what was copied stays in the target; run the same command again to go on", file=err)
        return 1
    finally:
        source.close()
        target.close()
    if live:
        print(file=err)
    out.write(f"{result.summary()}\n")
    return 0


def _same_history(first: str, second: str) -> bool:
    from .history import is_url

    if is_url(first) or is_url(second):
        return first.strip() == second.strip()
    return Path(first).expanduser().resolve() == Path(second).expanduser().resolve()
