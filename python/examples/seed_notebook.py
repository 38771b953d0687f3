# SPDX-License-Identifier: Apache-2.0
"""The seed notebook (a TensorFlow 2.0 GradientTape tutorial), replayed line for line with
tapegrad: `import tensorflow as tf` becomes `import tapegrad as tf`, nothing else changes.

Run: /usr/bin/python3 python/examples/seed_notebook.py   (after building libtapegrad.so)
"""
import os
import sys

try:  # the installed package, else the one in this repository
    import tapegrad  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

# In [2]:
import tapegrad as tf
print(tf.__version__)

# In [2]:
x = tf.constant(3.0)

with tf.GradientTape() as g:
    g.watch(x)
    y = x * x
    dy_dx = g.gradient(y, x)  # y` = 2*x = 2*3 =6

# In [3]:
print(repr(dy_dx))


# In [3]:
class MyModel(tf.keras.Model):

    def __init__(self, num_classes=10):
        super(MyModel, self).__init__(name='my_model')
        self.num_classes = num_classes
        # 定义自己需要的层
        self.dense_1 = tf.keras.layers.Dense(32, activation='relu')  # 隐藏层
        self.dense_2 = tf.keras.layers.Dense(num_classes)  # 输出层

    def call(self, inputs):
        # 定义前向传播
        # 使用在__init__定义的层
        x = self.dense_1(inputs)
        return self.dense_2(x)


# In [7]:
import numpy as np
# 10 分类问题
data = np.random.random((1000, 32))
labels = np.random.random((1000, 10))

# In [9]:
model = MyModel(num_classes=10)

loss_object = tf.keras.losses.CategoricalCrossentropy(from_logits=True)
optimizer = tf.keras.optimizers.Adam()

with tf.GradientTape() as tape:
    predictions = model(data)
    loss = loss_object(labels, predictions)

gradients = tape.gradient(loss, model.trainable_variables)  # 求梯度

print(optimizer.apply_gradients(zip(gradients, model.trainable_variables)))

# In [10]:
print(model.trainable_variables)

# Not in the notebook: 20 more steps. The random labels do not sum to 1 per row, so the
# gradient TensorFlow (and tapegrad) gives the logits, softmax − labels, is not the exact
# derivative of this loss, and the loss need not fall; with one-hot labels it does.
first = float(loss)
for step in range(20):
    with tf.GradientTape() as tape:
        loss = loss_object(labels, model(data))
    gradients = tape.gradient(loss, model.trainable_variables)
    iterations = optimizer.apply_gradients(zip(gradients, model.trainable_variables))
print("loss %.6f at the first step, %.6f at step %d" % (first, float(loss), iterations))
