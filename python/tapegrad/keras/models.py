"""tf.keras.Model (subclass it: layers in __init__, the forward pass in call()) and
tf.keras.Sequential. Variables, training flags and names work as in Keras; save_weights and
load_weights write and read tapegrad's safetensors checkpoints (with the optimizer's state if
one is given), which C programs read too."""
from .._lib import call, handle_array, lib
from .layers import Layer


class Model(Layer):
    """A layer made of layers. Subclasses define call(inputs[, training])."""

    def __init__(self, *args, name=None, **kwargs):
        super().__init__(name=name, **{k: v for k, v in kwargs.items()
                                       if k in ("trainable", "dtype")})

    def summary(self, print_fn=print):
        print_fn('Model: "%s"' % self.name)
        total = 0
        for w in self.weights:
            n = w.shape.num_elements()
            total += n
            print_fn("  %-40s %-14s %d" % (w.name, tuple(w.shape), n))
        print_fn("Total params: %d" % total)

    def save_weights(self, filepath, optimizer=None):
        """Writes every weight (and the optimizer's state) to a safetensors checkpoint."""
        ws = self.weights
        call(lib.tg_checkpoint_save, str(filepath).encode(), handle_array([w.handle for w in ws]),
             len(ws), None if optimizer is None else optimizer._handle())

    def load_weights(self, filepath, optimizer=None):
        """Reads every weight (and the optimizer's state) from a checkpoint; the model must have
        been called once so its weights exist. Nothing changes on error."""
        ws = self.weights
        if not ws:
            raise ValueError("load_weights: the model has no weights yet; call it once first")
        call(lib.tg_checkpoint_load, str(filepath).encode(), handle_array([w.handle for w in ws]),
             len(ws), None if optimizer is None else optimizer._handle())


class Sequential(Model):
    """Sequential([layer, ...]): runs its layers in order."""

    def __init__(self, layers=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        if not isinstance(layer, Layer):
            raise TypeError("The added layer must be an instance of class Layer. Received: "
                            "layer=%r of type %s." % (layer, type(layer)))
        self._layers.append(layer)

    def pop(self):
        if not self._layers:
            raise TypeError("There are no layers in the model.")
        return self._layers.pop()

    def call(self, inputs, training=None):
        x = inputs
        for layer in self._layers:
            x = layer(x, training=training)
        return x
