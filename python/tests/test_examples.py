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


@pytest.mark.skipif(not os.path.exists(FASHION),
                    reason="Debian package dataset-fashion-mnist is not installed")
def test_fashion_mnist_smoke(tmp_path):
    checkpoint = tmp_path / "fashion.safetensors"
    out = run("fashion_mnist.py", "--epochs", "1", "--limit", "3000", "--checkpoint",
              str(checkpoint))
    accuracy = float(re.search(r"epoch 1/1 .*test accuracy ([0-9.]+)", out).group(1))
    assert accuracy > 0.6, out
    assert checkpoint.exists()
