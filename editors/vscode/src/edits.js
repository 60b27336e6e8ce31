'use strict';
// Pure helpers of the extension: file URIs, LSP positions in strings, applying TextEdits,
// reading unified diffs and grouping edits into the hunks the diff shows. No `vscode` here,
// so this module is unit-tested on its own.

// ---------------------------------------------------------------------------------------------
// URI <-> path

/** A `file://` URI for an absolute POSIX path, each segment percent-encoded. */
function pathToUri(path) {
  if (!path.startsWith('/')) throw new Error(`not an absolute path: ${path}`);
  return 'file://' + path.split('/').map(encodeSegment).join('/');
}

function encodeSegment(segment) {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** The path of a `file://` URI (authority ignored), percent-decoded. */
function uriToPath(uri) {
  const m = /^file:\/\/([^/]*)(\/.*)?$/i.exec(uri);
  if (!m) throw new Error(`not a file URI: ${uri}`);
  return decodeURIComponent(m[2] || '/');
}

/** Whether two file URIs name the same path, whatever their percent-encoding. */
function sameFile(a, b) {
  try {
    return uriToPath(a) === uriToPath(b);
  } catch (_) {
    return a === b;
  }
}

// ---------------------------------------------------------------------------------------------
// Positions: {line, character}, 0-based, character in UTF-16 code units (as JavaScript strings).

/** Offsets at which each line starts; lines end at \n, \r\n or \r. */
function lineStarts(text) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    } else if (c === 10) {
      starts.push(i + 1);
    }
  }
  return starts;
}

/** End of the content of line `line` (before its line break). */
function lineContentEnd(text, starts, line) {
  let end = line + 1 < starts.length ? starts[line + 1] : text.length;
  if (end > starts[line] && text.charCodeAt(end - 1) === 10) end--;
  if (end > starts[line] && text.charCodeAt(end - 1) === 13) end--;
  return end;
}

/** The offset of a position; positions past a line's end or the text's end are clamped. */
function offsetAt(text, pos, starts = lineStarts(text)) {
  if (pos.line < 0) return 0;
  if (pos.line >= starts.length) return text.length;
  const start = starts[pos.line];
  const end = lineContentEnd(text, starts, pos.line);
  return Math.min(start + Math.max(0, pos.character), end);
}

/** The position of an offset. */
function positionAt(text, offset, starts = lineStarts(text)) {
  offset = Math.max(0, Math.min(offset, text.length));
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: offset - starts[lo] };
}

// ---------------------------------------------------------------------------------------------
// TextEdits

/** Edits as offset spans {start, end, newText, index} in `text`, sorted by start (then array order). */
function toSpans(text, edits) {
  const starts = lineStarts(text);
  const spans = edits.map((e, index) => {
    const start = offsetAt(text, e.range.start, starts);
    const end = offsetAt(text, e.range.end, starts);
    if (end < start) throw new Error(`an edit ends before it starts: ${JSON.stringify(e.range)}`);
    return { start, end, newText: e.newText, index };
  });
  spans.sort((a, b) => a.start - b.start || a.index - b.index);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i].start < spans[i - 1].end) throw new Error('the edits overlap');
  }
  return spans;
}

/**
 * Applies LSP TextEdits (all against `text`) and returns {text, spans}: spans give, per edit in text
 * order, {start, end} in the old text and {newStart, newEnd} in the new one.
 */
function applyEditsWithSpans(text, edits) {
  const spans = toSpans(text, edits);
  let out = '';
  let pos = 0;
  for (const s of spans) {
    out += text.slice(pos, s.start);
    s.newStart = out.length;
    out += s.newText;
    s.newEnd = out.length;
    pos = s.end;
  }
  out += text.slice(pos);
  return { text: out, spans };
}

/** `text` with the LSP TextEdits applied (all ranges refer to `text`). */
function applyEdits(text, edits) {
  return applyEditsWithSpans(text, edits).text;
}

/**
 * Moves `edits` (against `base`) onto `current`, which is `base` with `applied` (also against
 * `base`, not overlapping `edits`) applied: the result's ranges refer to `current`.
 */
