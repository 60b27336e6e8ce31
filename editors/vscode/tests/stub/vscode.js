'use strict';
// A stand-in for the `vscode` module, for the tests: just enough of the API the extension uses,
// with in-memory TextDocuments holding real text, and a record of what the extension did
// (commands, messages, status bar, output channels, progress, diffs, edits).
// It is not VS Code: no rendering, no real diff editor, no keybindings, no extension host.

const fs = require('fs');
const nodePath = require('path');

// ---------------------------------------------------------------------------------------------
// Basic types

class Position {
  constructor(line, character) {
    this.line = line;
    this.character = character;
  }
  isEqual(o) {
    return this.line === o.line && this.character === o.character;
  }
  isBefore(o) {
    return this.line < o.line || (this.line === o.line && this.character < o.character);
  }
}

class Range {
  constructor(a, b, c, d) {
    if (a instanceof Position || (a && typeof a.line === 'number' && c === undefined)) {
      this.start = new Position(a.line, a.character);
      this.end = new Position(b.line, b.character);
    } else {
      this.start = new Position(a, b);
      this.end = new Position(c, d);
    }
  }
  get isEmpty() {
    return this.start.isEqual(this.end);
  }
}

class Selection extends Range {
  constructor(anchorLine, anchorChar, activeLine, activeChar) {
    let anchor;
    let active;
    if (typeof anchorLine === 'object') {
      anchor = anchorLine;
      active = anchorChar;
    } else {
      anchor = new Position(anchorLine, anchorChar);
      active = new Position(activeLine, activeChar);
    }
    const [s, e] = anchor.isBefore(active) ? [anchor, active] : [active, anchor];
    super(s, e);
    this.anchor = new Position(anchor.line, anchor.character);
    this.active = new Position(active.line, active.character);
  }
}

function encodePath(p) {
  return p
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()))
    .join('/');
}

class Uri {
  constructor(scheme, authority, path, query, fragment) {
    this.scheme = scheme;
    this.authority = authority || '';
    this.path = path || '/';
    this.query = query || '';
    this.fragment = fragment || '';
  }
  static file(p) {
    return new Uri('file', '', nodePath.resolve(p));
  }
  static parse(s) {
    const m = /^([a-zA-Z][\w+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(s);
    if (!m) throw new Error(`stub vscode: cannot parse URI ${s}`);
    return new Uri(m[1], m[2], decodeURIComponent(m[3]), m[4] && decodeURIComponent(m[4]), m[5] && decodeURIComponent(m[5]));
  }
  static from(c) {
    return new Uri(c.scheme, c.authority, c.path, c.query, c.fragment);
  }
  get fsPath() {
    return this.path;
  }
  with(change) {
    return new Uri(
      change.scheme ?? this.scheme,
      change.authority ?? this.authority,
      change.path ?? this.path,
      change.query ?? this.query,
      change.fragment ?? this.fragment,
    );
  }
  toString() {
    let s = `${this.scheme}:`;
    if (this.scheme === 'file' || this.authority) s += `//${this.authority}`;
    s += encodePath(this.path);
    if (this.query) s += `?${encodeURIComponent(this.query)}`;
    if (this.fragment) s += `#${encodeURIComponent(this.fragment)}`;
    return s;
  }
  toJSON() {
    return this.toString();
  }
}

class Disposable {
  constructor(fn) {
    this.fn = fn;
  }
  dispose() {
    if (this.fn) this.fn();
    this.fn = null;
  }
  static from(...items) {
    return new Disposable(() => items.forEach((i) => i && i.dispose && i.dispose()));
  }
}

class EventEmitter {
  constructor() {
    this.listeners = [];
    this.event = (listener) => {
      this.listeners.push(listener);
      return new Disposable(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
      });
    };
  }
  fire(value) {
    for (const l of [...this.listeners]) l(value);
  }
  dispose() {
    this.listeners = [];
  }
}

class CancellationTokenSource {
  constructor() {
    this.emitter = new EventEmitter();
    this.token = { isCancellationRequested: false, onCancellationRequested: this.emitter.event };
  }
  cancel() {
    if (this.token.isCancellationRequested) return;
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
  dispose() {}
}

class WorkspaceEdit {
  constructor() {
    this._edits = [];
  }
  replace(uri, range, newText) {
    this._edits.push({ uri, range, newText });
  }
  insert(uri, position, newText) {
    this._edits.push({ uri, range: new Range(position, position), newText });
  }
  delete(uri, range) {
    this._edits.push({ uri, range, newText: '' });
  }
  get size() {
    return new Set(this._edits.map((e) => e.uri.toString())).size;
  }
  entries() {
    const map = new Map();
    for (const e of this._edits) {
      const k = e.uri.toString();
      if (!map.has(k)) map.set(k, [e.uri, []]);
      map.get(k)[1].push({ range: e.range, newText: e.newText });
    }
    return [...map.values()];
  }
}

// ---------------------------------------------------------------------------------------------
// Documents and editors

function lineStarts(text) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    } else if (c === 10) starts.push(i + 1);
  }
  return starts;
}

