import threading

import numpy as np
import pytest

import glassbox as gb
from glassbox.ufunc_buffers import SMALL_BUFFER, small_buffers


@pytest.fixture
def default_buffer():
    previous = np.setbufsize(8192)
    yield 8192
    np.setbufsize(previous)


def test_small_buffers_inside_and_the_previous_size_after(default_buffer):
    with small_buffers():
        assert np.getbufsize() == SMALL_BUFFER
    assert np.getbufsize() == default_buffer
    with pytest.raises(KeyError), small_buffers():
        raise KeyError("an error inside")
    assert np.getbufsize() == default_buffer


def test_nested_scopes_restore_in_order(default_buffer):
    with small_buffers():
        np.setbufsize(2048)
        with small_buffers():
            assert np.getbufsize() == SMALL_BUFFER
        assert np.getbufsize() == 2048
    assert np.getbufsize() == default_buffer


def _size_seen_by_a_new_thread():
    seen = []
    worker = threading.Thread(target=lambda: seen.append(np.getbufsize()))
    worker.start()
    worker.join()
    return seen[0]


def test_the_setting_is_the_calling_threads_own():
    """NumPy keeps the setting in a context variable: a thread started inside the scope starts from the default."""
    outside = _size_seen_by_a_new_thread()
    with small_buffers():
        assert _size_seen_by_a_new_thread() == outside != SMALL_BUFFER


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_large_softmax_leaves_the_buffer_size_as_it_was(default_buffer, name):
    x = gb.randn(300, 400, requires_grad=True)
    getattr(x, name)(1).sum().backward()
    assert np.getbufsize() == default_buffer
