"""The ANN chapters' model-level claims, each a seeded run that really trains."""

import glassbox as gb
from glassbox import nn, optim
from glassbox.data import StandardScaler, datasets
from glassbox.train import Trainer


def test_two_layer_network_learns_xor():
    gb.manual_seed(0)
    x = gb.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = gb.tensor([[0.0], [1.0], [1.0], [0.0]])
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    optimizer = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    loss_function = nn.BCEWithLogitsLoss()
    for _ in range(500):
        loss = loss_function(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.05
    with gb.no_grad():
        assert ((model(x) > 0).float() == y).all().item()


def test_logistic_regression_reaches_95_percent_on_breast_cancer():
    gb.manual_seed(0)
    train, test = datasets.BreastCancer(train=True), datasets.BreastCancer(train=False)
    scaler = StandardScaler().fit(train.data)
    model = nn.Linear(30, 2)  # logistic regression: one linear map, softmax inside the loss
    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), metrics=["accuracy"])
    trainer.fit((scaler.transform(train.data), train.targets), epochs=30, batch_size=32, verbose=0)
    accuracy = trainer.evaluate((scaler.transform(test.data), test.targets))["accuracy"]
    assert len(test) == 114  # the held-out 20 %
    assert accuracy >= 0.95
