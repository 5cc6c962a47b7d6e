"""Run every benchmark: `.venv/bin/python -m bench.run_all [--repeat N] [COUNT ...]`
(PostgreSQL from CONNECTORS_DATABASE_URL, Redis from CONNECTORS_REDIS_URL or the embedded one).
The report goes to stdout; the service's own logs go to stderr."""

from __future__ import annotations

import sys

from bench import throughput

TARGET = 0.5  # the job at least half as fast as the fastest raw upsert (issue 5)


def main() -> None:
    results = throughput.main(sys.argv[1:])
    worst = min(r.ratio_to_upsert for r in results)
    verdict = "met" if worst >= TARGET else "NOT met"
    sys.stdout.write(
        f"job / raw upsert, lowest median: {worst:.2f} (target: {TARGET:.2f} or more: {verdict})\n"
    )


if __name__ == "__main__":
    main()
