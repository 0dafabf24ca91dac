"""Issue 11's memory target: a report of any shipped spec stays within 100 MiB (the peers use
250-450 MiB). `python benchmarks/run.py --memory-only` measures every shipped spec and preset in
three formats; this checks the largest of them (DenseNet-201's JSON report, about 71 MiB in that
run) in a fresh process, the first time (`--no-cache`: sympy derives every closed form)."""

import os
import subprocess
import sys

import pytest

LIMIT_MIB = 100


# a small wrapper forks the report and reads its peak: a child's ru_maxrss starts from the size of
# the process that forked it (pytest, after other tests, is larger than a report)
WRAPPER = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss is in KiB on Linux only")
@pytest.mark.parametrize("argv", [["imagenet/densenet201", "--format", "json"],
                                  ["imagenet/efficientnet_v2", "--preset", "efficientnet_v2_l", "--format", "json"],
                                  ["imagenet/densenet201", "--symbolic"]])
def test_the_largest_reports_of_the_shipped_specs_stay_within_100_mib(argv, tmp_path):
    done = subprocess.run([sys.executable, "-c", WRAPPER, sys.executable, "-m", "costmodel", "--no-cache", "report",
                           *argv], capture_output=True, text=True, env={**os.environ, "COSTMODEL_CACHE_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) / 1024 <= LIMIT_MIB  # KiB -> MiB
