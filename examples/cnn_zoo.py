"""The notes' CNN architectures side by side: LeNet-5, AlexNet and VGG16, layer by layer.

For each network ``summary`` runs one image through it and prints every layer's output shape and
parameter count; the shapes follow the notes' formula floor((n + 2p − f) / s) + 1 per side, and a
layer's parameters are out · (in · f · f) + out for a convolution, out · in + out for a fully
connected layer. Then the totals:

    LeNet-5                          61 706      (32×32 grey digits)
    AlexNet, torchvision's layout    61 100 840  (the notes' "60 million parameters"; 224×224×3)
    AlexNet, the 2012 paper's        60 965 224  (two GPU towers, LRN, 227×227×3)
    VGG16                            138 357 544 (3×3 convolutions, stride 1, same padding; 224×224×3)

Almost all of AlexNet's and VGG16's parameters are in the first fully connected layer
(9216 · 4096 and 25 088 · 4096 weights), while the convolutions do almost all the arithmetic.

    python examples/cnn_zoo.py [--models lenet alexnet vgg16]
"""

import argparse

from glassbox.models import VGG16, AlexNet, AlexNet2012, LeNet5, summary
from glassbox.models.summary import count_parameters

MODELS = {
    "lenet": ("LeNet-5", LeNet5, (1, 1, 32, 32)),
    "alexnet": ("AlexNet (torchvision)", AlexNet, (1, 3, 224, 224)),
    "vgg16": ("VGG16", VGG16, (1, 3, 224, 224)),
}


def main(models=("lenet", "alexnet", "vgg16")) -> dict:
    counts, summaries = {}, {}
    for key in models:
        title, build, input_shape = MODELS[key]
        print(f"\n{title}")
        model = build()
        summaries[key] = summary(model, input_shape)
        counts[title] = summaries[key].total_parameters
        if key == "alexnet":
            counts["AlexNet (2012 paper, two towers)"] = count_parameters(AlexNet2012(groups=2))
    print("\nparameters")
    for title, count in counts.items():
        print(f"  {title:<34} {count:>12,}")
    return {"counts": counts, "summaries": summaries}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=["lenet", "alexnet", "vgg16"])
    main(parser.parse_args().models)
