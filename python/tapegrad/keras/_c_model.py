# SPDX-License-Identifier: Apache-2.0
"""C models (tg_model) made of the C layers of Python layer objects: the plain stacks that fit,
evaluate and predict drive in C, the scoped builds that give variables Keras's names, structural
checkpoints and the summary text."""
import ctypes

from .._lib import call, int64_array, lib, out_handle


class CModel:
    """Owns a tg_model whose layers are the given C layer handles (shared, not copied)."""

    def __init__(self, name, layer_handles):
        out = out_handle()
        call(lib.tg_model_create, name.encode(), ctypes.byref(out))
        self.handle = out.value
        for h in layer_handles:
            call(lib.tg_model_add_layer, self.handle, h)

    def __del__(self, _free=lib.tg_model_free):
        h = getattr(self, "handle", None)
        if h:
            self.handle = None
            _free(h)

    def build(self, batch_shape):
        """tg_model_build with None (unknown) dimensions as -1."""
        dims, rank = int64_array(-1 if d is None else d for d in batch_shape)
        call(lib.tg_model_build, self.handle, dims, rank)

    def summary_text(self):
        """What tg_model_summary prints (tg_model_summary_text: size first, then the text)."""
        length = ctypes.c_size_t()
        call(lib.tg_model_summary_text, self.handle, None, 0, ctypes.byref(length))
        buffer = ctypes.create_string_buffer(length.value + 1)
        call(lib.tg_model_summary_text, self.handle, buffer, len(buffer), ctypes.byref(length))
        return buffer.value.decode()


def build_layer(layer_handle, batch_shape, scope):
    """Builds a C layer for inputs of batch_shape as it would be built inside the models named in
    `scope` (outermost first), so that its variables are named "<scope>/<layer>/<name>:0".
    why a model: a C layer prefixes its variables with the name of the model that builds it."""
    if scope:
        CModel("/".join(scope), [layer_handle]).build(batch_shape)
    else:
        dims, rank = int64_array(-1 if d is None else d for d in batch_shape)
        call(lib.tg_layer_build, layer_handle, dims, rank)
