# SPDX-License-Identifier: Apache-2.0
"""tg.keras: Keras-style models, layers, losses, metrics, optimizers, initializers and
callbacks, with compile / fit / evaluate / predict."""
from . import activations, backend, callbacks, initializers, layers, losses, metrics, optimizers
from . import models
from .base_layer import Input
from .models import Model, Sequential

__all__ = ["activations", "backend", "callbacks", "initializers", "layers", "losses", "metrics",
           "optimizers", "models", "Input", "Model", "Sequential"]
