'use strict';
// Activation, the daemon's lifecycle (missing binary, crash and restart, shutdown), cancel.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');
const { setup, waitFor, alive, SOURCE, DOC_REPLY, DOC_APPLIED } = require('./helpers');

const SIX = ['assist.document', 'assist.documentFile', 'assist.refactor', 'assist.ask', 'assist.showRoute', 'assist.cancel'];
const PREVIEW = ['assist.acceptAll', 'assist.acceptHunk', 'assist.reject'];

test('activate registers the six commands, the preview commands, the status bar and the preview provider', async (t) => {
  const c = await setup({ open: null });
  t.after(() => c.teardown());
  const registered = [...c.state.commands.keys()];
  for (const name of SIX.concat(PREVIEW)) assert.ok(registered.includes(name), `${name} is registered`);
  assert.equal(registered.length, SIX.length + PREVIEW.length);
  assert.ok(c.state.providers.has('assist-preview'));
  assert.equal(c.T.statusText(), '$(check) assist: idle');
  assert.equal(c.state.statusItems[0].visible, true);
  assert.equal(c.pids().length, 0, 'no daemon before the first command');
  const pkg = require(path.join(__dirname, '..', 'package.json'));
  assert.deepEqual(pkg.contributes.commands.map((x) => x.command).sort(), SIX.concat(PREVIEW).sort());
  assert.deepEqual(pkg.activationEvents, ['onLanguage:swift']);
  assert.equal(pkg.contributes.configuration.properties['assist.path'].default, 'assist');
  assert.equal(pkg.contributes.configuration.properties['assist.preview'].default, true);
  assert.ok(pkg.contributes.configuration.properties['assist.model']);
  assert.equal(await c.run('assist.showRoute'), null);
  assert.ok(c.messages('info').includes('assist: no request yet'));
  assert.equal(await c.run('assist.cancel'), 0);
  assert.ok(c.messages('info').includes('assist: no request in flight'));
});

test('a missing binary shows an error naming assist.path', async (t) => {
  const c = await setup({ config: { path: '/nonexistent/assist' } });
  t.after(() => c.teardown());
  assert.equal(await c.run('assist.document'), null);
  assert.deepEqual(c.messages('error'), [
    "assist: cannot start '/nonexistent/assist serve': the program was not found. Set the assist.path setting to the assist executable.",
  ]);
  assert.equal(c.doc.getText(), SOURCE);
  assert.equal(c.state.diffs.length, 0);
  // A name that is not on PATH fails the same way.
  c.state.config.path = 'assist-not-on-path-anywhere';
  await c.run('assist.documentFile');
  assert.match(c.messages('error')[1], /^assist: cannot start 'assist-not-on-path-anywhere serve': the program was not found\. Set the assist\.path setting/);
});

test('a daemon that exits while starting: one readable error', async (t) => {
  const c = await setup({ config: { path: '/bin/false' } });
  t.after(() => c.teardown());
  assert.equal(await c.run('assist.document'), null);
  const errors = c.messages('error');
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.match(errors[0], /^assist: assist serve stopped \(exit code 1\) while starting/);
  assert.equal(c.doc.getText(), SOURCE);
});

test('the daemon killed: an error says so, and the next command restarts it', async (t) => {
  const c = await setup({ rules: [{ reply: DOC_REPLY }] });
  t.after(() => c.teardown());
  await c.run('assist.document');
  await c.run('assist.reject');
  const [pid] = c.pids();
  assert.ok(pid && alive(pid));
  process.kill(pid, 'SIGKILL');
  const m = await c.T.waitForMessage((x) => x.level === 'error', 10000);
  assert.equal(m.text, 'assist serve stopped (exit code 137, SIGKILL); it restarts on the next command');
  assert.match(c.T.statusText(), /^\$\(error\) assist: error/);
  assert.equal(c.pids().length, 0);

  await c.T.openEditor(c.doc.uri.fsPath);
  await c.run('assist.document');
  const [pid2] = c.pids();
  assert.ok(pid2 && pid2 !== pid && alive(pid2), 'a new daemon runs');
  assert.equal(c.state.diffs.length, 2, c.messages().join('\n'));
  assert.equal(c.state.diffs[1].rightText, DOC_APPLIED + SOURCE);
  assert.match(c.T.statusText(), /^\$\(check\) assist: idle/);
  assert.equal(c.messages('error').length, 1, 'no other error');
});

test('the daemon killed while a request runs: one error, nothing changes', async (t) => {
  const c = await setup({ rules: [{ reply: DOC_REPLY, delay: 30 }] });
  t.after(() => c.teardown());
  const running = c.run('assist.document');
  await waitFor(() => c.standInLog().length > 0, 20000, 'the model call');
  const [pid] = c.pids();
  process.kill(pid, 'SIGKILL');
  assert.equal(await running, null);
  assert.deepEqual(c.messages('error'), ['assist serve stopped (exit code 137, SIGKILL); it restarts on the next command']);
  assert.equal(c.doc.getText(), SOURCE);
  assert.equal(c.ext.inflight.size, 0);
});

test('cancel is honoured: the request ends at once, nothing changes, state back to idle', async (t) => {
  const c = await setup({ rules: [{ reply: DOC_REPLY, delay: 30 }] });
  t.after(() => c.teardown());
  const running = c.run('assist.document');
  await waitFor(() => c.standInLog().length > 0, 20000, 'the model call');
  await waitFor(() => c.state.progress[0] && c.state.progress[0].reports.length > 0, 5000, 'progress');
  assert.match(c.T.statusText(), /^\$\(sync~spin\) assist: /);
  const t0 = Date.now();
  assert.equal(await c.run('assist.cancel'), 1);
  assert.ok(c.messages('info').includes('assist: cancelling assist/docstring'));
  assert.equal(await running, null);
  const seconds = (Date.now() - t0) / 1000;
  assert.ok(seconds < 5, `cancelled within ${seconds} s`);
  assert.ok(c.messages('info').includes('assist: request cancelled'));
  assert.equal(c.messages('error').length, 0);
  assert.equal(c.doc.getText(), SOURCE);
  assert.equal(c.state.diffs.length, 0);
  assert.equal(c.T.statusText(), '$(check) assist: idle');
  await waitFor(() => c.state.progress[0].finished, 2000, 'the progress notification to close');
  assert.equal(c.ext.inflight.size, 0);
});

test('cancel from the progress notification', async (t) => {
  const c = await setup({ rules: [{ reply: DOC_REPLY, delay: 30 }] });
  t.after(() => c.teardown());
  const running = c.run('assist.document');
  await waitFor(() => c.standInLog().length > 0, 20000, 'the model call');
  const t0 = Date.now();
  c.state.progress[0].cancel();
  assert.equal(await running, null);
  assert.ok(Date.now() - t0 < 5000);
  assert.ok(c.messages('info').includes('assist: request cancelled'));
  assert.equal(c.doc.getText(), SOURCE);
  assert.equal(c.T.statusText(), '$(check) assist: idle');
});

test('deactivate sends shutdown and exit: the daemon ends with code 0', async (t) => {
  const c = await setup();
  t.after(() => c.teardown());
  await c.run('assist.document');
  const client = [...c.ext.clients.values()][0];
  const pid = client.pid;
  await c.extension.deactivate();
  assert.deepEqual(client.exitInfo, { code: 0, signal: null, expected: true });
  assert.equal(alive(pid), false);
  assert.equal(c.messages('error').length, 0, 'a requested stop shows no error');
});