function rebaseEdits(base, applied, edits) {
  const done = toSpans(base, applied);
  const current = applyEdits(base, applied);
  const currentStarts = lineStarts(current);
  const baseStarts = lineStarts(base);
  const shift = (offset) => {
    let delta = 0;
    for (const d of done) {
      if (d.end <= offset) delta += d.newText.length - (d.end - d.start);
    }
    return offset + delta;
  };
  return edits.map((e) => {
    const start = shift(offsetAt(base, e.range.start, baseStarts));
    const end = shift(offsetAt(base, e.range.end, baseStarts));
    return {
      range: { start: positionAt(current, start, currentStarts), end: positionAt(current, end, currentStarts) },
      newText: e.newText,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Unified diffs and hunks

/**
 * Reads a git unified diff: [{oldPath, newPath, hunks: [{oldStart, oldCount, newStart, newCount,
 * header, lines}]}]. Paths lose their `a/` / `b/` prefix; `/dev/null` stays as it is.
 */
function parseDiff(diff) {
  const files = [];
  let file = null;
  let hunk = null;
  const strip = (p) => {
    p = p.replace(/\t.*$/, '').trim();
    if (p.startsWith('"') && p.endsWith('"')) p = JSON.parse(p);
    return p === '/dev/null' ? p : p.replace(/^[ab]\//, '');
  };
  for (const line of (diff || '').split('\n')) {
    if (line.startsWith('diff --git ')) {
      file = { oldPath: null, newPath: null, hunks: [] };
      files.push(file);
      hunk = null;
      const m = /^diff --git a\/(.*) b\/(.*)$/.exec(line);
      if (m) {
        file.oldPath = m[1];
        file.newPath = m[2];
      }
    } else if (line.startsWith('--- ') && (!hunk || hunkFull(hunk))) {
      if (!file || file.hunks.length) {
        file = { oldPath: null, newPath: null, hunks: [] };
        files.push(file);
      }
      file.oldPath = strip(line.slice(4));
      hunk = null;
    } else if (line.startsWith('+++ ') && file && !hunk) {
      file.newPath = strip(line.slice(4));
    } else if (line.startsWith('@@') && file) {
      const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
      if (!m) continue;
      hunk = {
        oldStart: Number(m[1]),
        oldCount: m[2] === undefined ? 1 : Number(m[2]),
        newStart: Number(m[3]),
        newCount: m[4] === undefined ? 1 : Number(m[4]),
        header: line,
        lines: [],
      };
      file.hunks.push(hunk);
    } else if (hunk && (line.startsWith(' ') || line.startsWith('+') || line.startsWith('-') || line.startsWith('\\'))) {
      hunk.lines.push(line);
    }
  }
  return files.filter((f) => f.hunks.length || f.newPath || f.oldPath);
}

function hunkFull(hunk) {
  let oldSeen = 0;
  let newSeen = 0;
  for (const l of hunk.lines) {
    if (l.startsWith(' ')) { oldSeen++; newSeen++; }
    else if (l.startsWith('-')) oldSeen++;
    else if (l.startsWith('+')) newSeen++;
  }
  return oldSeen >= hunk.oldCount && newSeen >= hunk.newCount;
}

/** The 0-based line span [lo, hi) of the old text an edit touches ([L, L) for an insertion at line start). */
function editLineSpan(edit) {
  const s = edit.range.start;
  const e = edit.range.end;
  const lo = s.line;
  let hi = e.character === 0 && e.line > s.line ? e.line : e.line + 1;
  if (s.line === e.line && s.character === e.character && s.character === 0) hi = lo;
  return { lo, hi };
}

/** The 0-based line span [lo, hi] (inclusive, so an insertion point counts) a diff hunk covers in the old text. */
function hunkOldSpan(h) {
  if (h.oldCount === 0) return { lo: h.oldStart, hi: h.oldStart };
  return { lo: h.oldStart - 1, hi: h.oldStart - 1 + h.oldCount };
}

/** The diff file entry for a URI: by repository-relative path, matched against the URI's path. */
function diffFileFor(files, uri, root) {
  let path;
  try {
    path = uriToPath(uri);
  } catch (_) {
    return null;
  }
  const candidates = files.filter((f) => f.newPath && f.newPath !== '/dev/null');
  if (root) {
    const r = root.endsWith('/') ? root : root + '/';
    const exact = candidates.find((f) => r + f.newPath === path);
    if (exact) return exact;
  }
  const bySuffix = candidates.filter((f) => path === f.newPath || path.endsWith('/' + f.newPath));
  bySuffix.sort((a, b) => b.newPath.length - a.newPath.length);
  return bySuffix[0] || null;
}

/**
 * Groups the edits of one document into hunks, as the diff shows them: each edit goes to the diff
 * hunk whose old lines hold it. Without a matching diff, edits closer than 2 * context lines
 * share a hunk (what a unified diff with `context` lines of context does).
 * Returns [{edits, oldLo, oldHi, header}] in document order; oldLo/oldHi are 0-based lines, hi exclusive.
 */
function splitHunks(edits, diffFile, context = 3) {
  const items = edits
    .map((edit, index) => ({ edit, index, span: editLineSpan(edit) }))
    .sort((a, b) => a.span.lo - b.span.lo || a.index - b.index);
  const groups = [];
  if (diffFile && diffFile.hunks.length) {
    const byHunk = new Map();
    const loose = [];
    for (const it of items) {
      let best = -1;
      let bestDistance = Infinity;
      diffFile.hunks.forEach((h, k) => {
        const hs = hunkOldSpan(h);
        const inside = hs.lo <= it.span.lo && it.span.hi <= Math.max(hs.hi, hs.lo);
        const distance = inside ? 0 : Math.min(Math.abs(it.span.lo - hs.lo), Math.abs(it.span.lo - hs.hi));
        if (distance < bestDistance) {
          bestDistance = distance;
          best = k;
        }
      });
      if (best >= 0 && bestDistance <= context) {
        if (!byHunk.has(best)) byHunk.set(best, []);
        byHunk.get(best).push(it);
      } else {
        loose.push(it);
      }
    }
    for (const [k, its] of byHunk) {
      groups.push({ items: its, header: diffFile.hunks[k].header, lines: diffFile.hunks[k].lines });
    }
    for (const it of loose) groups.push({ items: [it], header: null, lines: null });
  } else {
    for (const it of items) {
      const last = groups[groups.length - 1];
      const lastHi = last ? Math.max(...last.items.map((x) => x.span.hi)) : -Infinity;
      if (last && it.span.lo - lastHi <= 2 * context) last.items.push(it);
      else groups.push({ items: [it], header: null, lines: null });
    }
  }
  return groups
    .map((g) => ({
      edits: g.items.map((x) => x.edit),
      oldLo: Math.min(...g.items.map((x) => x.span.lo)),
      oldHi: Math.max(...g.items.map((x) => x.span.hi)),
      header: g.header,
      lines: g.lines,
    }))
    .sort((a, b) => a.oldLo - b.oldLo);
}

/**
 * For each hunk of `hunks` (from splitHunks against `base`), the 0-based line span [lo, hi] it
 * occupies in the proposed text (base with every edit applied): where a cursor in the preview
 * selects that hunk.
 */
function hunkNewSpans(base, hunks) {
  const all = [];
  hunks.forEach((h, k) => h.edits.forEach((e) => all.push({ e, k })));
  const { text, spans } = applyEditsWithSpans(base, all.map((x) => x.e));
  const starts = lineStarts(text);
  const result = hunks.map(() => ({ lo: Infinity, hi: -Infinity }));
  for (const s of spans) {
    const k = all[s.index].k;
    const lo = positionAt(text, s.newStart, starts).line;
    let hi = positionAt(text, s.newEnd, starts).line;
    if (s.newEnd > s.newStart && positionAt(text, s.newEnd, starts).character === 0) hi -= 1;
    result[k].lo = Math.min(result[k].lo, lo);
    result[k].hi = Math.max(result[k].hi, Math.max(lo, hi));
  }
  return result;
}

/** The index of the hunk for a 0-based line, given each hunk's [lo, hi] span: inside, else the nearest. */
function hunkAtLine(spans, line) {
  let best = -1;
  let bestDistance = Infinity;
  spans.forEach((s, k) => {
    const d = line < s.lo ? s.lo - line : line > s.hi ? line - s.hi : 0;
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  });
  return best;
}

/** One line describing a hunk, for a pick list: its header and its first added or removed line. */
function describeHunk(hunk, k) {
  const changed = (hunk.lines || []).find((l) => l.startsWith('+') || l.startsWith('-'));
  const first = changed || '+' + (hunk.edits[0] ? hunk.edits[0].newText.split('\n')[0] : '');
  return `${k + 1}: ${hunk.header || `line ${hunk.oldLo + 1}`} ${first.trim()}`;
}

module.exports = {
  pathToUri,
  uriToPath,
  sameFile,
  lineStarts,
  offsetAt,
  positionAt,
  applyEdits,
  applyEditsWithSpans,
  rebaseEdits,
  parseDiff,
  splitHunks,
  diffFileFor,
  hunkNewSpans,
  hunkAtLine,
  describeHunk,
  editLineSpan,
};
