import numpy as np
import pytest

import glassbox as gb
from glassbox import nn
from glassbox.models import MLP, LeNet5

onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")
import glassbox.onnx  # noqa: E402
from glassbox.onnx import ExportError  # noqa: E402


def run_onnx(path, *arrays, names=("input",)):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1  # one thread per test worker
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return session.run(None, dict(zip(names, arrays, strict=True)))


def run_glassbox(model, *arrays):
    model.eval()
    with gb.no_grad():
        output = model(*[gb.tensor(a) for a in arrays])
    return [o.numpy() for o in output] if isinstance(output, tuple) else [output.numpy()]


def batch(shape, size, seed=0):
    return np.random.default_rng(seed).normal(size=(size, *shape)).astype(np.float32)


def assert_same_outputs(model, shape, tmp_path, batches=(2, 5), atol=1e-5, **export_options):
    """Export at the first batch size, then compare onnxruntime with glassbox at every batch size."""
    path = tmp_path / "model.onnx"
    proto = glassbox.onnx.export(model, batch(shape, batches[0]), path, **export_options)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    for seed, size in enumerate(batches):
        x = batch(shape, size, seed)
        ours = run_glassbox(model, x)
        theirs = run_onnx(path, x, names=export_options.get("input_names", ("input",)))
        for a, b in zip(ours, theirs, strict=True):
            assert a.shape == b.shape and a.shape[0] == size
            np.testing.assert_allclose(b, a, atol=atol, rtol=1e-5, err_msg=f"batch {size}")
    return proto


def op_types(proto):
    return [node.op_type for node in proto.graph.node]


