"""Test-session settings shared by every test.

The suite runs in two pytest-xdist workers on a two-core machine. A BLAS or
PyTorch pool of two threads in each worker would oversubscribe the cores, and
OpenBLAS's spinning threads then slow small matrix products down a hundredfold;
so each worker computes on one thread.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(1)

try:
    import torch  # noqa: E402

    torch.set_num_threads(1)
except ImportError:  # the oracle-free tests still run
    pass
