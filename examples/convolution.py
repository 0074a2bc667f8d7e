"""The notes' convolution example: a vertical edge found by a 3×3 filter.

A 6×6 image, dark (0) on the left half and bright (1) on the right, slides under a 3×3
vertical-edge filter; every position gives the weighted sum of the 3×3 patch it covers,

    out[i, j] = Σ_{u, v} image[i + u, j + v] · filter[u, v]      (as deep learning's conv2d computes it)

and with n = 6, f = 3, no padding and stride 1 there are n − f + 1 = 4 positions per side: a
4×4 feature map. Where the patch is all 0 or all 1 the filter's columns cancel (it sums to 0);
where it straddles the edge the right-hand −1 −2 −1 column meets the bright pixels: −4. The
notes then show the map rescaled to 0…255 (min-max: 255 · (x − min) / (max − min)), the edge dark
in the middle: 255 0 0 255. Padding p = 1 keeps the 6×6 size: n + 2p − f + 1 = 6.

The filter is the Sobel vertical-edge filter, rows (+1 0 −1), (+2 0 −2), (+1 0 −1). The notes
print its third row as "+2 0 −1", a slip: that row would make the right column of the map 1,
not the 0 the notes show (its columns would no longer cancel).

    python examples/convolution.py
"""

import numpy as np

import glassbox as gb
import glassbox.nn.functional as F

IMAGE = np.array([[0, 0, 0, 1, 1, 1]] * 6, dtype=np.float32)  # 6×6: a vertical edge in the middle
VERTICAL_EDGE = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=np.float32)


def convolve(image, kernel, padding: int = 0) -> np.ndarray:
    """glassbox's conv2d on one grey image: (H, W) * (f, f) → (H + 2p − f + 1, W + 2p − f + 1)."""
    images = gb.tensor(image).reshape(1, 1, *image.shape)  # (N, C, H, W)
    weight = gb.tensor(kernel).reshape(1, 1, *kernel.shape)  # (out, in, f, f)
    return F.conv2d(images, weight, padding=padding).numpy()[0, 0]


def min_max_scale(values: np.ndarray, top: float = 255.0) -> np.ndarray:
    return top * (values - values.min()) / (values.max() - values.min())


def show(name: str, matrix: np.ndarray) -> None:
    print(f"{name}:")
    for row in matrix:
        print("  " + "  ".join(f"{int(round(value)):4d}" for value in row))


def main() -> dict:
    feature_map = convolve(IMAGE, VERTICAL_EDGE)
    scaled = min_max_scale(feature_map)
    padded = convolve(IMAGE, VERTICAL_EDGE, padding=1)
    show("image (6x6)", IMAGE)
    show("filter (3x3, vertical edge)", VERTICAL_EDGE)
    show(f"feature map ({feature_map.shape[0]}x{feature_map.shape[1]}: n - f + 1 = 6 - 3 + 1 = 4)", feature_map)
    show("feature map rescaled to 0..255 (min-max)", scaled)
    print(f"with padding p = 1: {padded.shape[0]}x{padded.shape[1]} (n + 2p - f + 1 = 6 + 2 - 3 + 1 = 6)")
    return {"feature_map": feature_map, "scaled": scaled, "padded_shape": padded.shape}


if __name__ == "__main__":
    main()
