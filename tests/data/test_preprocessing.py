import numpy as np
import pytest
import torch
from sklearn.preprocessing import MinMaxScaler as SklearnMinMaxScaler
from sklearn.preprocessing import StandardScaler as SklearnStandardScaler

import glassbox as gb
from glassbox.data import MinMaxScaler, Standardizer, StandardScaler, channel_statistics, min_max_scale, normalize
from oracle import check

rng = np.random.default_rng(0)
FEATURES = rng.normal(loc=[5.0, -3.0, 0.0, 7.0], scale=[2.0, 0.1, 10.0, 1.0], size=(50, 4))
FEATURES[:, 3] = 7.0  # a constant feature: scaled by 1, not divided by zero
IMAGES = rng.uniform(size=(6, 3, 5, 4)).astype(np.float32) * np.array([1.0, 2.0, 0.5], np.float32)[:, None, None]


def test_standard_scaler_matches_sklearn():
    ours, theirs = StandardScaler().fit(FEATURES), SklearnStandardScaler().fit(FEATURES)
    for name in ("mean_", "var_", "scale_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-12, atol=1e-12, err_msg=name)
    assert ours.n_samples_seen_ == theirs.n_samples_seen_
    z = ours.transform(FEATURES)
    np.testing.assert_allclose(z, theirs.transform(FEATURES), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.inverse_transform(z), FEATURES, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(z[:, :3].mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(z[:, :3].std(0), 1, atol=1e-12)
    np.testing.assert_array_equal(z[:, 3], 0)


@pytest.mark.parametrize("with_mean, with_std", [(False, True), (True, False)])
def test_standard_scaler_options_match_sklearn(with_mean, with_std):
    ours = StandardScaler(with_mean=with_mean, with_std=with_std).fit_transform(FEATURES)
    theirs = SklearnStandardScaler(with_mean=with_mean, with_std=with_std).fit_transform(FEATURES)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_standard_scaler_on_tensors_matches_torch_with_gradients(dtype):
    scaler = Standardizer().fit(FEATURES)
    mean, scale = scaler.mean_, scaler.scale_
    check(
        lambda x: scaler.transform(x),
        torch_fn=lambda x: (x - torch.tensor(mean, dtype=x.dtype)) / torch.tensor(scale, dtype=x.dtype),
        inputs=[FEATURES[:7].astype(dtype)],
        dtype=dtype,
    )
    check(
        lambda z: scaler.inverse_transform(z),
        torch_fn=lambda z: z * torch.tensor(scale, dtype=z.dtype) + torch.tensor(mean, dtype=z.dtype),
        inputs=[rng.normal(size=(3, 4)).astype(dtype)],
        dtype=dtype,
    )


def test_scaler_keeps_the_input_kind_and_float_dtype():
    scaler = StandardScaler().fit(FEATURES)
    assert isinstance(scaler.transform(gb.tensor(FEATURES[:2])), gb.Tensor)
    assert scaler.transform(gb.tensor(FEATURES[:2])).dtype == gb.float64
    assert scaler.transform(gb.tensor(FEATURES[:2], dtype=gb.float32)).dtype == gb.float32
    assert scaler.transform(FEATURES[:2].astype(np.float32)).dtype == np.float32
    assert scaler.transform(np.ones((2, 4), dtype=np.int64)).dtype == np.float32  # integers -> default float
    assert scaler.transform(FEATURES[:2].tolist()).shape == (2, 4)


def test_per_channel_statistics_with_dim():
    scaler = StandardScaler(dim=(0, 2, 3)).fit(IMAGES)
    np.testing.assert_allclose(scaler.mean_, IMAGES.astype(np.float64).mean(axis=(0, 2, 3)), rtol=1e-12)
    z = scaler.transform(IMAGES[:2])
    assert z.shape == (2, 3, 5, 4)
    np.testing.assert_allclose(scaler.transform(IMAGES).mean(axis=(0, 2, 3)), 0, atol=1e-6)
    np.testing.assert_allclose(scaler.transform(IMAGES).std(axis=(0, 2, 3)), 1, atol=1e-5)


def test_scaler_errors():
    with pytest.raises(RuntimeError, match=r"StandardScaler.transform: call fit\(x\) first"):
        StandardScaler().transform(FEATURES)
    scaler = StandardScaler().fit(FEATURES)
    with pytest.raises(ValueError, match=r"input of shape \(2, 3\) does not match the fitted feature shape \(1, 4\)"):
        scaler.transform(FEATURES[:2, :3])
    with pytest.raises(ValueError, match="empty"):
        StandardScaler().fit(np.zeros((0, 3)))
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        StandardScaler(dim=2).fit(FEATURES)
    with pytest.raises(TypeError, match="expected a NumPy array"):
        StandardScaler().fit("features")


def test_state_dict_round_trip():
    fitted = MinMaxScaler((-1, 1)).fit(FEATURES)
    restored = MinMaxScaler((-1, 1))
    restored.load_state_dict(fitted.state_dict())
    np.testing.assert_array_equal(restored.transform(FEATURES), fitted.transform(FEATURES))


@pytest.mark.parametrize("feature_range", [(0, 1), (-1, 1), (0, 255)])
def test_min_max_scaler_matches_sklearn(feature_range):
    ours, theirs = MinMaxScaler(feature_range).fit(FEATURES), SklearnMinMaxScaler(feature_range).fit(FEATURES)
    for name in ("data_min_", "data_max_", "data_range_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), err_msg=name)
    unseen = FEATURES * 1.5
    np.testing.assert_allclose(ours.transform(unseen), theirs.transform(unseen), rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(unseen)), unseen, rtol=1e-12, atol=1e-10)


def test_min_max_scaler_clip_matches_sklearn():
    unseen = FEATURES * 1.5
    ours = MinMaxScaler(clip=True).fit(FEATURES).transform(unseen)
    np.testing.assert_allclose(ours, SklearnMinMaxScaler(clip=True).fit(FEATURES).transform(unseen), atol=1e-12)
    clipped = MinMaxScaler(clip=True).fit(FEATURES).transform(gb.tensor(unseen))
    assert isinstance(clipped, gb.Tensor) and clipped.numpy().min() >= 0 and clipped.numpy().max() <= 1


def test_min_max_scaler_rejects_empty_range():
    with pytest.raises(ValueError, match="minimum must be smaller than maximum"):
        MinMaxScaler((1, 1))


def test_notes_min_max_example():
    # the notes: the convolution output [0 -4 -4 0] on every row becomes [255 0 0 255]
    conv_output = np.array([[0, -4, -4, 0]] * 4, dtype=np.float32)
    np.testing.assert_array_equal(min_max_scale(conv_output, feature_range=(0, 255)), [[255, 0, 0, 255]] * 4)
    as_tensor = min_max_scale(gb.tensor(conv_output))
    assert isinstance(as_tensor, gb.Tensor)
    np.testing.assert_array_equal(as_tensor.numpy(), [[1, 0, 0, 1]] * 4)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_min_max_scale_gradients_match_torch(dtype):
    image = rng.uniform(-3, 3, size=(4, 5)).astype(dtype)
    low, high = float(image.min()), float(image.max())
    # the fitted min and max are constants: the gradient is 255 / (max - min) everywhere
    check(lambda x: min_max_scale(x, (0, 255)), inputs=[image], dtype=dtype,
          torch_fn=lambda x: (x - low) / (high - low) * 255)
    scaler = MinMaxScaler((-1, 1), dim=(0, 1)).fit(image)
    check(lambda x: scaler.transform(x), inputs=[image], dtype=dtype,
          torch_fn=lambda x: (x - low) / (high - low) * 2 - 1)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normalize_matches_torch(dtype):
    mean, std = [0.5, 0.4, 0.3], [0.2, 0.25, 0.3]

    def torch_normalize(x):
        return (x - torch.tensor(mean, dtype=x.dtype)[:, None, None]) / torch.tensor(std, dtype=x.dtype)[:, None, None]

    check(lambda x: normalize(x, mean, std), inputs=[IMAGES.astype(dtype)], torch_fn=torch_normalize, dtype=dtype)
    check(lambda x: normalize(x, mean, std), inputs=[IMAGES[0].astype(dtype)], torch_fn=torch_normalize, dtype=dtype)
    expected = torch_normalize(torch.from_numpy(IMAGES.astype(dtype))).numpy()
    np.testing.assert_allclose(normalize(IMAGES.astype(dtype), mean, std), expected, rtol=1e-6)


def test_normalize_inplace_and_single_value():
    images = IMAGES.copy()
    out = normalize(images, [0.5], [0.5], inplace=True)
    assert out is images
    np.testing.assert_allclose(images, (IMAGES - 0.5) / 0.5, rtol=1e-6)
    tensor = gb.tensor(IMAGES)
    assert normalize(tensor, gb.tensor([0.5, 0.5, 0.5]), (1.0, 2.0, 4.0), inplace=True) is tensor
    np.testing.assert_allclose(tensor.numpy()[:, 2], (IMAGES[:, 2] - 0.5) / 4, rtol=1e-6)


def test_normalize_errors():
    with pytest.raises(TypeError, match="floating point image"):
        normalize(np.zeros((3, 4, 4), np.uint8), [0.5], [0.5])
    with pytest.raises(ValueError, match="mean has 2 values for an image with 3 channels"):
        normalize(IMAGES, [0.5, 0.5], [1.0])
    with pytest.raises(ValueError, match="zero"):
        normalize(IMAGES, [0.5], [0.0])
    with pytest.raises(ValueError, match=r"\(\.\.\., C, H, W\)"):
        normalize(np.zeros((4, 4), np.float32), [0.5], [0.5])


def test_channel_statistics_feed_normalize():
    mean, std = channel_statistics(IMAGES)
    np.testing.assert_allclose(mean, IMAGES.astype(np.float64).mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(std, IMAGES.astype(np.float64).std(axis=(0, 2, 3)))
    normalised = normalize(gb.tensor(IMAGES), mean, std).numpy()
    np.testing.assert_allclose(normalised.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(normalised.std(axis=(0, 2, 3)), 1, atol=1e-5)
    channels_last_mean, _ = channel_statistics(IMAGES.transpose(0, 2, 3, 1), channel_dim=-1)
    np.testing.assert_allclose(channels_last_mean, mean)
