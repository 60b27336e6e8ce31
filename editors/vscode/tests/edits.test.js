'use strict';
// Unit tests of src/edits.js: URIs, positions, applying edits, diffs and hunks.
const test = require('node:test');
const assert = require('node:assert/strict');
const E = require('../src/edits');

const at = (l1, c1, l2 = l1, c2 = c1) => ({ start: { line: l1, character: c1 }, end: { line: l2, character: c2 } });

test('URI <-> path round trip with spaces and non-ASCII', () => {
  const p = '/tmp/a dir/Ünï#c?de/Math.swift';
  const uri = E.pathToUri(p);
  assert.equal(uri, 'file:///tmp/a%20dir/%C3%9Cn%C3%AF%23c%3Fde/Math.swift');
  assert.equal(E.uriToPath(uri), p);
  assert.equal(E.uriToPath('file:///tmp/x.swift'), '/tmp/x.swift');
  assert.ok(E.sameFile('file:///tmp/a%20b', 'file:///tmp/a b'));
  assert.throws(() => E.uriToPath('untitled:1'), /not a file URI/);
});

test('positions count UTF-16 units and every line break kind', () => {
  const text = 'a😀b\r\nc\rd\ne';
  assert.equal(E.offsetAt(text, { line: 0, character: 3 }), 3);
  assert.equal(E.offsetAt(text, { line: 1, character: 0 }), 6);
  assert.equal(E.offsetAt(text, { line: 2, character: 0 }), 8);
  assert.equal(E.offsetAt(text, { line: 0, character: 99 }), 4, 'clamped before the line break');
  assert.equal(E.offsetAt(text, { line: 9, character: 0 }), text.length);
  assert.deepEqual(E.positionAt(text, 8), { line: 2, character: 0 });
});

test('applyEdits applies edits against the original text, in array order at one position', () => {
  const text = 'one\ntwo\nthree\n';
  const out = E.applyEdits(text, [
    { range: at(2, 0, 2, 5), newText: 'THREE' },
    { range: at(0, 0), newText: 'A\n' },
    { range: at(0, 0), newText: 'B\n' },
  ]);
  assert.equal(out, 'A\nB\none\ntwo\nTHREE\n');
  assert.throws(() => E.applyEdits(text, [{ range: at(0, 0, 1, 0), newText: '' }, { range: at(0, 1, 0, 2), newText: '' }]), /overlap/);
});

test('rebaseEdits moves edits past the ones already applied', () => {
  const base = 'a\nb\nc\n';
  const first = [{ range: at(0, 0), newText: '/// A\n/// A2\n' }];
  const second = [{ range: at(2, 0, 2, 1), newText: 'C' }];
  const moved = E.rebaseEdits(base, first, second);
  assert.deepEqual(moved[0].range, at(4, 0, 4, 1));
  assert.equal(E.applyEdits(E.applyEdits(base, first), moved), '/// A\n/// A2\na\nb\nC\n');
});

const DIFF = [
  'diff --git a/Sources/Two.swift b/Sources/Two.swift',
  '--- a/Sources/Two.swift',
  '+++ b/Sources/Two.swift',
  '@@ -1,3 +1,4 @@',
  '+/// Does the work.',
  ' public func reset() {',
  ' }',
  ' ',
  '@@ -10,5 +11,6 @@',
  ' // seven',
  ' // eight',
  ' ',
  '+/// Does the work.',
  ' public func start() {',
  ' }',
  '',
].join('\n');

test('parseDiff reads files and hunks', () => {
  const files = E.parseDiff(DIFF);
  assert.equal(files.length, 1);
  assert.equal(files[0].newPath, 'Sources/Two.swift');
  assert.deepEqual(files[0].hunks.map((h) => [h.oldStart, h.oldCount, h.newStart, h.newCount]), [[1, 3, 1, 4], [10, 5, 11, 6]]);
  assert.equal(files[0].hunks[1].lines[3], '+/// Does the work.');
  const uri = E.pathToUri('/repo/Sources/Two.swift');
  assert.equal(E.diffFileFor(files, uri, '/repo'), files[0]);
  assert.equal(E.diffFileFor(files, E.pathToUri('/repo/Other.swift'), '/repo'), null);
});

test('splitHunks groups edits as the diff shows them, and without a diff by distance', () => {
  const edits = [
    { range: at(0, 0), newText: '/// Does the work.\n' },
    { range: at(12, 0), newText: '/// Does the work.\n' },
  ];
  const withDiff = E.splitHunks(edits, E.parseDiff(DIFF)[0]);
  assert.equal(withDiff.length, 2);
  assert.equal(withDiff[0].header, '@@ -1,3 +1,4 @@');
  assert.equal(withDiff[1].edits[0], edits[1]);
  assert.equal(E.splitHunks(edits, null).length, 2);
  const near = [
    { range: at(0, 0), newText: 'x\n' },
    { range: at(5, 0), newText: 'y\n' },
  ];
  assert.equal(E.splitHunks(near, null).length, 1, 'changes 5 lines apart share a hunk');
});

test('hunkNewSpans and hunkAtLine find the hunk under a cursor in the proposed text', () => {
  const base = 'public func reset() {\n}\n\n// one\n// two\n// three\n// four\n// five\n// six\n// seven\n// eight\n\npublic func start() {\n}\n';
  const edits = [
    { range: at(0, 0), newText: '/// Does the work.\n' },
    { range: at(12, 0), newText: '/// Does the work.\n' },
  ];
  const hunks = E.splitHunks(edits, E.parseDiff(DIFF)[0]);
  const spans = E.hunkNewSpans(base, hunks);
  assert.deepEqual(spans, [{ lo: 0, hi: 0 }, { lo: 13, hi: 13 }]);
  assert.equal(E.hunkAtLine(spans, 14), 1);
  assert.equal(E.hunkAtLine(spans, 2), 0);
  assert.match(E.describeHunk(hunks[1], 1), /^2: @@ -10,5 \+11,6 @@ \+\/\/\/ Does the work\.$/);
});
