# SPDX-License-Identifier: Apache-2.0
"""tf.keras.Model (subclass it: layers in __init__, the forward pass in call()) and
tf.keras.Sequential, with compile / fit / evaluate / predict (training.py), build, summary,
count_params, get_layer and structural checkpoints.

A Sequential whose layers are all plain C layers (layers.py) is a C model: calling, fit, evaluate,
predict, summary and checkpoints go to the C library. Other models run their forward pass in
Python; their summary is printed here in the same layout, and their checkpoints are written by a
C model made of their C layers, so files are interchangeable with C programs."""
import ctypes

import numpy as np

from .. import _ops
from .._core import Tensor, Variable, constant, convert_to_tensor
from .._lib import call, lib, out_handle
from ._c_model import CModel
from .base_layer import InputLayer, Layer, batch_shape, scopes, unsupported
from .layers import TG_LAYER_EMBEDDING, CLayer
from .optimizers import Optimizer
from .summary import print_summary
from .training import Trainer


class Model(Trainer, Layer):
    """A layer made of layers. Subclasses define call(inputs[, training]).

    Model(name=None, trainable=True, dtype=None): the functional form Model(inputs, outputs) is
    not implemented (NotImplementedError)."""

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise NotImplementedError("tapegrad has no functional API: Model(inputs, outputs) is "
                                      "not implemented; subclass Model or use Sequential")
        super().__init__(**kwargs)
        self.stop_training = False
        self._build_input_shape = None

    # ---- layers -------------------------------------------------------------------------
    def _flat_layers(self):
        """The leaf layers, depth first in tracking order (Keras's order of weights)."""
        out = []
        for layer in self._layers:
            out += layer._flat_layers() if isinstance(layer, Model) else [layer]
        return out

    def get_layer(self, name=None, index=None):
        """A layer by index (in the order tracked) or by name; ValueError otherwise."""
        if index is not None and name is not None:
            raise ValueError("Provide only a layer name or a layer index. Received: index=%s, "
                             "name=%s." % (index, name))
        if index is not None:
            if len(self._layers) <= index:
                raise ValueError("Was asked to retrieve layer at index %s but model only has %d "
                                 "layers." % (index, len(self._layers)))
            return self._layers[index]
        if name is not None:
            for layer in self._layers:
                if layer.name == name:
                    return layer
            raise ValueError("No such layer: %s. Existing layers are: %s."
                             % (name, [layer.name for layer in self._layers]))
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    # ---- building ------------------------------------------------------------------------
    def _convert_input(self, x):
        """Inputs as tensors of their own dtype (a float64 array stays float64): each layer
        casts to its own dtype."""
        if isinstance(x, Tensor) or isinstance(x, dict) or \
                isinstance(x, (list, tuple)) and any(isinstance(v, Tensor) for v in x):
            return x
        if isinstance(x, (Layer, Variable)):
            return super()._convert_input(x)
        return convert_to_tensor(x)

    def _build_on_call(self, inputs):
        pass  # a subclassed model's layers build themselves in call(); built after it

    def __call__(self, inputs, *args, **kwargs):
        out = super().__call__(inputs, *args, **kwargs)
        if not self.built:
            self.built = True
            shape = tuple(inputs.shape) if isinstance(inputs, Tensor) else np.shape(inputs)
            self._build_input_shape = (None,) + tuple(shape[1:])
        return out

    def build(self, input_shape):
        """Creates every weight by calling the model once on zeros of input_shape (None for
        an unknown dimension, taken as 1), with training behaviour off."""
        shape = tuple(input_shape)
        self(_ops.zeros([1 if d is None else int(d) for d in shape], self._dtype),
             training=False)
        self._build_input_shape = (None,) + shape[1:]

    def _ensure_built(self, data_shape):
        if not self.built:
            self.build((None,) + tuple(data_shape[1:]))

    # ---- summary and checkpoints ----------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Prints Keras's table (layer, output shape, parameters, totals) through print_fn, one
        line per call (default: print to stdout). ValueError if the model is not built."""
        unsupported("summary", line_length=line_length, positions=positions,
                    expand_nested=expand_nested, show_trainable=show_trainable,
                    layer_range=layer_range)
        if not self.built:
            raise ValueError("This model has not yet been built. Build the model first by "
                             "calling `build()` or by calling the model on a batch of data.")
        c_model = self._c_stack()
        text = c_model.summary_text() if c_model is not None else print_summary(self)
        emit = print if print_fn is None else print_fn
        for line in text.rstrip("\n").split("\n"):
            emit(line)

    def _checkpoint_model(self):
        """A C model of this model's C layers: tg_model_save_weights keys the file by them."""
        c_model = self._c_stack()
        if c_model is not None:
            return c_model
        layers = self._flat_layers()
        python_made = [layer for layer in layers if not isinstance(layer, CLayer) and layer.weights]
        if python_made:
            raise NotImplementedError(
                "save_weights/load_weights: layer '%s' (%s) has weights made in Python; "
                "structural checkpoints cover the C layers (Dense, Embedding, ...)"
                % (python_made[0].name, type(python_made[0]).__name__))
        c_layers = [layer for layer in layers if isinstance(layer, CLayer)]
        if not all(layer.built for layer in c_layers):
            raise ValueError("save_weights/load_weights: model '%s' has not created its weights "
                             "yet: build it or call it first" % self.name)
        c_model = CModel(self.name, [layer.handle for layer in c_layers])
        # why a build: tg_model_save_weights wants a built model. Its layers are built already
        # and keep their weights; the shape only has to let each compute an output shape.
        c_model.build((None, 1))
        return c_model

    def save_weights(self, filepath, overwrite=True, save_format=None, options=None,
                     optimizer=None):
        """Writes every weight to a safetensors file keyed by the model's structure
        ("layer_with_weights-0/kernel"), so another model of the same architecture, or a C
        program, loads it. optimizer: also save its state (to resume training)."""
        _no_positional_optimizer("save_weights", overwrite)
        unsupported("save_weights", options=options)
        if not overwrite:
            raise NotImplementedError("save_weights: overwrite=False is not implemented")
        if save_format not in (None, "tf", "safetensors"):
            raise NotImplementedError("save_weights: the file is safetensors; save_format=%r is "
                                      "not implemented" % (save_format,))
        c_model = self._checkpoint_model()  # why a name: it must outlive the call
        call(lib.tg_model_save_weights, c_model.handle, str(filepath).encode(),
             None if optimizer is None else optimizer._handle())

    def load_weights(self, filepath, skip_mismatch=False, by_name=False, options=None,
                     optimizer=None):
        """Loads weights saved by save_weights (by structure). The file is checked whole first:
        on a mismatch nothing changes and the error names it. optimizer: also load its state.
        The model must be built."""
        _no_positional_optimizer("load_weights", skip_mismatch)
        unsupported("load_weights", skip_mismatch=skip_mismatch, by_name=by_name,
                    options=options)
        if not self.built:
            raise ValueError("Unable to load weights saved in HDF5 format into a subclassed Model "
                             "which has not created its variables yet. Call the Model first, "
                             "then load the weights." if not isinstance(self, Sequential) else
                             "load_weights: the model has no weights yet; build or call it first")
        c_model = self._checkpoint_model()
        call(lib.tg_model_load_weights, c_model.handle, str(filepath).encode(),
             None if optimizer is None else optimizer._handle())


