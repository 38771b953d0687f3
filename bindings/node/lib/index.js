// SPDX-License-Identifier: Apache-2.0
// tapegrad for Node.js: the C library through koffi (no compiled addon).
//
//   const tg = require('tapegrad');
//   const x = tg.scalar(3);
//   const tape = tg.GradientTape.record((t) => { t.watch(x); y = tg.mul(x, x); });
//   tape.gradient(y, x).item();   // 6
//
// Objects own their C handles: dispose() frees one now; otherwise it is freed when the object
// is garbage-collected. Errors are TapegradError exceptions carrying the library's message.
// Every C function is also there as declared in the header, in tg.c (raw handles, statuses).
'use strict';

const { c, abi, libraryPath } = require('./ffi');
const handle = require('./handle');
const tensor = require('./tensor');
const tape = require('./tape');
const model = require('./model');
const customOp = require('./custom_op');

module.exports = {
  version: c.tg_version(),
  versionNumber: c.tg_version_number(),
  libraryPath: libraryPath(),
  setNumThreads: (n) => handle.check(c.tg_set_num_threads(n)),
  TapegradError: handle.TapegradError,
  Tensor: tensor.Tensor,
  tensor: tensor.tensor,
  scalar: tensor.scalar,
  ...tensor.ops,
  ops: tensor.ops,
  Variable: tape.Variable,
  GradientTape: tape.GradientTape,
  Sequential: model.Sequential,
  Layer: model.Layer,
  layers: model.layers,
  losses: model.losses,
  metrics: model.metrics,
  Optimizer: model.Optimizer,
  CustomOp: customOp.CustomOp,
  c,
  abi,
  _finalized: handle.finalized,  // for the tests: how many objects the GC has freed
};
