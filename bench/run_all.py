"""Run every benchmark: `.venv/bin/python -m bench.run_all` (PostgreSQL from
CONNECTORS_DATABASE_URL, Redis from CONNECTORS_REDIS_URL or the embedded one)."""

from __future__ import annotations

import sys

from bench import throughput


def main() -> None:
    results = throughput.main(sys.argv[1:])
    worst = min(r.ratio_to_upsert for r in results)
    sys.stdout.write(f"job / raw upsert, worst: {worst:.2f} (target: 0.50 or more)\n")


if __name__ == "__main__":
    main()
