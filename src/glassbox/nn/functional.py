"""The stateless forms of the layers, activations and losses, as ``torch.nn.functional``.

Each function is defined beside its module, in the file of its family; this
module gathers them under one name: ``import glassbox.nn.functional as F``.
"""

# ---- layers (linear, dropout, normalization, embedding) ----

# ---- activations ----

# ---- losses ----
