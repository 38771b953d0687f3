// SPDX-License-Identifier: Apache-2.0
// Tensors, and every op of the C ABI as a function that takes and returns Tensors.
'use strict';

const { c, abi } = require('./ffi');
const { check, callOut, callValue, Handle, pointerOf } = require('./handle');

// dtype name -> [tg_dtype value, typed array of its elements]
const DTYPES = {
  float32: [abi.enums.tg_dtype.TG_FLOAT32, Float32Array],
  float64: [abi.enums.tg_dtype.TG_FLOAT64, Float64Array],
  int32: [abi.enums.tg_dtype.TG_INT32, Int32Array],
  int64: [abi.enums.tg_dtype.TG_INT64, BigInt64Array],
  bool: [abi.enums.tg_dtype.TG_BOOL, Uint8Array],
};
const DTYPE_NAMES = Object.fromEntries(Object.entries(DTYPES).map(([name, [v]]) => [v, name]));

function dtypeValue(dtype) {
  if (typeof dtype === 'number') return dtype;
  if (!(dtype in DTYPES)) throw new TypeError(`tapegrad: unknown dtype '${dtype}'`);
  return DTYPES[dtype][0];
}

class Tensor extends Handle {
  constructor(pointer) { super(pointer, 'tg_tensor_free'); }

  get dtype() { return DTYPE_NAMES[callValue(c.tg_tensor_dtype, this.pointer)]; }
  get rank() { return callValue(c.tg_tensor_rank, this.pointer); }
  get shape() {
    const dims = new Array(this.rank).fill(0);
    check(c.tg_tensor_shape(this.pointer, dims, dims.length));
    return dims.map(Number);
  }
  get size() { return Number(callValue(c.tg_tensor_size, this.pointer)); }

  // The elements, row-major, as a new typed array of the dtype (BigInt64Array for int64).
  toArray() {
    const data = new DTYPES[this.dtype][1](this.size);
    check(c.tg_tensor_copy_data(this.pointer, data, data.byteLength));
    return data;
  }

  // The value of a one-element tensor, as a number.
  item() { return callValue(c.tg_tensor_item, this.pointer); }

  toString() {
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, ` +
           `[${Array.from(this.toArray().slice(0, 8)).join(', ')}${this.size > 8 ? ', …' : ''}])`;
  }
}

function flatten(values, shape, depth = 0) {
  if (!Array.isArray(values)) return [values];
  if (shape.length === depth) shape.push(values.length);
  else if (shape[depth] !== values.length) throw new TypeError('tapegrad: ragged nested array');
  return values.flatMap((v) => flatten(v, shape, depth + 1));
}

// A tensor from a number, nested arrays or a typed array (then `shape` is required unless it
// is one-dimensional). dtype: 'float32' (default), 'float64', 'int32', 'int64', 'bool'.
function tensor(values, { dtype = 'float32', shape } = {}) {
  const [code, ArrayType] = DTYPES[dtype] ? DTYPES[dtype] : [dtypeValue(dtype), null];
  let flat;
  let dims = shape;
  if (ArrayBuffer.isView(values)) {
    flat = values instanceof ArrayType ? values : ArrayType.from(values, convert(dtype));
    dims = dims || [flat.length];
  } else {
    const inferred = [];
    const list = flatten(values, inferred);
    dims = dims || inferred;
    flat = ArrayType.from(list, convert(dtype));
  }
  return new Tensor(callOut(c.tg_tensor_create, code, dims, dims.length, flat));
}

function convert(dtype) {
  if (dtype === 'int64') return (v) => BigInt(v);
  if (dtype === 'bool') return (v) => (v ? 1 : 0);
  return (v) => Number(v);
}

function scalar(value, dtype = 'float32') {
  return new Tensor(callOut(c.tg_tensor_scalar, dtypeValue(dtype), value));
}

// ---- ops ------------------------------------------------------------------------------------

const SCALARS = new Set(['int', 'int32_t', 'uint32_t', 'int64_t', 'uint64_t', 'size_t', 'double']);
const ARRAYS = new Set(['const int64_t*', 'tg_tensor* const*', 'const double*']);

function camelCase(name) {
  return name.replace(/^tg_/, '').replace(/_([a-z0-9])/g, (_, ch) => ch.toUpperCase());
}

// How to call `fn` from JS, or null if it is not an op (tensors and plain values in, tensors
// out). Each JS argument is a tensor, a number (or a dtype name for a tg_dtype), or an array;
// the count after a run of arrays is filled in from the first array's length (an array of
// pairs, as tg_pad's paddings, counts its pairs). The out-pointers are the results.
function opSignature(fn) {
  const params = fn.params;
  let outs = 0;
  while (outs < params.length && params[params.length - 1 - outs][1] === 'tg_tensor**' &&
         /^out(_|$)/.test(params[params.length - 1 - outs][0])) outs += 1;
  if (outs === 0 || fn.result !== 'tg_status') return null;
  const args = [];
  let pendingArrays = [];
  for (const [name, type] of params.slice(0, params.length - outs)) {
    if (type === 'const tg_tensor*') {
      args.push({ kind: 'tensor', name });
    } else if (ARRAYS.has(type)) {
      const arg = { kind: type === 'tg_tensor* const*' ? 'tensors' : 'array', name };
      args.push(arg);
      pendingArrays.push(arg);
    } else if ((type === 'int' || type === 'size_t') && pendingArrays.length) {
      args.push({ kind: 'count', of: pendingArrays[0], name });
      pendingArrays = [];
    } else if (type === 'tg_dtype') {
      args.push({ kind: 'dtype', name });
    } else if (SCALARS.has(type) || type in abi.enums) {
      args.push({ kind: 'value', name });
    } else {
      return null;
    }
  }
  return { args, outs };
}

function makeOp(name, signature) {
  const cfn = c[name];
  const inputs = signature.args.filter((a) => a.kind !== 'count');
  const op = function (...values) {
    if (values.length !== inputs.length) {
      throw new TypeError(`tapegrad.${camelCase(name)}(${inputs.map((a) => a.name).join(', ')}): ` +
                          `${values.length} arguments given`);
    }
    const given = new Map(inputs.map((a, i) => [a, values[i]]));
    const like = inputs.map((a) => given.get(a)).find((v) => v instanceof Tensor);
    const temporaries = [];
    const cArgs = signature.args.map((a) => {
      const v = given.get(a);
      switch (a.kind) {
        case 'tensor':
          if (typeof v === 'number') {  // a number operand takes the tensor operands' dtype
            const t = scalar(v, like ? like.dtype : 'float32');
            temporaries.push(t);
            return t.pointer;
          }
          return pointerOf(v);
        case 'tensors': return v.map(pointerOf);
        case 'array': return v.flat();
        case 'count': return given.get(a.of).length;
        case 'dtype': return dtypeValue(v);
        default: return typeof v === 'boolean' ? Number(v) : v;
      }
    });
    const outs = Array.from({ length: signature.outs }, () => [null]);
    try {
      check(cfn(...cArgs, ...outs));
    } finally {
      for (const t of temporaries) t.dispose();
    }
    const results = outs.map(([p]) => (p ? new Tensor(p) : null));
    return results.length === 1 ? results[0] : results;
  };
  Object.defineProperty(op, 'name', { value: camelCase(name) });
  return op;
}

const ops = {};
for (const [name, fn] of Object.entries(abi.functions)) {
  const signature = opSignature(fn);
  if (signature) ops[camelCase(name)] = makeOp(name, signature);
}

module.exports = { Tensor, tensor, scalar, ops, DTYPES, dtypeValue, camelCase, opSignature };
