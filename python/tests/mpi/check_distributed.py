# SPDX-License-Identifier: Apache-2.0
"""tapegrad.distributed under `mpirun -np 2 /usr/bin/python3 check_distributed.py` (ctest
lang_python_mpi, tests/lang/run_python_mpi.cmake), with mpi4py's communicator: broadcast makes
the replicas identical; fit over two ranks matches one process on the global batch; an error
on one rank raises on both; allreduce_mean. Exits nonzero on the first failed check."""
import numpy as np
from mpi4py import MPI

import tapegrad as tg
from tapegrad import distributed, errors

comm = MPI.COMM_WORLD


def seed_model(seed):
    model = tg.keras.Sequential([
        tg.keras.layers.Dense(32, activation="relu", dtype="float64",
                              kernel_initializer=tg.keras.initializers.GlorotUniform(seed=seed)),
        tg.keras.layers.Dense(10, dtype="float64",
                              kernel_initializer=tg.keras.initializers.GlorotUniform(seed=seed + 1)),
    ])
    model.compile(optimizer=tg.keras.optimizers.Adam(learning_rate=0.01),
                  loss=tg.keras.losses.CategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.build((None, 32))
    return model


def same_as_rank0(model):
    mine = [np.asarray(w) for w in model.get_weights()]
    theirs = comm.bcast(mine, root=0)
    return all(np.array_equal(a, b) for a, b in zip(mine, theirs))


def main():
    d = distributed.init(comm)
    assert (d.rank, d.size) == (comm.Get_rank(), 2), d
    tg.set_num_threads(1)

    rng = np.random.default_rng(7)
    x = rng.random((64, 32))
    y = np.eye(10)[rng.integers(0, 10, 64)]

    # broadcast: models from different seeds become rank 0's
    model = seed_model(1 if d.rank == 0 else 5)
    assert same_as_rank0(model) == (d.rank == 0)
    d.broadcast(model)
    assert same_as_rank0(model)

    # fit on 2 ranks (global batch 16) against one process with batch 16: equal within
    # rounding (docs/distributed.md: the order of summation differs), the accuracy exactly
    alone = seed_model(1)
    h_alone = alone.fit(x, y, batch_size=16, epochs=2, shuffle=True, seed=3, verbose=0)
    h = model.fit(x, y, batch_size=16, epochs=2, shuffle=True, seed=3, verbose=0, distributed=d)
    for a, b in zip(model.get_weights(), alone.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(h.history["loss"], h_alone.history["loss"], rtol=1e-6)
    assert h.history["accuracy"] == h_alone.history["accuracy"], (h.history, h_alone.history)
    assert same_as_rank0(model)

    # a bad shape on rank 1: both ranks raise, rank 0 naming replica 1
    bad = x[:, :31] if d.rank == 1 else x
    try:
        model.fit(bad, y, batch_size=16, verbose=0, distributed=d)
        raise AssertionError("fit did not fail")
    except errors.InvalidArgumentError as e:
        if d.rank == 0:
            assert "replica 1 of 2 failed" in str(e), str(e)
    assert same_as_rank0(model)

    # allreduce_mean, None staying None
    mean, none = d.allreduce_mean([np.full(3, float(d.rank)), None])
    np.testing.assert_array_equal(mean.numpy(), np.full(3, 0.5))
    assert none is None

    d.close()
    distributed.finalize()  # mpi4py initialised MPI: nothing to do
    assert not MPI.Is_finalized()
    print("rank %d: distributed checks passed" % d.rank)


if __name__ == "__main__":
    main()
