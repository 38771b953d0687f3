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

// The exception a JS callback called from C threw (a custom op's forward or backward: see
// custom_op.js), and the message it gave the library, until the call that ran it fails.
let pendingCallbackError = null;

// For a JS callback that threw `error`: tells the library why, and returns the status for the
// callback to return. The library call that ran the callback then throws `error` itself, with
// the library's error (naming the op) as its `cause`.
function callbackFailed(error) {
  const text = `${error && error.name}: ${error && error.message}`;
  pendingCallbackError = { error, text };
  c.tg_set_error_message(text);
  return error instanceof TapegradError ? error.status : 1;  // TG_INVALID_ARGUMENT
}

function check(status) {
  if (status === 0) return;
  const failure = new TapegradError(status);
  const pending = pendingCallbackError;
  pendingCallbackError = null;
  if (pending && failure.message.includes(pending.text)) {
    if (pending.error instanceof Error && pending.error.cause === undefined) pending.error.cause = failure;
    throw pending.error;
  }
  throw failure;
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

module.exports = { TapegradError, check, callbackFailed, callOut, callValue, Handle, pointerOf, finalized };
