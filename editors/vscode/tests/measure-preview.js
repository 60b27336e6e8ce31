'use strict';
// Times "document the declaration at the cursor" with the real default model, preview on:
// seconds from the command to the preview (vscode.diff) through the extension and the stub.
// The first request starts the daemon and its llama-server; the second (another function) runs
// on the warm daemon.
//   ASSIST_BIN=/path/to/assist node tests/measure-preview.js
const { setup } = require('./helpers');

const FILE =
  'public func add(_ a: Int, _ b: Int) -> Int { a + b }\n\npublic func sub(_ a: Int, _ b: Int) -> Int { a - b }\n';

(async () => {
  const c = await setup({ real: true, config: { preview: true }, files: { 'Sources/Math.swift': FILE } });
  try {
    for (const [line, what] of [[0, 'add, fresh daemon'], [2, 'sub, warm daemon']]) {
      await c.T.openEditor(c.doc.uri.fsPath, [line, 5, line, 5]);
      const before = c.state.diffs.length;
      const t0 = Date.now();
      const result = await c.run('assist.document');
      const diff = c.state.diffs[before];
      if (!result || !diff) throw new Error(`no preview: ${c.messages().join('; ')}`);
      const model = result.declarations.map((d) => d.seconds.toFixed(2)).join(', ');
      console.log(`${what}: ${((diff.time - t0) / 1000).toFixed(2)} s from command to preview ` +
        `(model ${result.route.model}; model time per declaration ${model} s)`);
      await c.run('assist.reject');
    }
  } finally {
    await c.teardown();
  }
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
