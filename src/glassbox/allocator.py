"""How the CPU's memory for arrays is kept between training steps.

A training step makes and frees the same large arrays again and again: activations,
gradients, im2col columns. NumPy takes their memory from the C library's ``malloc``.
glibc's default policy serves a block above 128 KiB (a threshold it raises as it
goes) straight from the operating system with ``mmap``, and gives freed memory back
once more than twice that threshold lies free at the top of the heap. Memory that
goes back to the system comes back empty: the next step touches it page by page, and
every first touch of a 4 KiB page is a page fault in which the kernel clears the page.
On the digits CNN that was 4,000 to 9,000 faults and a quarter of the step's time.

``keep_freed_memory()`` sets the two thresholds so that arrays of up to 32 MiB come
from the heap and up to 1 GiB of freed heap is kept for the next step. Both are
needed: keeping freed heap alone does nothing for arrays that ``mmap`` serves. It is
what a deep-learning framework's caching allocator does, done by the C library itself;
the cost is that a process's resident memory falls back only when it ends. glassbox
applies it when imported, on Linux with glibc; set the environment variable
``GLASSBOX_KEEP_FREED_MEMORY=0`` before the import to keep the system's defaults.
"""

from __future__ import annotations

import ctypes
import os
import platform

M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 << 20  # glibc's largest allowed value on 64-bit systems
TRIM_THRESHOLD_BYTES = 1 << 30

_applied = False


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed array memory for reuse. Returns whether the setting took effect
    (False on other C libraries and operating systems, where nothing is changed)."""
    global _applied
    if _applied:
        return True
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # mallopt returns 1 on success; the mmap threshold first, so that the trim threshold applies to a heap
    # that really serves the large arrays
    _applied = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
    return _applied


def apply_default() -> bool:
    """The import-time policy: keep freed memory unless GLASSBOX_KEEP_FREED_MEMORY is set to 0/false/no."""
    if os.environ.get("GLASSBOX_KEEP_FREED_MEMORY", "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    return keep_freed_memory()
