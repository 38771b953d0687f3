# SPDX-License-Identifier: Apache-2.0
"""Keras initializers (tf.keras.initializers), drawing with tapegrad's seeded Philox generator.
The formulas are the C library's (src/nn/initializers.cpp), so Dense(seed=s) here and
a C Dense whose tg_layer_config has kernel_initializer.seed = s start from the same kernel. seed=None draws a seed
from tg.random's generator (deterministic after tg.random.set_seed)."""
import math

from .. import _ops
from .. import dtypes as _dt
from .._core import op_seed

# The stddev of a standard normal truncated to two standard deviations.
_TRUNCATED_STDDEV = 0.87962566103423978


def _fans(shape):
    shape = tuple(shape)
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = 1.0
    for d in shape[:-2]:
        receptive *= d
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return _ops.zeros(shape, dtype or _dt.float32)


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return _ops.ones(shape, dtype or _dt.float32)


class Constant(Initializer):
    def __init__(self, value=0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return _ops.fill(shape, _dt.as_dtype(dtype or _dt.float32).as_numpy_dtype.type(self.value))


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=None):
        return _ops.random_uniform(shape, self.minval, self.maxval, dtype or _dt.float32,
                                   op_seed(self.seed))


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None):
        return _ops.random_normal(shape, self.mean, self.stddev, dtype or _dt.float32,
                                  op_seed(self.seed))


class TruncatedNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None):
        return _ops.truncated_normal(shape, self.mean, self.stddev, dtype or _dt.float32,
                                     op_seed(self.seed))


class VarianceScaling(Initializer):
    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if scale <= 0.0:
            raise ValueError("`scale` must be positive float. Received: scale=%s." % scale)
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError("Invalid `mode` argument: %s" % mode)
        if distribution not in ("normal", "truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError("Invalid `distribution` argument: %s" % distribution)
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape, dtype=None):
        dtype = dtype or _dt.float32
        fan_in, fan_out = _fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        s = self.scale / max(1.0, n)
        seed = op_seed(self.seed)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * s)
            return _ops.random_uniform(shape, -limit, limit, dtype, seed)
        if self.distribution == "untruncated_normal":
            return _ops.random_normal(shape, 0.0, math.sqrt(s), dtype, seed)
        return _ops.truncated_normal(shape, 0.0, math.sqrt(s) / _TRUNCATED_STDDEV, dtype, seed)


class GlorotUniform(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "uniform", seed)


class GlorotNormal(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)


class HeNormal(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed)


class HeUniform(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "uniform", seed)


class LecunNormal(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "truncated_normal", seed)


class LecunUniform(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "uniform", seed)


zeros = Zeros
ones = Ones
constant = Constant
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal

_BY_NAME = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal, "he_normal": HeNormal, "he_uniform": HeUniform,
    "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform, "random_normal": RandomNormal,
    "random_uniform": RandomUniform, "uniform": RandomUniform, "normal": RandomNormal,
    "truncated_normal": TruncatedNormal,
}


def get(identifier):
    """An initializer from a name ("glorot_uniform"), an Initializer, or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        try:
            return _BY_NAME[identifier.lower()]()
        except KeyError:
            raise ValueError("Unknown initializer: %r" % identifier) from None
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError("Could not interpret initializer identifier: %r" % (identifier,))


# The C library's tg_initializer_kind for each VarianceScaling (scale, mode, distribution).
_C_VARIANCE_SCALING = {
    (1.0, "fan_avg", "uniform"): 0, (1.0, "fan_avg", "truncated_normal"): 1,
    (2.0, "fan_in", "truncated_normal"): 2, (2.0, "fan_in", "uniform"): 3,
    (1.0, "fan_in", "truncated_normal"): 4, (1.0, "fan_in", "uniform"): 5,
}


def c_initializer(init):
    """The C library's (kind, a, b, seed) for an initializer it implements with the same
    formula, or None (the initializer then runs in Python after the C layer is built). An
    unseeded initializer gets a seed from tg.random's generator now."""
    if isinstance(init, VarianceScaling):
        distribution = "truncated_normal" if init.distribution == "normal" else init.distribution
        kind = _C_VARIANCE_SCALING.get((float(init.scale), init.mode, distribution))
        return None if kind is None else (kind, 0.0, 0.0, op_seed(init.seed))
    if type(init) is Zeros:
        return (6, 0.0, 0.0, 0)
    if type(init) is Ones:
        return (7, 0.0, 0.0, 0)
    if type(init) is Constant and isinstance(init.value, (int, float)):
        return (8, float(init.value), 0.0, 0)
    if type(init) is RandomNormal:
        return (9, float(init.mean), float(init.stddev), op_seed(init.seed))
    if type(init) is RandomUniform:
        return (10, float(init.minval), float(init.maxval), op_seed(init.seed))
    if type(init) is TruncatedNormal:
        return (11, float(init.mean), float(init.stddev), op_seed(init.seed))
    return None