def _no_positional_optimizer(method, second):
    if isinstance(second, Optimizer):
        raise TypeError("%s(filepath, optimizer): pass the optimizer by keyword "
                        "(optimizer=...); the second argument is Keras's" % method)


class Sequential(Model):
    """Sequential([layer, ...], name=None): runs its layers in order. The first layer's
    input_shape (or an Input / InputLayer first) builds the model at once, as in Keras."""

    def __init__(self, layers=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._c_cache = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        if not isinstance(layer, Layer):
            raise TypeError("The added layer must be an instance of class Layer. Received: "
                            "layer=%r of type %s." % (layer, type(layer)))
        if any(existing.name == layer.name for existing in self._layers):
            raise ValueError("All layers added to a Sequential model should have unique names. "
                             "Name '%s' is already the name of a layer in this model. Update "
                             "the `name` argument to pass a unique name." % layer.name)
        first = not self._layers
        if isinstance(layer, InputLayer):
            if not first:
                raise ValueError("An InputLayer can only be the first layer of a Sequential")
            self.build(layer._batch_input_shape)
            return
        self._layers.append(layer)
        self._c_cache = None
        if first and layer._batch_input_shape is not None:
            self.build(layer._batch_input_shape)
        elif self._build_input_shape is not None:  # built, or given an Input
            self.build(self._build_input_shape)

    @property
    def built(self):
        """Built by build() or a call, or because every layer is built (as the C model)."""
        layers = self.__dict__.get("_layers", [])
        return self.__dict__.get("_built", False) or \
            bool(layers) and all(layer.built for layer in layers)

    @built.setter
    def built(self, value):
        self.__dict__["_built"] = bool(value)

    def pop(self):
        if not self._layers:
            raise TypeError("There are no layers in the model.")
        self._c_cache = None
        return self._layers.pop()

    def _c_stack(self):
        """The C model of this stack if every layer is a plain C layer, else None."""
        layers = self._layers
        if not layers or not all(isinstance(layer, CLayer) and layer.plain for layer in layers):
            return None
        key = tuple(id(layer) for layer in layers)
        if self._c_cache is None or self._c_cache[0] != key:
            c_model = CModel(self.name, [layer.handle for layer in layers])
            c_model.layers = list(layers)
            if self.built and self._build_input_shape is not None:
                c_model.build(self._build_input_shape)
            self._c_cache = (key, c_model)
        return self._c_cache[1]

    def build(self, input_shape=None):
        """Builds every layer for inputs of input_shape (None: the first layer's
        input_shape), creating the weights without a call."""
        if input_shape is None:
            input_shape = self._layers[0]._batch_input_shape if self._layers else None
        if input_shape is None:
            raise ValueError("You must provide an `input_shape` argument.")
        shape = batch_shape(batch_input_shape=input_shape)
        if not self._layers:
            self._build_input_shape = shape
            return
        c_model = self._c_stack()
        if c_model is None:
            super().build(shape)
            return
        outer = scopes()
        if outer:  # variables named after the calling models too
            CModel("/".join(outer + [self.name]),
                   [layer.handle for layer in self._layers]).build(shape)
        c_model.build(shape)
        for layer in self._layers:
            if not layer.built:
                layer._adopt_weights()
                layer._set_built()
        self.built = True
        self._build_input_shape = shape

    def _build_on_call(self, inputs):
        if self._c_stack() is not None:
            self.build((None,) + tuple(inputs.shape[1:]))

    def call(self, inputs, training=None):
        c_model = self._c_stack()
        if c_model is not None:
            out = out_handle()
            call(lib.tg_model_call_ex, c_model.handle, inputs.handle, int(bool(training)),
                 ctypes.byref(out))
            return Tensor(out.value)
        x = inputs
        for layer in self._layers:
            x = layer(x, training=training)
            layer._output_shape = (None,) + tuple(x.shape[1:])  # for the summary
        return x

    def _convert_input(self, x):
        c_model = self._c_stack()
        if c_model is not None and not isinstance(x, Tensor) and np.asarray(x).dtype.kind == "f" \
                and c_model.layers[0]._type != TG_LAYER_EMBEDDING:  # to the first layer's dtype
            return constant(x, c_model.layers[0]._dtype)
        return super()._convert_input(x)
