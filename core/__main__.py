"""Command line: `python -m core ask | chat | bench | emulator`."""

from __future__ import annotations

import argparse
import sys

from .cli import add_commands
from .emulator import parse_fault, serve
from .emulator.faults import KINDS, STREAM_EXCEPTIONS


def _fault(spec: str) -> object:
    try:
        return parse_fault(spec)
    except ValueError as problem:
        raise argparse.ArgumentTypeError(str(problem)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="Bedrock Streaming Lab from a terminal.")
    commands = parser.add_subparsers(dest="command", required=True)
    add_commands(commands)
    emulator = commands.add_parser(
        "emulator", help="run the Bedrock Runtime emulator in the foreground",
        description="A wire-accurate Bedrock Runtime (and ListFoundationModels) server for offline work.",
        epilog=f"Fault kinds: {', '.join(KINDS)}. Stream exceptions: {', '.join(STREAM_EXCEPTIONS)}. "
               "silent: after N tokens the connection goes quiet without closing (a half-open socket) until the "
               "client hangs up (with seconds=S: for S seconds, then the stream ends without its final events); "
               "truncated: the stream ends cleanly after N tokens without its final events (no messageStop or "
               "metadata, no invocation metrics). Faults given here apply to every request, whatever session sent it. "
               "Example: --fault throttling,count=2  --fault stream_error,after=20,exception=throttlingException "
               "--fault stall,seconds=90,model=amazon.nova-micro-v1:0  --fault silent,after=10  "
               "--fault truncated,after=30,count=always")
    emulator.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    emulator.add_argument("--port", type=int, default=8765, help="port to listen on; 0 picks a free one")
    emulator.add_argument("--time-scale", type=float, default=1.0,
                          help="1 reproduces each model's latency profile, 0 removes every delay")
    emulator.add_argument("--seed", type=int, default=0, help="seed for answers and timing (reproducible runs)")
    emulator.add_argument("--fault", type=_fault, action="append", default=[], metavar="KIND[,key=value...]",
                          help="inject a fault (repeatable); keys: model, count, after, seconds, exception")
    return parser


def _announce(url: str) -> None:
    print(f"Bedrock Runtime emulator listening on {url}", flush=True)
    print(f"  export AWS_ENDPOINT_URL_BEDROCK_RUNTIME={url} AWS_ENDPOINT_URL_BEDROCK={url}")
    print(f"  python -c \"import boto3; print(boto3.client('bedrock-runtime', endpoint_url='{url}', "
          "region_name='us-east-1', aws_access_key_id='x', aws_secret_access_key='x').converse("
          "modelId='amazon.nova-micro-v1:0', "
          "messages=[{'role': 'user', 'content': [{'text': 'Hello'}]}])['output'])\"", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command in ("ask", "chat", "bench", "models", "history"):
        try:
            return int(args.handler(args, args.command_parser))
        except KeyboardInterrupt:
            return 1
    if args.command == "emulator":
        if args.time_scale < 0:
            print("--time-scale cannot be negative", file=sys.stderr)
            return 2
        try:
            serve(host=args.host, port=args.port, time_scale=args.time_scale, seed=args.seed, faults=args.fault,
                  on_ready=_announce)
        except OSError as problem:
            print(f"cannot listen on {args.host}:{args.port}: {problem.strerror}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
