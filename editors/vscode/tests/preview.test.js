'use strict';
// document / document file / refactor through the extension, against the real daemon and the
// stand-in model: the preview (vscode.diff), accept all, accept one hunk, reject, preview off.
const test = require('node:test');
const assert = require('node:assert/strict');
const { setup, SOURCE, DOC_APPLIED } = require('./helpers');

const TWO =
  'public func reset() {\n}\n\n// one\n// two\n// three\n// four\n// five\n// six\n// seven\n// eight\n\npublic func start() {\n}\n';
const TWO_DOC = '/// Does the work.\n';
const twoWith = (first, second) =>
  (first ? TWO_DOC : '') + TWO.split('public func start')[0] + (second ? TWO_DOC : '') + 'public func start() {\n}\n';

test('document: preview with the proposed text, then accept all', async (t) => {
  const c = await setup();
  t.after(() => c.teardown());
  const result = await c.run('assist.document');
  assert.ok(result, `the request failed: ${c.messages()}`);
  assert.equal(c.state.diffs.length, 1, 'vscode.diff was called once');
  const diff = c.state.diffs[0];
  assert.equal(diff.left.toString(), c.doc.uri.toString());
  assert.equal(diff.right.scheme, 'assist-preview');
  assert.equal(diff.rightText, DOC_APPLIED + SOURCE);
  assert.match(diff.title, /Math\.swift/);
  assert.equal(c.doc.getText(), SOURCE, 'the document is untouched until accepted');
  assert.equal(c.state.contexts['assist.previewOpen'], true);
  assert.ok(c.messages('info').some((m) => /preview of doc comment: 1 hunk/.test(m)));
  // progress: a withProgress notification fed by $/progress, and the status bar while busy
  const p = c.state.progress[0];
  assert.equal(p.options.title, 'assist: Writing doc comments');
  assert.equal(p.options.cancellable, true);
  assert.ok(p.reports.some((r) => /^Writing doc comments/.test(r.message)), JSON.stringify(p.reports));
  assert.ok(p.reports.some((r) => /1\/1 declarations/.test(r.message)), JSON.stringify(p.reports));
  assert.ok(c.state.statusItems[0].history.some((s) => /^\$\(sync~spin\) assist: Writing doc comments/.test(s)));
  assert.equal(c.T.statusText(), '$(check) assist: idle · docstring local stand-in · $0.0000');

  await c.run('assist.acceptAll');
  assert.equal(c.doc.getText(), DOC_APPLIED + SOURCE);
  assert.equal(c.state.contexts['assist.previewOpen'], false);
  assert.equal(c.state.tabs.length, 0, 'the diff editor is closed');
  assert.ok(c.messages('info').includes('assist: applied 1 hunk'));
});

test('accept one hunk of two (cursor in the preview), then the last one', async (t) => {
  const c = await setup({
    files: { 'Sources/Two.swift': TWO },
    open: 'Sources/Two.swift',
    rules: [{ reply: TWO_DOC }],
  });
  t.after(() => c.teardown());
  await c.run('assist.documentFile');
  assert.equal(c.state.diffs.length, 1, c.messages().join('\n'));
  assert.equal(c.state.diffs[0].rightText, twoWith(true, true));
  assert.ok(c.messages('info').some((m) => /2 hunks/.test(m)));
  // The preview is the active editor; put the cursor on the second hunk (line 13 of the proposal).
  const editor = c.vscode.window.activeTextEditor;
  assert.equal(editor.document.uri.scheme, 'assist-preview');
  editor.selection = new c.vscode.Selection(13, 0, 13, 0);
  await c.run('assist.acceptHunk');
  assert.equal(c.doc.getText(), twoWith(false, true), 'only the second comment is applied');
  assert.ok(c.messages('info').includes('assist: applied hunk 2; 1 left'));
  assert.equal(c.state.contexts['assist.previewOpen'], true, 'the preview stays for the other hunk');

  // One hunk left: accepting with no editor of the preview active takes it.
  c.vscode.window.activeTextEditor = undefined;
  await c.run('assist.acceptHunk');
  assert.equal(c.doc.getText(), twoWith(true, true));
  assert.equal(c.state.contexts['assist.previewOpen'], false);
  assert.ok(c.messages('info').includes('assist: applied the last hunk'));
});

