"""Data: datasets, samplers, the DataLoader that batches them, transforms, preprocessing, and downloads.

    from glassbox.data import DataLoader, TensorDataset
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
    for inputs, targets in loader:
        ...
"""

from . import datasets, transforms
from .collate import default_collate, default_convert
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .download import ChecksumError, DownloadError, cache_dir, check_integrity, download_url, extract_tar
from .loader import DataLoader
from .preprocessing import MinMaxScaler, Standardizer, StandardScaler, channel_statistics, min_max_scale, normalize
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