class AlexNetSmall(nn.Module):
    """AlexNet's layer kinds at a 3×48×48 input: strided conv, ReLU, LRN, overlapping max-pool, adaptive pooling,
    dropout and fully connected layers, with the flatten written in forward."""

    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 5, stride=2, padding=2), nn.ReLU(inplace=True), nn.LocalResponseNorm(5, k=2.0),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(16, 32, 3, padding=1, groups=2), nn.ReLU(inplace=True), nn.LocalResponseNorm(5, k=2.0),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(32, 48, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(48, 32, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((2, 2))
        self.classifier = nn.Sequential(nn.Dropout(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Dropout(),
                                        nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, classes))

    def forward(self, x):
        x = self.avgpool(self.features(x))  # 48 → 24 → 11 → 11 → 5 → 5 → 2; (N, 32, 2, 2)
        return self.classifier(x.flatten(1))


def test_lenet_alexnet_small_and_an_mlp_run_in_onnxruntime_with_a_dynamic_batch(tmp_path):
    gb.manual_seed(0)
    proto = assert_same_outputs(LeNet5(), (1, 32, 32), tmp_path)
    assert op_types(proto)[:3] == ["Conv", "Tanh", "AveragePool"] and op_types(proto).count("Gemm") == 2
    assert {"features.0.weight", "classifier.3.bias"} <= {init.name for init in proto.graph.initializer}
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    proto = assert_same_outputs(AlexNetSmall(), (3, 48, 48), tmp_path, batches=(2, 3))
    assert op_types(proto).count("LRN") == 2 and op_types(proto).count("MaxPool") == 3
    assert "Dropout" not in op_types(proto) and "AveragePool" in op_types(proto)  # adaptive 2×2 of 2×2
    proto = assert_same_outputs(MLP(20, (32, 16), 4, activation="tanh"), (20,), tmp_path, batches=(3, 7))
    assert op_types(proto) == ["Gemm", "Tanh", "Gemm", "Tanh", "Gemm", "Identity"]


def test_relu_max_pool_lenet_and_a_fixed_batch(tmp_path):
    gb.manual_seed(1)
    proto = assert_same_outputs(LeNet5(activation="relu", pooling="max"), (1, 32, 32), tmp_path, batches=(3,),
                                dynamic_batch=False, input_names=["image"], output_names=["logits"])
    assert proto.graph.input[0].name == "image" and proto.graph.output[0].name == "logits"
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 3


def with_running_statistics(model):
    for module in model.modules():
        if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
            rng = np.random.default_rng(0)
            module.running_mean.data[...] = rng.uniform(-0.5, 0.5, module.num_features)
            module.running_var.data[...] = rng.uniform(0.5, 2.0, module.num_features)
            module.weight.data[...] = rng.uniform(0.5, 1.5, module.num_features)
    return model


LAYER_CASES = [
    ("conv same/dilated + batch norm 2d", lambda: nn.Sequential(
        nn.Conv2d(3, 4, 4, padding="same", dilation=2), nn.BatchNorm2d(4), nn.PReLU(4),
        nn.Conv2d(4, 6, 3, stride=2, groups=2, bias=False), nn.ELU(0.7)), (3, 9, 8)),
    ("conv transpose", lambda: nn.Sequential(nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1),
                                             nn.LeakyReLU(0.2), nn.ConvTranspose2d(4, 2, 2, groups=2)), (3, 5, 4)),
    ("pooling", lambda: nn.Sequential(
        nn.MaxPool2d(3, 2, padding=1, ceil_mode=True), nn.Sigmoid(),
        nn.AvgPool2d(2, 1, padding=1, count_include_pad=False), nn.MaxPool2d(2, dilation=2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten()), (2, 11, 10)),
    ("adaptive pooling with overlapping windows", lambda: nn.Sequential(
        nn.AdaptiveAvgPool2d((3, 4)), nn.Tanh(), nn.AdaptiveMaxPool2d((1, 2)), nn.Flatten(),
        nn.Unflatten(1, (2, 2)), nn.LogSoftmax(dim=-1)), (2, 7, 10)),
    ("conv1d and 1-d pooling", lambda: nn.Sequential(nn.Conv1d(3, 4, 3, padding=1), nn.MaxPool1d(2), nn.ReLU6(),
                                                     nn.AvgPool1d(2), nn.Flatten()), (3, 12)),
    ("layer norm and smooth activations", lambda: nn.Sequential(
        nn.Linear(6, 8), nn.LayerNorm(8), nn.GELU(), nn.Linear(8, 8), nn.GELU(approximate="tanh"), nn.SiLU(),
        nn.Softplus(beta=2.0), nn.Linear(8, 8), nn.Mish(), nn.Softplus(), nn.Hardtanh(-0.5, 0.5),
        nn.LayerNorm(8, elementwise_affine=False), nn.Hardswish(), nn.Hardsigmoid(), nn.Identity(),
        nn.Softmax(dim=1)), (6,)),
    ("batch norm 1d, linear on 3-d input", lambda: nn.Sequential(
        nn.Linear(5, 4), nn.BatchNorm1d(3), nn.SELU(), nn.CELU(0.5), nn.Dropout(0.3), nn.Flatten(1, 2),
        nn.Softsign()), (3, 5)),
]


@pytest.mark.parametrize("build, shape", [case[1:] for case in LAYER_CASES], ids=[case[0] for case in LAYER_CASES])
def test_each_layer_kind_matches_onnxruntime(build, shape, tmp_path):
    gb.manual_seed(0)
    assert_same_outputs(with_running_statistics(build()), shape, tmp_path, batches=(2, 3))


class Residual(nn.Module):
    """Operations written in forward between layers: a skip connection, a scale, a transpose, a reshape."""

    def __init__(self):
        super().__init__()
        self.first, self.second = nn.Linear(6, 6), nn.Linear(6, 6)
        self.scale = nn.Parameter(gb.tensor([0.5] * 6))

    def forward(self, x):
        h = self.first(x).relu() * self.scale + x  # (N, 6)
        h = (self.second(h) - 1.0).tanh() / 2 + h.sigmoid().exp()
        grid = h.reshape(h.shape[0], 2, 3).permute(0, 2, 1)  # (N, 3, 2)
        return grid.softmax(-1), grid @ gb.ones(2, 4)


def test_operations_between_layers_and_two_outputs(tmp_path):
    gb.manual_seed(0)
    model = Residual()
    path = tmp_path / "residual.onnx"
    proto = glassbox.onnx.export(model, batch((6,), 2), path, output_names=["probabilities", "scores"])
    assert {"Add", "Mul", "Sub", "Div", "Transpose", "Reshape", "Softmax", "MatMul"} <= set(op_types(proto))
    assert "scale" in {init.name for init in proto.graph.initializer}
    for size in (2, 4):
        x = batch((6,), size, seed=size)
        for ours, theirs in zip(run_glassbox(model, x), run_onnx(path, x), strict=True):
            np.testing.assert_allclose(theirs, ours, atol=1e-5, rtol=1e-5)


def test_only_what_the_output_depends_on_is_exported(tmp_path):
    class Unused(nn.Module):
        def __init__(self):
            super().__init__()
            self.used, self.unused = nn.Linear(3, 2), nn.Linear(3, 2)

        def forward(self, x):
            self.unused(x)
            return self.used(x)

    proto = glassbox.onnx.export(Unused(), batch((3,), 2), None)
    assert op_types(proto) == ["Gemm", "Identity"]
    assert {init.name for init in proto.graph.initializer} == {"used.weight", "used.bias"}


def test_the_model_mode_is_restored_and_dropout_is_identity():
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.9))
    proto = glassbox.onnx.export(model, batch((3,), 2))
    assert model.training and op_types(proto) == ["Gemm", "Identity"]