test('accept a hunk from a QuickPick, then by its index; reject keeps what was accepted', async (t) => {
  const c = await setup({
    files: { 'Sources/Two.swift': TWO },
    open: 'Sources/Two.swift',
    rules: [{ reply: TWO_DOC }],
    quickPickAnswers: [(items) => items[0]],
  });
  t.after(() => c.teardown());
  await c.run('assist.documentFile');
  c.vscode.window.activeTextEditor = undefined;
  await c.run('assist.acceptHunk');
  assert.equal(c.state.quickPicks.length, 1);
  assert.deepEqual(
    c.state.quickPicks[0].items.map((i) => i.label),
    ['1: @@ -1,3 +1,4 @@ +/// Does the work.', '2: @@ -10,5 +11,6 @@ +/// Does the work.'],
  );
  assert.equal(c.doc.getText(), twoWith(true, false));
  await c.run('assist.reject');
  assert.equal(c.doc.getText(), twoWith(true, false), 'reject keeps what was accepted and adds nothing');

  await c.T.openEditor(c.doc.uri.fsPath);
  await c.run('assist.documentFile');
  assert.equal(c.state.diffs.length, 2, c.messages().join('\n'));
  assert.equal(c.state.diffs[1].rightText, twoWith(true, true));
  await c.run('assist.acceptHunk', 0);
  assert.equal(c.doc.getText(), twoWith(true, true));
});

test('reject leaves the document untouched', async (t) => {
  const c = await setup();
  t.after(() => c.teardown());
  await c.run('assist.document');
  assert.equal(c.state.diffs.length, 1, c.messages().join('\n'));
  await c.run('assist.reject');
  assert.equal(c.doc.getText(), SOURCE);
  assert.equal(c.state.appliedEdits.length, 0);
  assert.equal(c.state.tabs.length, 0);
  assert.ok(c.messages('info').includes('assist: rejected doc comment; nothing changed'));
  await c.run('assist.acceptAll');
  assert.ok(c.messages('error').includes('assist: no preview is open'));
  assert.equal(c.doc.getText(), SOURCE);
});

test('document file with assist.preview off applies at once', async (t) => {
  const c = await setup({
    files: { 'Sources/Two.swift': TWO },
    open: 'Sources/Two.swift',
    rules: [{ reply: TWO_DOC }],
    config: { preview: false },
  });
  t.after(() => c.teardown());
  await c.run('assist.documentFile');
  assert.equal(c.state.diffs.length, 0, 'no preview');
  assert.equal(c.doc.getText(), twoWith(true, true));
  assert.ok(c.messages('info').includes('assist: applied doc comments of the file'));
});

test('refactor the selection: the instruction from the input box, preview, accept all', async (t) => {
  const code = '```swift\npublic func add(_ x: Int, _ y: Int) -> Int { x + y }\n```\n';
  const c = await setup({
    rules: [{ reply: code }],
    selection: [0, 0, 1, 0],
    inputBoxAnswers: ['rename a to x and b to y'],
  });
  t.after(() => c.teardown());
  await c.run('assist.refactor');
  assert.match(c.state.inputBoxPrompts[0].prompt, /refactor the selection/);
  assert.equal(c.state.diffs.length, 1, c.messages().join('\n'));
  assert.equal(c.state.diffs[0].rightText, 'public func add(_ x: Int, _ y: Int) -> Int { x + y }\n');
  assert.ok(c.standInLog().some((r) => r.prompt.includes('rename a to x and b to y')), 'the instruction reached the model');
  await c.run('assist.acceptAll');
  assert.equal(c.doc.getText(), 'public func add(_ x: Int, _ y: Int) -> Int { x + y }\n');
  assert.match(await c.run('assist.showRoute'), /^assist: refactor via local stand-in, tokens \d+ in \+ \d+ out, cost \$0\.0000$/);
});

test('refactor: an empty instruction is refused, Escape does nothing', async (t) => {
  const c = await setup({ selection: [0, 0, 1, 0], inputBoxAnswers: ['  ', undefined] });
  t.after(() => c.teardown());
  await c.run('assist.refactor');
  assert.ok(c.messages('error').includes('assist: the instruction is empty'));
  assert.equal(await c.run('assist.refactor'), null);
  assert.equal(c.standInLog().length, 0);
});

test('the daemon sees the unsaved buffer (didOpen / didChange)', async (t) => {
  const c = await setup();
  t.after(() => c.teardown());
  const edit = new c.vscode.WorkspaceEdit();
  edit.replace(c.doc.uri, new c.vscode.Range(0, 12, 0, 15), 'sum');
  await c.vscode.workspace.applyEdit(edit);
  assert.equal(c.doc.getText(), SOURCE.replace('add', 'sum'));
  await c.run('assist.document');
  assert.equal(c.state.diffs.length, 1, c.messages().join('\n'));
  assert.equal(c.state.diffs[0].rightText, DOC_APPLIED + SOURCE.replace('add', 'sum'));
  assert.ok(c.standInLog().some((r) => r.prompt.includes('func sum')), 'the prompt holds the unsaved text');
});
