# SPDX-License-Identifier: Apache-2.0
"""Keras 2.15's model.summary() table for models that run in Python, in the layout the C library
prints for C models (src/nn/summary.cpp): 65-column lines, columns ending at 29, 55 and 65, long
cells continued on the next line, an all-spaces line after each layer, parameter memory by dtype.
A layer of a subclassed model shows its output shape as "multiple", as Keras does."""
import numpy as np

_LINE_LENGTH = 65
_POSITIONS = (29, 55, 65)


def _row(fields):
    """Keras's print_row: cells too long for their column continue on the next line, broken
    after "),", "},", "]," or "',"."""
    left = list(fields)
    lines = []
    while True:
        line = ""
        for col, text in enumerate(left):
            last = col + 1 == len(left)
            start = _POSITIONS[col - 1] if col else 0
            space = 0 if last else 2
            cutoff = _POSITIONS[col] - start - space - (0 if last else 1)
            fit = text[:cutoff]
            marks = [fit.find(m) + 2 for m in ("),", "},", "],", "',") if m in fit]
            if marks:
                cutoff = min(marks)
                fit = fit[:cutoff]
            if col == 0:
                line += " "
            line += fit + " " * space
            left[col] = text[cutoff:]
            line = line.ljust(_POSITIONS[col])
        lines.append(line)
        if not any(left):
            return lines


def _shape_str(shape):
    dims = ["None" if d is None else str(d) for d in shape]
    return "(%s,)" % dims[0] if len(dims) == 1 else "(%s)" % ", ".join(dims)


def _memory(bytes_):
    for unit in ("Byte", "KB", "MB", "GB", "TB"):
        if bytes_ / 1024 < 1:
            return "%.2f %s" % (bytes_, unit)
        bytes_ /= 1024
    return "%.2f PB" % bytes_


def _totals(weights):
    count = sum(w.shape.num_elements() for w in weights)
    return count, float(sum(w.shape.num_elements() * w.dtype.size for w in weights))


def print_summary(model):
    """The summary of a built model as text, one line per "\\n"."""
    from .models import Sequential
    lines = ['Model: "%s"' % model.name, "_" * _LINE_LENGTH]
    lines += _row(["Layer (type)", "Output Shape", "Param #"])
    lines.append("=" * _LINE_LENGTH)
    for layer in model.layers:
        shape = getattr(layer, "_output_shape", None) if isinstance(model, Sequential) else None
        params = int(np.sum([w.shape.num_elements() for w in layer.weights], dtype=np.int64))
        lines += _row(["%s (%s)" % (layer.name, type(layer).__name__),
                       "multiple" if shape is None else _shape_str(shape), str(params)])
        lines.append(" " * _LINE_LENGTH)
    lines.append("=" * _LINE_LENGTH)
    trainable = _totals(model.trainable_weights)
    frozen = _totals(model.non_trainable_weights)
    lines.append("Total params: %d (%s)" % (trainable[0] + frozen[0],
                                            _memory(trainable[1] + frozen[1])))
    lines.append("Trainable params: %d (%s)" % (trainable[0], _memory(trainable[1])))
    lines.append("Non-trainable params: %d (%s)" % (frozen[0], _memory(frozen[1])))
    lines.append("_" * _LINE_LENGTH)
    return "\n".join(lines) + "\n"
