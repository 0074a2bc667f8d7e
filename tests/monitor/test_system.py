import sys

import pytest

from glassbox.monitor.system import SystemSampler, gpu_memory


def busy(seconds=0.05):
    import time

    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


@pytest.mark.parametrize("with_psutil", [True, False])
def test_cpu_and_memory(monkeypatch, with_psutil):
    if with_psutil:
        pytest.importorskip("psutil")
    else:
        monkeypatch.setitem(sys.modules, "psutil", None)  # import psutil now fails: /proc is read instead
    sampler = SystemSampler()
    assert (sampler.psutil is None) is not with_psutil
    busy()
    values = sampler.sample()
    assert {"system/cpu_percent", "system/memory_rss_mb", "system/memory_percent"} <= set(values)
    assert values["system/cpu_percent"] > 0
    assert 10 < values["system/memory_rss_mb"] < 100_000 and 0 < values["system/memory_percent"] < 100


def test_gpu_is_read_only_when_cupy_is_in_use(monkeypatch):
    monkeypatch.delitem(sys.modules, "cupy", raising=False)
    assert gpu_memory() == {}

    class Runtime:
        @staticmethod
        def memGetInfo():
            return 3 * 2**30, 4 * 2**30

    class Pool:
        @staticmethod
        def used_bytes():
            return 2**29

    fake = type(sys)("cupy")
    fake.cuda = type("cuda", (), {"runtime": Runtime})
    fake.get_default_memory_pool = lambda: Pool
    monkeypatch.setitem(sys.modules, "cupy", fake)
    assert gpu_memory() == {"system/gpu_memory_used_mb": 1024.0, "system/gpu_memory_percent": 25.0,
                            "system/gpu_pool_used_mb": 512.0}
