"""Neural-network building blocks: modules, layers, activations, losses, initialisers.

Names, constructor arguments, defaults and state_dict keys follow ``torch.nn``.
Each family of layers lives in its own file; this module gathers them.
"""

from glassbox.nn import functional

# ---- module system, containers and layers ----

# ---- activations ----

# ---- losses ----

# ---- utilities ----
