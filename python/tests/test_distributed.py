# SPDX-License-Identifier: Apache-2.0
"""tapegrad.distributed in one process (MPI initialised by tapegrad itself, a world of one
rank): fit with distributed= gives the same weights as without, bit for bit. Two ranks under
mpirun: python/tests/mpi/check_distributed.py. Skipped when libtapegrad_mpi.so was not built
(no MPI), unless TAPEGRAD_REQUIRE_ALL_TESTS is set."""
import os

import numpy as np
import pytest

import tapegrad as tg


def _distributed():
    from tapegrad import distributed
    try:
        distributed._library()
    except ImportError as e:
        if os.environ.get("TAPEGRAD_REQUIRE_ALL_TESTS") or os.environ.get("CI"):
            raise
        pytest.skip(str(e).splitlines()[0])
    return distributed


def _model():
    model = tg.keras.Sequential([tg.keras.layers.Dense(8, activation="relu"),
                                 tg.keras.layers.Dense(3)])
    model.compile(optimizer="adam",
                  loss=tg.keras.losses.CategoricalCrossentropy(from_logits=True))
    model.build((None, 4))
    return model


def test_one_rank_trains_as_one_process():
    distributed = _distributed()
    rng = np.random.default_rng(0)
    x = rng.random((20, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 20)]
    d = distributed.init(timeout=60)
    try:
        assert (d.rank, d.size) == (0, 1)
        tg.random.set_seed(5)
        alone = _model()
        tg.random.set_seed(5)
        together = _model()
        d.broadcast(together)
        h1 = alone.fit(x, y, batch_size=8, epochs=2, seed=4, verbose=0)
        h2 = together.fit(x, y, batch_size=8, epochs=2, seed=4, verbose=0, distributed=d)
        for a, b in zip(alone.get_weights(), together.get_weights()):
            assert np.array_equal(a, b)
        assert h1.history["loss"] == h2.history["loss"]
        mean, = d.allreduce_mean([np.arange(3.0)])
        np.testing.assert_array_equal(mean.numpy(), np.arange(3.0))
        with pytest.raises(NotImplementedError, match="library's own layers"):
            d.broadcast(tg.keras.Model())
    finally:
        d.close()
        d.close()  # idempotent
        distributed.finalize()
    with pytest.raises(tg.errors.InvalidStateError, match="closed"):
        d.barrier()
