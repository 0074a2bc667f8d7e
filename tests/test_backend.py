import numpy as np
import pytest

from glassbox import backend


def test_cpu_is_numpy():
    assert backend.array_module("cpu") is np
    assert backend.normalize_device("CPU") == "cpu"
    assert backend.normalize_device("cuda:0") == "cuda"


def test_unknown_device():
    with pytest.raises(backend.DeviceError, match="unknown device"):
        backend.normalize_device("tpu")


def test_cuda_without_cupy_or_gpu_is_a_clear_error():
    if backend.cuda_is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(backend.DeviceError, match="cuda"):
        backend.array_module("cuda")


def test_device_of_numpy_array():
    assert backend.device_of(np.zeros(2)) == "cpu"
    assert backend.to_numpy(np.ones(2)).tolist() == [1.0, 1.0]
