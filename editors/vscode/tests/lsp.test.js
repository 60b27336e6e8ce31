'use strict';
// Unit tests of src/lsp.js framing and messages (no daemon).
const test = require('node:test');
const assert = require('node:assert/strict');
const { FrameReader, frame, exitText, LspClient } = require('../src/lsp');

test('frame counts UTF-8 bytes; FrameReader reads frames split anywhere, any header case', () => {
  const m = { jsonrpc: '2.0', method: 'x', params: { text: 'Ünïcode 😀' } };
  const bytes = frame(m);
  const body = Buffer.from(JSON.stringify(m));
  assert.equal(bytes.toString('latin1').split('\r\n')[0], `Content-Length: ${body.length}`);
  const seen = [];
  const errors = [];
  const r = new FrameReader((x) => seen.push(x), (e) => errors.push(e.message));
  const two = Buffer.concat([bytes, Buffer.from('content-length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}')]);
  for (let i = 0; i < two.length; i++) r.push(two.subarray(i, i + 1));
  assert.deepEqual(seen, [m, {}]);
  r.push(Buffer.from('Content-Length: 3\r\n\r\n{x}'));
  assert.equal(errors.length, 1);
  assert.match(errors[0], /not JSON/);
});

test('exitText names the code, or the signal as 128 + its number', () => {
  assert.equal(exitText(1, null), 'exit code 1');
  assert.equal(exitText(null, 'SIGKILL'), 'exit code 137, SIGKILL');
  assert.equal(exitText(null, 'SIGTERM'), 'exit code 143, SIGTERM');
});

test('dispatch: responses resolve and reject by id, $/progress goes to its token, server requests are answered', async () => {
  const written = [];
  const c = new LspClient({ onRequest: async (method) => ({ applied: method === 'workspace/applyEdit' }) });
  c.state = 'running';
  c.write = (m) => written.push(m);
  const a = c.request('a', {});
  const b = c.request('b', {});
  const values = [];
  c.onProgress('t', (v) => values.push(v));
  c.onProgress(7, (v) => values.push(['int', v]));
  c.dispatch({ jsonrpc: '2.0', method: '$/progress', params: { token: 't', value: { kind: 'begin' } } });
  c.dispatch({ jsonrpc: '2.0', method: '$/progress', params: { token: '7', value: 'string token 7 is not 7' } });
  c.dispatch({ jsonrpc: '2.0', method: '$/progress', params: { token: 7, value: 1 } });
  c.dispatch([{ jsonrpc: '2.0', id: a.id, result: 42 }, { jsonrpc: '2.0', id: b.id, error: { code: -32803, message: 'no', data: { reasons: [] } } }]);
  assert.equal(await a.promise, 42);
  await assert.rejects(b.promise, (e) => e.code === -32803 && e.message === 'no' && Array.isArray(e.data.reasons));
  assert.deepEqual(values, [{ kind: 'begin' }, ['int', 1]]);
  c.dispatch({ jsonrpc: '2.0', id: 'assist-1', method: 'workspace/applyEdit', params: {} });
  c.dispatch({ jsonrpc: '2.0', id: 'assist-2', method: 'window/workDoneProgress/create', params: { token: 'x' } });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(written.slice(-2).sort((x, y) => x.id.localeCompare(y.id)), [
    { jsonrpc: '2.0', id: 'assist-1', result: { applied: true } },
    { jsonrpc: '2.0', id: 'assist-2', result: null },
  ]);
  const pending = c.request('slow', {});
  c.cancel(pending.id);
  assert.deepEqual(written[written.length - 1], { jsonrpc: '2.0', method: '$/cancelRequest', params: { id: pending.id } });
});
