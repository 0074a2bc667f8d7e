"""System metrics of the training process: CPU, memory and (when CuPy is in use) GPU memory.

Read through psutil when it is installed, else from Linux's /proc. The GPU is looked at only when
the program has already imported CuPy: the monitor never initialises a GPU itself.

    system/cpu_percent       CPU time of this process over wall time since the last sample, in % of one core
    system/memory_rss_mb     resident memory of this process
    system/memory_percent    memory in use on the machine
    system/gpu_memory_used_mb, system/gpu_memory_percent, system/gpu_pool_used_mb   (CuPy)
"""

from __future__ import annotations

import os
import sys
import time


class SystemSampler:
    def __init__(self):
        try:
            import psutil

            self.process = psutil.Process()
            self.psutil = psutil
            self.process.cpu_percent(None)  # the first call only starts the interval
        except ImportError:
            self.psutil = None
            self.last_cpu = (self._proc_cpu_seconds(), time.monotonic())

    def sample(self) -> dict[str, float]:
        values: dict[str, float] = {}
        try:
            values.update(self._cpu_and_memory())
        except (OSError, ValueError, IndexError):
            pass  # a /proc layout this reader does not know: no system metrics rather than a failed run
        values.update(gpu_memory())
        return values

    def _cpu_and_memory(self) -> dict[str, float]:
        if self.psutil is not None:
            return {"system/cpu_percent": self.process.cpu_percent(None),
                    "system/memory_rss_mb": self.process.memory_info().rss / 2**20,
                    "system/memory_percent": self.psutil.virtual_memory().percent}
        cpu_seconds, now = self._proc_cpu_seconds(), time.monotonic()
        previous_cpu, previous_time = self.last_cpu
        self.last_cpu = (cpu_seconds, now)
        elapsed = now - previous_time
        values = {"system/cpu_percent": 100.0 * (cpu_seconds - previous_cpu) / elapsed if elapsed > 0 else 0.0}
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    values["system/memory_rss_mb"] = int(line.split()[1]) / 1024
        memory = {}
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                key, _, rest = line.partition(":")
                memory[key] = int(rest.split()[0])
        if memory.get("MemTotal"):
            values["system/memory_percent"] = 100.0 * (1 - memory["MemAvailable"] / memory["MemTotal"])
        return values

    @staticmethod
    def _proc_cpu_seconds() -> float:
        with open("/proc/self/stat") as stat:
            # the command name (field 2) may hold spaces; the fields after its closing parenthesis do not
            fields = stat.read().rsplit(")", 1)[1].split()
        user, system = int(fields[11]), int(fields[12])  # utime and stime, fields 14 and 15 of proc(5)
        return (user + system) / os.sysconf("SC_CLK_TCK")


def gpu_memory() -> dict[str, float]:
    cupy = sys.modules.get("cupy")
    if cupy is None:
        return {}
    try:
        free, total = cupy.cuda.runtime.memGetInfo()
        return {"system/gpu_memory_used_mb": (total - free) / 2**20,
                "system/gpu_memory_percent": 100.0 * (total - free) / total,
                "system/gpu_pool_used_mb": cupy.get_default_memory_pool().used_bytes() / 2**20}
    except Exception:  # no device, or a driver error: the run goes on without GPU metrics
        return {}
