"""ONNX export: write a glassbox model as an ONNX graph that onnxruntime (or any ONNX runtime) can run.

    import glassbox.onnx
    glassbox.onnx.export(model, example_batch, "model.onnx", input_names=["image"], output_names=["logits"])

The ``onnx`` package is needed only here (``pip install 'glassbox[onnx]'``) and is imported when
``export`` runs, so ``import glassbox.onnx`` stays light.
"""

from glassbox.onnx.converters import MODULES as EXPORTABLE_MODULES
from glassbox.onnx.converters import ExportError
from glassbox.onnx.export import export