class Lookup(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 4), nn.Embedding(4, 2))

    def forward(self, x):
        return self.body(x)


def test_errors_name_what_cannot_be_exported(tmp_path):
    with pytest.raises(ExportError, match=r"cannot export 'body.1' \(Embedding\): glassbox.onnx has no ONNX "
                                          r"translation for it; layers that export: .*Conv2d"):
        glassbox.onnx.export(Lookup(), batch((4,), 2))
    summing = type("Summing", (nn.Module,), {"forward": lambda self, x: x.sum(1, keepdim=True)})
    with pytest.raises(ExportError, match=r"the operation Sum \(output shape \(2, 1\)\) written in a forward"):
        glassbox.onnx.export(summing(), batch((4,), 2))
    with pytest.raises(ExportError, match=r"'1' \(LocalResponseNorm size=4\).*use an odd size"):
        glassbox.onnx.export(nn.Sequential(nn.Conv2d(2, 4, 1), nn.LocalResponseNorm(4)), batch((2, 3, 3), 2))
    with pytest.raises(ExportError, match="track_running_stats=False"):
        glassbox.onnx.export(nn.Sequential(nn.BatchNorm1d(3, track_running_stats=False)), batch((3,), 2))
    merging = type("Merging", (nn.Module,), {"forward": lambda self, x: x.reshape(-1)})
    with pytest.raises(ExportError, match=r"reshape from \(2, 3\) to \(6,\) with dynamic_batch=True"):
        glassbox.onnx.export(merging(), batch((3,), 2))
    proto = glassbox.onnx.export(merging(), batch((3,), 2), tmp_path / "fixed.onnx", dynamic_batch=False)
    assert op_types(proto) == ["Reshape", "Identity"]
    with pytest.raises(ExportError, match="padding_mode='reflect'"):
        glassbox.onnx.export(nn.Conv2d(1, 1, 3, padding=1, padding_mode="reflect"), batch((1, 4, 4), 1))
    with pytest.raises(ExportError, match="batched 4-D input"):
        glassbox.onnx.export(nn.Conv2d(1, 1, 3), np.zeros((1, 4, 4), np.float32), dynamic_batch=False)
    with pytest.raises(ValueError, match="opset must be between 13"):
        glassbox.onnx.export(nn.Linear(2, 2), batch((2,), 1), opset=9)
    with pytest.raises(ExportError, match="LayerNormalization needs opset 17"):
        glassbox.onnx.export(nn.LayerNorm(2), batch((2,), 1), opset=16)
    with pytest.raises(ValueError, match=r"returns 1 outputs but output_names is \['a', 'b'\]"):
        glassbox.onnx.export(nn.Linear(2, 2), batch((2,), 1), output_names=["a", "b"])
