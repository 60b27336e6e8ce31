'use strict';
// One request with the real local model (no stand-in): smollm2-135m, preview off.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('child_process');
const { setup, ASSIST_BIN } = require('./helpers');

test('real model: document with smollm2-135m, preview off, leaves a /// comment above the declaration', { timeout: 150000 }, async (t) => {
  const status = spawnSync(ASSIST_BIN, ['model', 'status'], { encoding: 'utf8' });
  const out = `${status.stdout}${status.stderr}`;
  if (/smollm2-135m: not installed|engine: not installed/.test(out)) {
    assert.fail(`the real test model is not installed: run \`${ASSIST_BIN} model install --test-model-only\` (${out.trim()})`);
  }
  const c = await setup({ real: true, config: { model: 'smollm2-135m', preview: false } });
  t.after(() => c.teardown());
  const t0 = Date.now();
  const result = await c.run('assist.document');
  const seconds = (Date.now() - t0) / 1000;
  t.diagnostic(`real model: ${seconds.toFixed(1)} s from command to edit`);
  assert.ok(result, `the request failed: ${c.messages().join('\n')}`);
  assert.equal(result.route.model, 'smollm2-135m');
  assert.equal(c.state.diffs.length, 0, 'no preview');
  const text = c.doc.getText();
  assert.match(text, /^\/\/\/ \S.*\n(\/\/\/.*\n)*public func add\(_ a: Int, _ b: Int\) -> Int \{ a \+ b \}\n$/, text);
});