class TextDocument {
  constructor(uri, text, languageId) {
    this.uri = uri;
    this._text = text;
    this.languageId = languageId;
    this.version = 1;
    this.isClosed = false;
    this.isDirty = false;
  }
  get fileName() {
    return this.uri.fsPath;
  }
  get isUntitled() {
    return false;
  }
  get lineCount() {
    return lineStarts(this._text).length;
  }
  getText(range) {
    if (!range) return this._text;
    return this._text.slice(this.offsetAt(range.start), this.offsetAt(range.end));
  }
  offsetAt(pos) {
    const starts = lineStarts(this._text);
    if (pos.line >= starts.length) return this._text.length;
    const start = starts[pos.line];
    let end = pos.line + 1 < starts.length ? starts[pos.line + 1] : this._text.length;
    while (end > start && (this._text[end - 1] === '\n' || this._text[end - 1] === '\r')) end--;
    return Math.min(start + pos.character, end);
  }
  positionAt(offset) {
    const starts = lineStarts(this._text);
    let line = 0;
    while (line + 1 < starts.length && starts[line + 1] <= offset) line++;
    return new Position(line, offset - starts[line]);
  }
  lineAt(n) {
    const line = typeof n === 'number' ? n : n.line;
    const starts = lineStarts(this._text);
    const start = starts[line];
    let end = line + 1 < starts.length ? starts[line + 1] : this._text.length;
    const full = this._text.slice(start, end);
    const text = full.replace(/\r?\n$|\r$/, '');
    return { lineNumber: line, text, range: new Range(line, 0, line, text.length), isEmptyOrWhitespace: !text.trim() };
  }
  save() {
    fs.writeFileSync(this.uri.fsPath, this._text);
    this.isDirty = false;
    return Promise.resolve(true);
  }
}

class TextEditor {
  constructor(document) {
    this.document = document;
    this.selections = [new Selection(0, 0, 0, 0)];
  }
  get selection() {
    return this.selections[0];
  }
  set selection(s) {
    this.selections = [s];
  }
}

// ---------------------------------------------------------------------------------------------
// The recording state

const state = {};
const emitters = {
  open: new EventEmitter(),
  change: new EventEmitter(),
  close: new EventEmitter(),
};

function reset(options = {}) {
  state.commands = new Map(); // name -> handler
  state.executed = []; // [{command, args}]
  state.messages = []; // [{level, text, items}]
  state.diffs = []; // [{left, right, title, rightText}]
  state.progress = []; // [{options, reports, cancel(), done}]
  state.statusItems = [];
  state.outputChannels = new Map(); // name -> channel
  state.documents = []; // open TextDocuments
  state.providers = new Map(); // scheme -> provider
  state.appliedEdits = []; // [{uri, edits}]
  state.inputBoxAnswers = options.inputBoxAnswers || [];
  state.inputBoxPrompts = [];
  state.quickPickAnswers = options.quickPickAnswers || [];
  state.quickPicks = [];
  state.contexts = {};
  state.config = Object.assign({ path: 'assist', preview: true, model: '' }, options.config || {});
  state.workspaceFolders = (options.workspaceFolders || []).map((p, index) => ({ uri: Uri.file(p), name: nodePath.basename(p), index }));
  state.tabs = [];
  state.messageWaiters = [];
  window.activeTextEditor = undefined;
  emitters.open.dispose();
  emitters.change.dispose();
  emitters.close.dispose();
}

function recordMessage(level, text, items) {
  const m = { level, text, items, time: Date.now() };
  state.messages.push(m);
  for (const w of [...state.messageWaiters]) {
    if (w.pred(m)) {
      state.messageWaiters = state.messageWaiters.filter((x) => x !== w);
      w.resolve(m);
    }
  }
  return Promise.resolve(undefined);
}

function findDocument(uri) {
  const key = uri.toString();
  return state.documents.find((d) => d.uri.toString() === key || (uri.scheme === 'file' && d.uri.scheme === 'file' && d.uri.fsPath === uri.fsPath));
}

function languageOf(p) {
  return p.endsWith('.swift') ? 'swift' : 'plaintext';
}

