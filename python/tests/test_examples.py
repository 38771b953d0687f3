# SPDX-License-Identifier: Apache-2.0
"""The Python examples run and print what they should."""
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "examples")
FASHION = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def run(script, *args):
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES, script), *args],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_seed_notebook_replay():
    out = run("seed_notebook.py")
    assert "<tg.Tensor: shape=(), dtype=float32, numpy=6.0>" in out
    assert re.search(r"^1$", out, re.M)  # apply_gradients returns the iteration count
    assert "<tg.Variable 'my_model/dense/kernel:0' shape=(32, 32) dtype=float32" in out
    assert "'my_model/dense_1/bias:0' shape=(10,)" in out
    first, last = map(float, re.search(r"loss (\S+) at the first step, (\S+) at step 21",
                                       out).groups())
    assert 0 < first < 100 and 0 < last < 100


def c_example():
    """examples/fashion_mnist of the build whose library the tests use, or None."""
    library = os.environ.get("TAPEGRAD_LIBRARY", "")
    program = os.path.join(os.path.dirname(os.path.dirname(library)), "examples", "fashion_mnist")
    return program if library and os.access(program, os.X_OK) else None


@pytest.mark.skipif(not os.path.exists(FASHION),
                    reason="Debian package dataset-fashion-mnist is not installed")
@pytest.mark.skipif(bool(os.environ.get("TAPEGRAD_TEST_SANITIZED")),
                    reason="minutes under the sanitizers; the Release run compares the numbers")
@pytest.mark.parametrize("model, limit, min_accuracy", [
    (["--model", "mlp"], "3000", 0.7),
    # BatchNormalization's moving statistics lag after 24 steps, hence the low bar.
    (["--model", "cnn", "--batch-norm"], "1500", 0.4),
])
def test_fashion_mnist_python_fit_equals_the_c_example(tmp_path, model, limit, min_accuracy):
    """The same model, seed and data through Python's fit and through tg_model_fit from C give
    the same numbers, printed the same way."""
    checkpoint = tmp_path / "fashion.safetensors"
    args = model + ["--epochs", "2", "--limit", limit]
    out = run("fashion_mnist.py", *args, "--verbose", "2", "--checkpoint", str(checkpoint))
    result = re.search(r"test loss ([0-9.]+), test accuracy ([0-9.]+)", out)
    assert result and float(result.group(2)) > min_accuracy, out
    assert checkpoint.exists()
    epochs = re.findall(r"(loss: .*val_accuracy: [0-9.]+)", out)
    assert len(epochs) == 2, out
    program = c_example()
    if program is None:
        pytest.skip("the C example is not built next to TAPEGRAD_LIBRARY")
    c = subprocess.run([program, *args, "--save", ""], capture_output=True, text=True,
                       timeout=600)
    assert c.returncode == 0, c.stderr
    assert re.findall(r"(loss: .*val_accuracy: [0-9.]+)", c.stdout) == epochs
    assert result.group(0) in c.stdout
