import os
import platform
import subprocess
import sys

import pytest

from glassbox import allocator

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

# allocate and free the arrays of a "training step" 30 times; print the minor page faults of the last 20
STEPS = """
import resource
import numpy
import glassbox

def step():
    arrays = [numpy.ones(n) for n in (1 << 20, 1 << 19, 3 << 18)]  # 8, 4 and 6 MiB, freed when step returns
    return sum(float(a[-1]) for a in arrays)

for _ in range(10):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(keep: str) -> int:
    environment = {**os.environ, "GLASSBOX_KEEP_FREED_MEMORY": keep}
    result = subprocess.run([sys.executable, "-c", STEPS], capture_output=True, text=True, check=True,
                            env=environment)
    return int(result.stdout.strip())


@pytest.mark.skipif(not GLIBC, reason="the setting exists only in glibc's malloc")
def test_freed_memory_is_reused_without_page_faults():
    kept, released = _faults("1"), _faults("0")
    # with the system's defaults every step faults in its 18 MiB again (about 4,600 pages);
    # kept, the heap serves them again without touching the kernel
    assert released > 20 * 1000
    assert kept < released / 10


@pytest.mark.skipif(not GLIBC, reason="the setting exists only in glibc's malloc")
def test_applied_at_import_and_idempotent():
    assert allocator.keep_freed_memory() is True
    assert allocator.keep_freed_memory() is True


def test_opt_out_leaves_the_defaults(monkeypatch):
    monkeypatch.setattr(allocator, "keep_freed_memory", lambda: pytest.fail("must not be called"))
    for value in ("0", "false", "No", "off"):
        monkeypatch.setenv("GLASSBOX_KEEP_FREED_MEMORY", value)
        assert allocator.apply_default() is False
