"""NumPy's ufunc buffer size, made small around work that broadcasts.

NumPy runs an elementwise operation whose operands are broadcast against each other (a column of row
maxima subtracted from a matrix, one offset per column added to every row) through per-operand buffers
of ``numpy.getbufsize()`` elements. Its default of 8192 elements makes those buffers larger than the
processor's first-level cache, and such an operation took 1.5 to 2 times as long as the same operation
between two arrays of one shape; with buffers of 1024 elements it takes 1.2 to 1.4 times as long.
Operations between arrays of one layout use no buffers and are unaffected.

Elementwise results never change. Two things can grow worse: a reduction along rows
(``numpy.maximum.reduce(a, axis=1)`` took a fifth longer), and a long reduction with a cast, whose
partial sums follow the buffer size, so that its last bits can change. softmax and log_softmax therefore
take their row maxima before entering the scope; a compiled model (``glassbox.compile``) runs whole
chunks inside it, where the only reductions with a cast add a few class scores per row, in the same
order at any buffer size.

    with small_buffers():
        ...                            # the setting is the calling thread's own, and restored on exit
"""

from __future__ import annotations

import numpy

SMALL_BUFFER = 1024  # elements per operand: 4 KiB of float32, 8 KiB of float64 or int64
MIN_ELEMENTS = 1 << 16  # arrays smaller than this are done before the buffer size matters (setting it: ~2 µs)


class small_buffers:  # noqa: N801 (used as a context manager, like numpy.errstate)
    """Context manager: NumPy's ufunc buffer size at SMALL_BUFFER elements inside, the previous one after."""

    __slots__ = ("previous",)

    def __enter__(self):
        self.previous = numpy.setbufsize(SMALL_BUFFER)
        return self

    def __exit__(self, *exc_info):
        numpy.setbufsize(self.previous)
        return False
