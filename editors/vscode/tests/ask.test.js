'use strict';
// assist.ask (streamed answer, a proposed change as a preview) and assist.showRoute.
const test = require('node:test');
const assert = require('node:assert/strict');
const { setup, SOURCE } = require('./helpers');

test('ask streams the answer into the output channel; showRoute shows route, tokens and cost', async (t) => {
  const answer = 'It adds two integers and returns their sum.';
  const c = await setup({ rules: [{ reply: answer, gap: 0.05 }], inputBoxAnswers: ['What does add do?'] });
  t.after(() => c.teardown());
  const channel = c.state.outputChannels.get('assist: answer');
  let seenWhileRunning = '';
  const running = c.run('assist.ask');
  let done = false;
  running.then(() => (done = true));
  while (!done) {
    if (!done && channel.appends.length) seenWhileRunning = channel.text;
    await new Promise((r) => setTimeout(r, 10));
  }
  const result = await running;
  assert.ok(result, c.messages().join('\n'));
  assert.ok(channel.appends.length > 1, `streamed in ${channel.appends.length} pieces`);
  assert.equal(channel.appends.map((a) => a.text).join(''), answer);
  assert.ok(seenWhileRunning.startsWith('> What does add do?\n\nIt adds') && seenWhileRunning.length < `> What does add do?\n\n${answer}`.length + 1,
    `partial text seen before the reply: ${JSON.stringify(seenWhileRunning)}`);
  assert.equal(channel.text, `> What does add do?\n\n${answer}\n`);
  assert.ok(channel.shown > 0, 'the channel is shown');
  assert.equal(c.state.diffs.length, 0, 'no change proposed, no preview');
  assert.equal(c.doc.getText(), SOURCE);
  const p = c.state.progress[0];
  assert.equal(p.options.title, 'assist: Answering');
  assert.ok(p.reports.some((r) => /asking local stand-in \(call 1\)/.test(r.message)), JSON.stringify(p.reports));

  const text = await c.run('assist.showRoute');
  assert.match(text, /^assist: explain via local stand-in, tokens \d+ in \+ \d+ out, cost \$0\.0000$/);
  assert.ok(c.messages('info').includes(text));
  const route = c.state.outputChannels.get('assist: route').text;
  assert.ok(route.startsWith(text + '\n\n'));
  assert.match(route, /^offline +local-only +No cloud backend is configured/m);
  assert.match(route, /^availability +available /m);
  assert.match(c.T.statusText(), /^\$\(check\) assist: idle · explain local stand-in · \$0\.0000$/);
});

test('ask: a change it proposes comes as a preview', async (t) => {
  const reply =
    'Sources/Math.swift\n<<<<<<< SEARCH\npublic func add(_ a: Int, _ b: Int) -> Int { a + b }\n=======\n' +
    'public func sum(_ a: Int, _ b: Int) -> Int { a + b }\n>>>>>>> REPLACE\n';
  const c = await setup({ rules: [{ reply }], inputBoxAnswers: ['Rename add to sum'] });
  t.after(() => c.teardown());
  const result = await c.run('assist.ask');
  assert.ok(result, c.messages().join('\n'));
  assert.equal(result.route.kind, 'refactor');
  assert.equal(c.state.diffs.length, 1);
  assert.equal(c.state.diffs[0].rightText, 'public func sum(_ a: Int, _ b: Int) -> Int { a + b }\n');
  assert.equal(c.doc.getText(), SOURCE);
  await c.run('assist.acceptAll');
  assert.equal(c.doc.getText(), 'public func sum(_ a: Int, _ b: Int) -> Int { a + b }\n');
});

test('ask: an error of the daemon is shown as a readable message', async (t) => {
  const c = await setup({ rules: [{ reply: 'the stand-in is down', status: 500 }], inputBoxAnswers: ['What does add do?'] });
  t.after(() => c.teardown());
  assert.equal(await c.run('assist.ask'), null);
  const errors = c.messages('error');
  assert.equal(errors.length, 1, JSON.stringify(c.messages()));
  assert.equal(errors[0], 'assist: local failed: local: HTTP 500: the server failed: the stand-in is down');
  assert.match(c.T.statusText(), /^\$\(error\) assist: error/);
});