async function openTextDocument(arg) {
  const uri = typeof arg === 'string' ? Uri.file(arg) : arg;
  const found = findDocument(uri);
  if (found) return found;
  let text;
  if (uri.scheme === 'file') {
    text = fs.readFileSync(uri.fsPath, 'utf8');
  } else {
    const provider = state.providers.get(uri.scheme);
    if (!provider) throw new Error(`stub vscode: no content provider for scheme ${uri.scheme}`);
    text = await provider.provideTextDocumentContent(uri, new CancellationTokenSource().token);
  }
  const doc = new TextDocument(uri, text, languageOf(uri.path));
  state.documents.push(doc);
  emitters.open.fire(doc);
  return doc;
}

/** Applies one document's edits (all against its current text), as VS Code does, and fires the change. */
function applyToDocument(doc, edits) {
  const spans = edits
    .map((e, i) => ({ start: doc.offsetAt(e.range.start), end: doc.offsetAt(e.range.end), newText: e.newText, i }))
    .sort((a, b) => a.start - b.start || a.i - b.i);
  for (let k = 1; k < spans.length; k++) {
    if (spans[k].start < spans[k - 1].end) return false;
  }
  let text = doc._text;
  for (let k = spans.length - 1; k >= 0; k--) {
    const s = spans[k];
    text = text.slice(0, s.start) + s.newText + text.slice(s.end);
  }
  const changes = spans.map((s) => ({ range: new Range(doc.positionAt(s.start), doc.positionAt(s.end)), text: s.newText }));
  doc._text = text;
  doc.version += 1;
  doc.isDirty = true;
  emitters.change.fire({ document: doc, contentChanges: changes, reason: undefined });
  return true;
}

// ---------------------------------------------------------------------------------------------
// Namespaces

const commands = {
  registerCommand(name, handler) {
    if (state.commands.has(name)) throw new Error(`stub vscode: command ${name} registered twice`);
    state.commands.set(name, handler);
    return new Disposable(() => state.commands.delete(name));
  },
  async executeCommand(name, ...args) {
    state.executed.push({ command: name, args });
    if (name === 'setContext') {
      state.contexts[args[0]] = args[1];
      return undefined;
    }
    if (name === 'vscode.diff') {
      const [left, right, title] = args;
      const rightDoc = await openTextDocument(right);
      await openTextDocument(left);
      const entry = { left, right, title, rightText: rightDoc.getText(), time: Date.now() };
      state.diffs.push(entry);
      state.tabs.push({ label: title, input: { original: left, modified: right } });
      window.activeTextEditor = new TextEditor(rightDoc);
      return undefined;
    }
    const handler = state.commands.get(name);
    if (!handler) throw new Error(`stub vscode: command '${name}' not found`);
    return handler(...args);
  },
  getCommands() {
    return Promise.resolve([...state.commands.keys()]);
  },
};

function makeStatusItem(alignment, priority) {
  const item = {
    alignment,
    priority,
    text: '',
    tooltip: undefined,
    command: undefined,
    visible: false,
    history: [],
    show() {
      this.visible = true;
    },
    hide() {
      this.visible = false;
    },
    dispose() {},
  };
  let text = '';
  Object.defineProperty(item, 'text', {
    get: () => text,
    set: (v) => {
      text = v;
      item.history.push(v);
    },
  });
  return item;
}

function makeOutputChannel(name) {
  const ch = {
    name,
    text: '',
    appends: [],
    shown: 0,
    append(v) {
      this.appends.push({ text: v, time: Date.now() });
      this.text += v;
    },
    appendLine(v) {
      this.text += v + '\n';
    },
    replace(v) {
      this.text = v;
    },
    clear() {
      this.text = '';
    },
    show() {
      this.shown += 1;
    },
    hide() {},
    dispose() {},
  };
  return ch;
}

const window = {
  activeTextEditor: undefined,
  showInformationMessage: (text, ...items) => recordMessage('info', text, items),
  showWarningMessage: (text, ...items) => recordMessage('warning', text, items),
  showErrorMessage: (text, ...items) => recordMessage('error', text, items),
  async showInputBox(options) {
    state.inputBoxPrompts.push(options);
    return state.inputBoxAnswers.shift();
  },
  async showQuickPick(items, options) {
    const list = await items;
    state.quickPicks.push({ items: list, options });
    const answer = state.quickPickAnswers.shift();
    if (typeof answer === 'function') return answer(list);
    if (typeof answer === 'number') return list[answer];
    return answer;
  },
  createStatusBarItem(alignment, priority) {
    const item = makeStatusItem(alignment, priority);
    state.statusItems.push(item);
    return item;
  },
  createOutputChannel(name) {
    const ch = makeOutputChannel(name);
    state.outputChannels.set(name, ch);
    return ch;
  },
  withProgress(options, task) {
    const source = new CancellationTokenSource();
    const entry = { options, reports: [], cancel: () => source.cancel(), finished: false };
    state.progress.push(entry);
    const progress = { report: (v) => entry.reports.push(Object.assign({ time: Date.now() }, v)) };
    entry.done = Promise.resolve(task(progress, source.token)).finally(() => {
      entry.finished = true;
    });
    return entry.done;
  },
  async showTextDocument(docOrUri, options) {
    const doc = docOrUri instanceof TextDocument ? docOrUri : await openTextDocument(docOrUri);
    const editor = new TextEditor(doc);
    if (options && options.selection) editor.selection = new Selection(options.selection.start, options.selection.end);
    window.activeTextEditor = editor;
    return editor;
  },
  tabGroups: {
    get all() {
      return [{ tabs: state.tabs }];
    },
    close(tabs) {
      const list = Array.isArray(tabs) ? tabs : [tabs];
      state.tabs = state.tabs.filter((t) => !list.includes(t));
      return Promise.resolve(true);
    },
  },
};

