"""`python -m tests.soak --duration 600`: the long soak run; prints the figures for docs/reliability.md."""

import argparse
import sys
import tempfile

from tests.soak.harness import Soak


def main() -> int:
    parser = argparse.ArgumentParser(description="Whole-platform soak under load and faults")
    parser.add_argument("--duration", type=float, default=180, help="seconds of load (default 180)")
    parser.add_argument("--workers", type=int, default=3, help="concurrent writers (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kf-soak-") as root:
        report = Soak(root, args.duration, workers=args.workers).run()
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
