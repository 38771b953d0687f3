// SPDX-License-Identifier: Apache-2.0
// Loads libtapegrad.so and declares every function of the C ABI with koffi, from lib/abi.js
// (generated from the header). `c.tg_add(a, b, out)` is the C function itself.
//
// How C types become koffi types:
//   - handles (tg_tensor*, tg_model*, …), FILE* and DLManagedTensor* are `void *`: the library
//     checks every handle's type itself and answers a wrong one with TG_INVALID_HANDLE;
//   - enums are `int`; function pointer types (tg_callback_fn, …) are koffi prototypes;
//   - a pointer the C function writes through (tg_tensor** out, int64_t* dims, double* out,
//     tg_layer_config* out) is `_Inout_`: pass a one-element array (or an array of the
//     capacity), or an object for a structure, and read the result from it afterwards;
//   - a `const` pointer is an input: pass an array (or a typed array, or an object).
'use strict';

const fs = require('fs');
const path = require('path');
const koffi = require('koffi');
const abi = require('./abi');

const SONAME = 'libtapegrad.so.' + (abi.constants.TG_VERSION_MAJOR === 0
  ? `0.${abi.constants.TG_VERSION_MINOR}` : `${abi.constants.TG_VERSION_MAJOR}`);

// $TAPEGRAD_LIBRARY, else the repository's build (when the package runs from a checkout),
// else the installed library, found by the system's loader.
function libraryPath() {
  if (process.env.TAPEGRAD_LIBRARY) return process.env.TAPEGRAD_LIBRARY;
  const built = path.join(__dirname, '..', '..', '..', 'build', 'capi', 'libtapegrad.so');
  return fs.existsSync(built) ? built : SONAME;
}

const OPAQUE = new Set([...abi.handles, 'FILE', 'DLManagedTensor', 'void']);

function parseType(text) {
  const tokens = text.replace(/\*/g, ' * ').trim().split(/\s+/);
  const lastStar = tokens.lastIndexOf('*');
  return {
    base: tokens.filter((t) => t !== '*' && t !== 'const').join(' '),
    stars: tokens.filter((t) => t === '*').length,
    constBase: tokens[0] === 'const',
    outerConst: lastStar > 0 && tokens[lastStar - 1] === 'const',
  };
}

// The koffi type of a C type; `param` adds _Inout_ to pointers the function writes through.
function koffiType(text, param = false) {
  const array = /^(.*)\[(\d+)\]$/.exec(text);  // an inline array member: `int64_t[8]`
  if (array) return koffi.array(koffiType(array[1]), Number(array[2]));
  const t = parseType(text);
  let base = t.base;
  if (OPAQUE.has(base)) base = 'void';
  else if (base in abi.enums || base === 'tg_status') base = 'int';
  else if (base in abi.callbacks) return `${base} *`;
  const type = `${t.constBase ? 'const ' : ''}${base}${t.stars ? ' ' + '*'.repeat(t.stars) : ''}`;
  const writes = t.stars >= 1 && !t.outerConst && !(t.stars === 1 && t.constBase) &&
                 !(t.stars === 1 && (base === 'void' || base === 'char'));
  return param && writes ? `_Inout_ ${type}` : type;
}

function prototype(name, fn) {
  const params = fn.params.map(([p, type]) => `${koffiType(type, true)} ${p}`);
  return `${koffiType(fn.result)} ${name}(${params.join(', ')})`;
}

// Callbacks first: a struct may hold one (tg_replica's functions); callbacks take only handles.
const callbacks = {};
for (const [name, fn] of Object.entries(abi.callbacks)) {
  callbacks[name] = koffi.proto(prototype(name, fn));
}
for (const [name, fields] of Object.entries(abi.structs)) {
  koffi.struct(name, Object.fromEntries(fields.map(([f, type]) => [f, koffiType(type)])));
}

const library = koffi.load(libraryPath());
const c = {};
for (const [name, fn] of Object.entries(abi.functions)) c[name] = library.func(prototype(name, fn));

module.exports = { c, abi, koffi, callbacks, libraryPath, koffiType, prototype, SONAME };
