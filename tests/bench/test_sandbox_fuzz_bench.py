"""The sandbox's API fuzzer at a moderate size (``tests/support/api_fuzz.py``).

Figures:

- ``fuzz_requests``: requests the fuzzer sent to the Seedly CRM, public and Seamless
  operations of ``GET /_sandbox/openapi.json`` (valid and invalid by the schema);
- ``fuzz_5xx``: answers with a 5xx status among them (expected 0, faults off);
- ``fuzz_contract_breaks``: answers that break the document otherwise (not JSON, an
  undocumented error status or body; expected 0);
- ``fuzz_seconds``: wall time of the run.

``SEEDLY_FUZZ_EXAMPLES`` changes the size (default 2000). Run with
``pytest tests/bench/test_sandbox_fuzz_bench.py -s``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.api_fuzz import fuzz
from tests.support.sandbox_process import GENEROUS_LIMITS, start_sandbox

EXAMPLES = int(os.environ.get("SEEDLY_FUZZ_EXAMPLES", "2000"))


@pytest.mark.timeout(max(600, EXAMPLES // 2))
def test_fuzz_figures(tmp_path: Path) -> None:
    box = start_sandbox(tmp_path / "sandbox", "--seed", "demo", *GENEROUS_LIMITS)
    try:
        report = fuzz(box, EXAMPLES)
    finally:
        box.stop()
    print(f"\n{report.summary()}")
    for problem in report.problems[:10]:
        print(problem)
    print(f"BENCH fuzz_requests={report.requests} requests")
    print(f"BENCH fuzz_5xx={report.server_errors} count")
    print(f"BENCH fuzz_contract_breaks={len(report.problems)} count")
    print(f"BENCH fuzz_seconds={report.seconds:.1f} s")
