// SPDX-License-Identifier: Apache-2.0
// The package declares the C ABI exactly as the header has it.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const { generate, DEFAULT_HEADER, OUTPUT } = require('../tools/generate-abi');
const tg = require('..');

test('lib/abi.js is what the header generates (run `npm run generate` after a header change)',
     { skip: !fs.existsSync(DEFAULT_HEADER) && 'the header is not beside the package' }, () => {
  assert.strictEqual(fs.readFileSync(OUTPUT, 'utf8'), generate(fs.readFileSync(DEFAULT_HEADER, 'utf8')));
});

test('every function of the header is declared, and the library has it', () => {
  const names = Object.keys(tg.abi.functions);
  assert.ok(names.length > 200);
  for (const name of names) assert.strictEqual(typeof tg.c[name], 'function', name);
});

test('the package, the header and the loaded library have one version', () => {
  const pkg = require('../package.json');
  assert.strictEqual(pkg.version, tg.abi.version);
  assert.strictEqual(tg.version, tg.abi.version);
  const { TG_VERSION_MAJOR: major, TG_VERSION_MINOR: minor, TG_VERSION_PATCH: patch } = tg.abi.constants;
  assert.strictEqual(tg.versionNumber, major * 1000000 + minor * 1000 + patch);
});