const workspace = {
  get workspaceFolders() {
    return state.workspaceFolders.length ? state.workspaceFolders : undefined;
  },
  getWorkspaceFolder(uri) {
    if (uri.scheme !== 'file') return undefined;
    return state.workspaceFolders.find((f) => uri.fsPath === f.uri.fsPath || uri.fsPath.startsWith(f.uri.fsPath + '/'));
  },
  getConfiguration(section) {
    return {
      get(key, defaultValue) {
        const full = section ? `${section}.${key}` : key;
        const k = full.startsWith('assist.') ? full.slice(7) : full;
        return state.config[k] === undefined ? defaultValue : state.config[k];
      },
      has(key) {
        return state.config[key] !== undefined;
      },
      update(key, value) {
        state.config[key] = value;
        return Promise.resolve();
      },
    };
  },
  get textDocuments() {
    return state.documents.filter((d) => !d.isClosed);
  },
  openTextDocument,
  async applyEdit(edit) {
    const groups = edit.entries();
    const docs = [];
    for (const [uri] of groups) docs.push(await openTextDocument(uri));
    for (let i = 0; i < groups.length; i++) {
      if (!applyToDocument(docs[i], groups[i][1])) return false;
      state.appliedEdits.push({ uri: groups[i][0], edits: groups[i][1] });
    }
    return true;
  },
  registerTextDocumentContentProvider(scheme, provider) {
    state.providers.set(scheme, provider);
    if (provider.onDidChange) {
      provider.onDidChange((uri) => {
        const doc = findDocument(uri);
        if (doc) Promise.resolve(provider.provideTextDocumentContent(uri)).then((t) => applyToDocument(doc, [{ range: new Range(0, 0, doc.lineCount, 0), newText: t }]));
      });
    }
    return new Disposable(() => state.providers.delete(scheme));
  },
  onDidOpenTextDocument: (l) => emitters.open.event(l),
  onDidChangeTextDocument: (l) => emitters.change.event(l),
  onDidCloseTextDocument: (l) => emitters.close.event(l),
};

const ProgressLocation = { SourceControl: 1, Window: 10, Notification: 15 };
const StatusBarAlignment = { Left: 1, Right: 2 };
const ViewColumn = { Active: -1, Beside: -2, One: 1, Two: 2 };

// ---------------------------------------------------------------------------------------------
// Test helpers (not part of the vscode API)

const testing = {
  state,
  reset,
  /** Opens a file in an editor and makes it active; `selection` is [line, char, line, char]. */
  async openEditor(file, selection) {
    const doc = await openTextDocument(Uri.file(file));
    const editor = await window.showTextDocument(doc);
    if (selection) editor.selection = new Selection(...selection);
    return editor;
  },
  closeDocument(doc) {
    doc.isClosed = true;
    state.documents = state.documents.filter((d) => d !== doc);
    emitters.close.fire(doc);
  },
  /** Resolves with the first message (already shown or to come) for which pred holds. */
  waitForMessage(pred, ms = 30000) {
    const found = state.messages.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      state.messageWaiters.push(w);
      const t = setTimeout(() => {
        state.messageWaiters = state.messageWaiters.filter((x) => x !== w);
        reject(new Error(`no such message within ${ms} ms; messages: ${JSON.stringify(state.messages.map((m) => m.text))}`));
      }, ms);
      t.unref();
    });
  },
  statusText() {
    return state.statusItems.length ? state.statusItems[0].text : undefined;
  },
};

reset();

module.exports = {
  Position,
  Range,
  Selection,
  Uri,
  Disposable,
  EventEmitter,
  CancellationTokenSource,
  WorkspaceEdit,
  ProgressLocation,
  StatusBarAlignment,
  ViewColumn,
  commands,
  window,
  workspace,
  version: '1.85.0-stub',
  _testing: testing,
};
