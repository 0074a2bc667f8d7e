"""Ready-made datasets: MNIST, Fashion-MNIST and CIFAR-10 from their original files, and scikit-learn's
bundled sets with a fixed train/test split (scikit-learn is imported only when one of those is built)."""

from .cifar import CIFAR10, CIFARFormatError, read_cifar_batch
from .mnist import MNIST, FashionMNIST, IDXFormatError, read_idx
from .sklearn import BreastCancer, Diabetes, Digits, Iris, SklearnDataset, Wine
