import numpy as np
import pytest

import glassbox as gb
from glassbox.data import transforms as T

IMAGE = np.random.default_rng(0).random((3, 8, 10)).astype(np.float32)


def test_to_tensor_layouts_and_scaling():
    hwc = (np.arange(5 * 6 * 3) % 256).astype(np.uint8).reshape(5, 6, 3)
    out = T.ToTensor()(hwc)
    assert out.shape == (3, 5, 6) and out.dtype == gb.float32
    np.testing.assert_allclose(out.numpy(), hwc.transpose(2, 0, 1) / 255.0)
    assert T.ToTensor()(np.zeros((5, 6))).shape == (1, 5, 6)


def test_normalize_per_channel():
    out = T.Normalize([0.5, 0.4, 0.3], [0.1, 0.2, 0.3])(gb.tensor(IMAGE))
    expected = (IMAGE - np.array([0.5, 0.4, 0.3])[:, None, None]) / np.array([0.1, 0.2, 0.3])[:, None, None]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="2 values for an image with 3 channels"):
        T.Normalize([0.5, 0.5], [1, 1])(IMAGE)


def test_flips_always_and_never():
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1)(IMAGE), IMAGE[:, :, ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1)(IMAGE), IMAGE[:, ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0)(IMAGE), IMAGE)


def test_flip_probability_is_respected():
    gb.manual_seed(0)
    flips = sum(not np.array_equal(T.RandomHorizontalFlip(0.3)(IMAGE), IMAGE) for _ in range(2000))
    assert 0.27 < flips / 2000 < 0.33


def test_random_crop_with_padding_keeps_a_window_of_the_padded_image():
    gb.manual_seed(1)
    crop = T.RandomCrop(8, padding=2)
    padded = np.pad(IMAGE, ((0, 0), (2, 2), (2, 2)))
    for _ in range(20):
        out = crop(IMAGE)
        assert out.shape == (3, 8, 8)
        windows = [padded[:, i:i + 8, j:j + 8] for i in range(5) for j in range(7)]
        assert any(np.array_equal(out, w) for w in windows)
    with pytest.raises(ValueError, match="larger than"):
        T.RandomCrop(20)(IMAGE)


def test_affine_identity_and_quarter_turn():
    np.testing.assert_allclose(T.affine(IMAGE), IMAGE, atol=1e-6)
    square = IMAGE[:, :8, :8]
    np.testing.assert_allclose(T.affine(square, angle=90), np.rot90(square, k=1, axes=(1, 2)), atol=1e-5)


def test_affine_shift_moves_pixels_and_fills():
    out = T.affine(IMAGE, translate=(2, 1), fill=-1.0)
    np.testing.assert_allclose(out[:, 1:, 2:], IMAGE[:, :-1, :-2], atol=1e-6)
    assert np.all(out[:, 0, :] == -1) and np.all(out[:, :, :2] == -1)


def test_zoom_in_magnifies_the_centre():
    image = np.zeros((1, 9, 9), dtype=np.float32)
    image[0, 3:6, 3:6] = 1.0
    zoomed = T.affine(image, scale=2.0)
    assert zoomed.sum() > image.sum() * 3


def test_compose_is_seeded():
    pipeline = T.Compose([T.RandomAffine(degrees=15, translate=(0.1, 0.1), scale=(0.9, 1.1)),
                          T.RandomHorizontalFlip(), T.Normalize([0.5] * 3, [0.5] * 3)])
    gb.manual_seed(7)
    first = [pipeline(gb.tensor(IMAGE)).numpy() for _ in range(3)]
    gb.manual_seed(7)
    second = [pipeline(gb.tensor(IMAGE)).numpy() for _ in range(3)]
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert "RandomAffine" in repr(pipeline)


def test_wrappers_and_bad_input():
    gb.manual_seed(0)
    assert T.RandomRotation(10)(IMAGE).shape == IMAGE.shape
    assert T.RandomShift(0.2, 0.2)(IMAGE).shape == IMAGE.shape
    assert T.RandomZoom(0.8, 1.2)(IMAGE).shape == IMAGE.shape
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        T.RandomHorizontalFlip(1)(np.zeros((4, 4)))
