"""Where a job's time goes: one run of the benchmark's job under cProfile, after a warm-up.

    CONNECTORS_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.profile_job 100000 [--out job.prof]

Prints the functions with the most time of their own, and the time spent in each stage of
the pipeline (cumulative: stages overlap, and waits show as time in epoll).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import sys
import time
import uuid

from bench import throughput
from bench.fake_source import FakeSource
from models import settings as config

STAGES = {
    "read: HTTP + JSON (reader task)": "salesforce.py:.*\\(read\\)",
    "JSON decoding (orjson.loads)": "orjson.loads",
    "mapping + encoding (loading.prepare)": "loading.py:.*\\(prepare\\)",
    "write (loading.write, awaited)": "loading.py:.*\\(write\\)",
    "progress (runs.progress)": "runs.py:.*\\(progress\\)",
    "cursor (loading.save_cursor)": "loading.py:.*\\(save_cursor\\)",
    "rate budget (SharedBudget.take)": "budget.py:.*\\(take\\)",
    "idle (epoll)": "poll",
}


async def profile(count: int, out: str | None) -> str:
    async def body() -> str:
        with FakeSource(count) as fake:
            config.current().connectors["SFDC"] = config.ConnectorOverrides(api_url=fake.url)
            await throughput.run_job(f"warm-{uuid.uuid4().hex[:8]}")
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            await throughput.run_job(f"profiled-{uuid.uuid4().hex[:8]}")
            profiler.disable()
            elapsed = time.perf_counter() - started
        if out:
            profiler.dump_stats(out)
        return _summary(profiler, elapsed, count)

    return await throughput.with_runtime(body)


def _summary(profiler: cProfile.Profile, elapsed: float, count: int) -> str:
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    text.write(f"{count:,} records in {elapsed:.2f} s under cProfile ({count / elapsed:,.0f}/s)\n")
    for label, pattern in STAGES.items():
        seconds = sum(
            row[3]
            for (path, line, name), row in stats.stats.items()  # type: ignore[attr-defined]
            if _matches(pattern, f"{path}:{line}({name})")
        )
        text.write(f"  {label:<42} {seconds:6.2f} s  {seconds / elapsed:6.1%}\n")
    stats.sort_stats("tottime").print_stats(25)
    return text.getvalue()


def _matches(pattern: str, where: str) -> bool:
    import re

    return re.search(pattern, where) is not None


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench.profile_job")
    parser.add_argument("count", nargs="?", type=int, default=100_000)
    parser.add_argument("--out", default=None, help="also write the raw profile here")
    args = parser.parse_args(argv)
    sys.stdout.write(asyncio.run(profile(args.count, args.out)))


if __name__ == "__main__":
    main(sys.argv[1:])
