"""The load engine behind `core.bench`: how requests arrive, what they ask, what they measure, and who sends them.

    patterns.py    load patterns and their arrival schedules (pure functions of the pattern and a seed)
    workloads.py   prompt sets sized like the public benchmarks', the cache-buster, and JSONL replay
    figures.py     per model and load step: percentiles with n, system throughput, error rates, goodput
    saturation.py  the over-saturation stop: TTFT and requests in flight both rising over a window
    engine.py      the runner: the lab's own run per request, on threads or spread over worker processes

`core.bench` is the one public benchmark runner (the CLI, the Monitor and bench/ use it); it plans the steps
from these parts and hands each step's requests to `engine.run_requests`.
"""
