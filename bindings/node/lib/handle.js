// SPDX-License-Identifier: Apache-2.0
// Handles as JavaScript objects: each owns one C handle and frees it with the matching
// tg_*_free, either explicitly (dispose(), or `using` where the runtime has it) or when the
// object is garbage-collected (a FinalizationRegistry). Statuses become exceptions.
'use strict';

const { c } = require('./ffi');

class TapegradError extends Error {
  // status: the tg_status number; code: its name ("TG_INVALID_ARGUMENT"); the message is
  // tg_last_error_message(), which names the function, the op and the shapes.
  constructor(status, message) {
    const code = c.tg_status_string(status);
    super(`${code}: ${message || c.tg_last_error_message()}`);
    this.name = 'TapegradError';
    this.status = status;
    this.code = code;
  }
}

function check(status) {
  if (status !== 0) throw new TapegradError(status);
}

// Calls a C function whose last parameter is an out-pointer to a handle or a string, and
// returns what it wrote.
function callOut(fn, ...args) {
  const out = [null];
  check(fn(...args, out));
  return out[0];
}

// The same for an out-pointer to a number (int*, int64_t*, size_t*, double*).
function callValue(fn, ...args) {
  const out = [0];
  check(fn(...args, out));
  return out[0];
}

// What the registry frees for objects that were never disposed. Counted, for the tests.
const finalized = { count: 0 };
const registry = new FinalizationRegistry(({ pointer, free }) => {
  finalized.count += 1;
  c[free](pointer);
});

class Handle {
  // pointer: a handle the caller owns; free: the name of the C function that frees it.
  constructor(pointer, free) {
    if (!pointer) throw new TypeError('tapegrad: a handle cannot be null');
    this._pointer = pointer;
    this._free = free;
    registry.register(this, { pointer, free }, this);
  }

  // The C handle, for calls through tg.c. Throws once the object is disposed.
  get pointer() {
    if (!this._pointer) throw new TypeError(`tapegrad: ${this.constructor.name} was disposed`);
    return this._pointer;
  }

  get disposed() { return this._pointer === null; }

  // Frees the C handle now. Calling it again does nothing.
  dispose() {
    if (!this._pointer) return;
    registry.unregister(this);
    const pointer = this._pointer;
    this._pointer = null;
    check(c[this._free](pointer));
  }

  [Symbol.dispose]() { this.dispose(); }
}

// A C handle from an object, a raw pointer, or null.
function pointerOf(value) {
  if (value === null || value === undefined) return null;
  return value instanceof Handle ? value.pointer : value;
}

module.exports = { TapegradError, check, callOut, callValue, Handle, pointerOf, finalized };
