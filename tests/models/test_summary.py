import pytest

import glassbox as gb
from glassbox import nn
from glassbox.models import LeNet5, freeze, summary
from glassbox.models.summary import count_parameters

# LeNet-5's layers as the paper gives them: output shape (batch 2) and parameters
LENET_ROWS = [
    ("features.0", "Conv2d", (2, 6, 28, 28), 6 * (5 * 5 * 1 + 1)),  # C1
    ("features.1", "Tanh", (2, 6, 28, 28), 0),
    ("features.2", "AvgPool2d", (2, 6, 14, 14), 0),  # S2
    ("features.3", "Conv2d", (2, 16, 10, 10), 16 * (5 * 5 * 6 + 1)),  # C3
    ("features.4", "Tanh", (2, 16, 10, 10), 0),
    ("features.5", "AvgPool2d", (2, 16, 5, 5), 0),  # S4
    ("features.6", "Conv2d", (2, 120, 1, 1), 120 * (5 * 5 * 16 + 1)),  # C5
    ("features.7", "Tanh", (2, 120, 1, 1), 0),
    ("classifier.0", "Flatten", (2, 120), 0),
    ("classifier.1", "Linear", (2, 84), 84 * (120 + 1)),  # F6
    ("classifier.2", "Tanh", (2, 84), 0),
    ("classifier.3", "Linear", (2, 10), 10 * (84 + 1)),  # output
]


def test_lenet_rows_shapes_and_counts(capsys):
    model = LeNet5()
    result = summary(model, (2, 1, 32, 32))
    assert [(row.name, row.type, row.output_shape, row.parameters) for row in result.rows] == LENET_ROWS
    assert result.total_parameters == result.trainable_parameters == 61_706
    assert result.non_trainable_parameters == 0
    assert result.parameter_bytes == 61_706 * 4
    printed = capsys.readouterr().out
    assert printed.strip() == str(result).strip()
    assert "features.3 (Conv2d)" in printed and "(2, 16, 10, 10)" in printed and "2,416" in printed
    assert "Total params: 61,706" in printed and "Trainable params: 61,706" in printed
    assert "Non-trainable params: 0" in printed
    assert model.training  # the mode is restored


def test_frozen_parameters_are_non_trainable():
    model = LeNet5()
    freeze(model.features)
    result = summary(model, (1, 1, 32, 32), print_summary=False)
    features = 156 + 2416 + 48120
    assert result.trainable_parameters == 61_706 - features == count_parameters(model, trainable_only=True)
    assert result.non_trainable_parameters == features
    assert [row.trainable for row in result.rows if row.type == "Conv2d"] == [0, 0, 0]
    assert "Non-trainable params: 50,692" in str(result)


class TwoHeads(nn.Module):
    """A shared layer called twice, a parameter held beside children, and a tuple output."""

    def __init__(self):
        super().__init__()
        self.shared = nn.Linear(4, 4)
        self.scale = nn.Parameter(gb.ones(4))
        self.rnn = nn.GRU(4, 3, batch_first=True)

    def forward(self, x):
        h = self.shared(self.shared(x)) * self.scale
        return self.rnn(h.reshape(x.shape[0], 1, 4))


def test_shared_layers_count_once_and_tuple_outputs_list_their_shapes():
    result = summary(TwoHeads(), (5, 4), print_summary=False)
    rows = [(row.name, row.output_shape, row.parameters) for row in result.rows]
    assert rows[0] == ("shared", (5, 4), 20) and rows[1] == ("shared", (5, 4), 0)
    assert rows[2] == ("rnn", [(5, 1, 3), (1, 5, 3)], 3 * 3 * (4 + 3 + 2))
    assert rows[3] == ("TwoHeads", [(5, 1, 3), (1, 5, 3)], 4)  # the model owns `scale` itself
    assert result.total_parameters == sum(row.parameters for row in result.rows) == 20 + 81 + 4
    assert "(5, 1, 3), (1, 5, 3)" in str(result)


def test_input_dtype_follows_the_model_and_bad_shapes_fail():
    model = LeNet5().double()
    assert summary(model, (1, 1, 32, 32), print_summary=False).parameter_bytes == 61_706 * 8
    with pytest.raises(ValueError, match="input_shape must be a shape of positive ints"):
        summary(model, (1, 0, 32, 32), print_summary=False)
    with pytest.raises(ValueError, match="32×32"):
        summary(model, (1, 1, 28, 28), print_summary=False)
