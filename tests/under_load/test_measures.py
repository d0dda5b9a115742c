"""What benchmarks/load.py measures, checked on processes whose CPU is known."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))  # a script of benchmarks/, not a package
import load  # noqa: E402

# A parent that starts a child burning half a second of CPU, waits for it, then idles:
# as a PostgreSQL postmaster does with a backend that ends.
PARENT = """
import subprocess, sys, time
print("start", flush=True)
sys.stdin.readline()
BURN = "import time\\nend = time.process_time() + 0.5\\nwhile time.process_time() < end: pass"
subprocess.run([sys.executable, "-c", BURN])
print("done", flush=True)
time.sleep(60)
"""


def test_cpu_of_a_child_that_ended_stays_in_its_parents_count():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "start"
        before = load.cpu_seconds(parent.pid)
        parent.stdin.write("go\n")
        parent.stdin.flush()
        assert parent.stdout.readline().strip() == "done"
        time.sleep(0.05)
        assert load.cpu_seconds(parent.pid) - before >= 0.45
    finally:
        parent.kill()
        parent.wait()
