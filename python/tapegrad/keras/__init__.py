"""tg.keras: Keras-style models, layers, losses, metrics, optimizers and initializers."""
from . import activations, backend, initializers, layers, losses, metrics, optimizers
from . import models
from .models import Model, Sequential

__all__ = ["activations", "backend", "initializers", "layers", "losses", "metrics",
           "optimizers", "models", "Model", "Sequential"]
