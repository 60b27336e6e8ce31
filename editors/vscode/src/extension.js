'use strict';
// VS Code extension of `assist`: commands that call `assist serve` (src/lsp.js), a diff preview of
// every proposed edit with accept all / accept hunk / reject, progress, cancel and a status bar item.

const vscode = require('vscode');
const os = require('os');
const path = require('path');
const { LspClient, CANCELLED, exitText } = require('./lsp');
const E = require('./edits');

const PREVIEW_SCHEME = 'assist-preview';

function config() {
  const c = vscode.workspace.getConfiguration('assist');
  let program = c.get('path', 'assist') || 'assist';
  if (program.startsWith('~/')) program = path.join(os.homedir(), program.slice(2));
  return {
    path: program,
    preview: c.get('preview', true) !== false,
    model: c.get('model', '') || undefined,
  };
}

function isSwift(doc) {
  return doc && doc.uri && doc.uri.scheme === 'file' && (doc.languageId === 'swift' || doc.uri.fsPath.endsWith('.swift'));
}

function toRange(r) {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

function fromPosition(p) {
  return { line: p.line, character: p.character };
}

class UserError extends Error {}

/** The proposals shown in the diff preview, and the content provider of their `assist-preview:` documents. */
class Previews {
  constructor(ext) {
    this.ext = ext;
    this.current = null; // {label, files: [file]}
    this.contents = new Map(); // preview URI string -> text
    this.seq = 0;
    this.changed = new vscode.EventEmitter();
    this.provider = {
      onDidChange: this.changed.event,
      provideTextDocumentContent: (uri) => this.contents.get(uri.toString()) || '',
    };
  }

  /** Shows `result` (its `edits` and `diff`) as a preview, one diff editor per changed file. */
  async show(result, label, root) {
    const files = await this.ext.proposalFiles(result, root);
    if (!files.length) return false;
    this.clear();
    const n = ++this.seq;
    for (const f of files) {
      f.previewUri = vscode.Uri.from({ scheme: PREVIEW_SCHEME, path: f.docUri.path, query: `proposal=${n}` });
      this.contents.set(f.previewUri.toString(), f.proposed);
    }
    this.current = { label, files };
    await vscode.commands.executeCommand('setContext', 'assist.previewOpen', true);
    for (const f of files) {
      const title = `${path.basename(f.docUri.fsPath)} ↔ assist: ${label}`;
      await vscode.commands.executeCommand('vscode.diff', f.docUri, f.previewUri, title, { preview: true });
    }
    const hunks = files.reduce((a, f) => a + f.hunks.length, 0);
    vscode.window.showInformationMessage(
      `assist: preview of ${label}: ${hunks} hunk${hunks === 1 ? '' : 's'}. Accept all, accept a hunk, or reject.`,
    );
    return true;
  }

  clear() {
    if (!this.current) return;
    const previews = this.current.files.map((f) => f.previewUri.toString());
    this.current = null;
    for (const p of previews) this.contents.delete(p);
    vscode.commands.executeCommand('setContext', 'assist.previewOpen', false);
    closeTabs(previews);
  }

  requireCurrent() {
    if (!this.current) throw new UserError('assist: no preview is open');
    return this.current;
  }

  async acceptAll() {
    const cur = this.requireCurrent();
    const edit = new vscode.WorkspaceEdit();
    let count = 0;
    for (const f of cur.files) {
      const pending = f.hunks.filter((_, k) => !f.accepted.has(k));
      const edits = await this.rebased(f, pending.flatMap((h) => h.edits));
      for (const e of edits) edit.replace(f.docUri, toRange(e.range), e.newText);
      count += pending.length;
    }
    const ok = await vscode.workspace.applyEdit(edit);
    if (!ok) throw new UserError('assist: the edit could not be applied');
    this.clear();
    vscode.window.showInformationMessage(`assist: applied ${count} hunk${count === 1 ? '' : 's'}`);
    return count;
  }

  /**
   * Applies one hunk: `arg` is its 0-based index in the preview (over all files); without it, the
   * hunk under the cursor of the preview (or of the document) when one of them is active, else
   * the hunk picked from a QuickPick.
   */
  async acceptHunk(arg) {
    const cur = this.requireCurrent();
    const open = [];
    cur.files.forEach((f) => f.hunks.forEach((h, k) => f.accepted.has(k) || open.push({ f, k, h })));
    let choice = null;
    if (typeof arg === 'number') {
      choice = open[arg];
      if (!choice) throw new UserError(`assist: there is no hunk ${arg + 1} (${open.length} left)`);
    } else {
      choice = await this.hunkUnderCursor(open);
      if (!choice && open.length === 1) choice = open[0];
      if (!choice) {
        const items = open.map((o, i) => ({
          label: E.describeHunk(o.h, o.k),
          description: path.basename(o.f.docUri.fsPath),
          index: i,
        }));
        const picked = await vscode.window.showQuickPick(items, { placeHolder: 'assist: the hunk to apply' });
        if (!picked) return null;
        choice = open[picked.index];
      }
    }
    const { f, k, h } = choice;
    const edits = await this.rebased(f, h.edits);
    const edit = new vscode.WorkspaceEdit();
    for (const e of edits) edit.replace(f.docUri, toRange(e.range), e.newText);
    const ok = await vscode.workspace.applyEdit(edit);
    if (!ok) throw new UserError('assist: the edit could not be applied');
    f.accepted.add(k);
    const left = open.length - 1;
    if (left === 0) {
      this.clear();
      vscode.window.showInformationMessage('assist: applied the last hunk');
    } else {
      vscode.window.showInformationMessage(`assist: applied hunk ${k + 1}; ${left} left`);
    }
    return k;
  }

  async hunkUnderCursor(open) {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return null;
    const uri = editor.document.uri.toString();
    const line = editor.selection.active.line;
    for (const f of this.current.files) {
      const mine = open.filter((o) => o.f === f);
      if (!mine.length) continue;
      if (uri === f.previewUri.toString()) {
        const i = E.hunkAtLine(mine.map((o) => f.newSpans[o.k]), line);
        return i >= 0 ? mine[i] : null;
      }
      if (editor.document.uri.scheme === 'file' && E.sameFile(uri, f.docUri.toString())) {
        const spans = [];
        for (const o of mine) {
          const r = await this.rebased(f, o.h.edits);
          const lo = Math.min(...r.map((e) => e.range.start.line));
          const hi = Math.max(...r.map((e) => e.range.end.line));
          spans.push({ lo, hi });
        }
        const i = E.hunkAtLine(spans, line);
        return i >= 0 ? mine[i] : null;
      }
    }
    return null;
  }

  /** The edits of file `f` moved onto its document as it is now (base + hunks accepted so far). */
  async rebased(f, edits) {
    const done = f.hunks.filter((_, k) => f.accepted.has(k)).flatMap((h) => h.edits);
    const doc = await vscode.workspace.openTextDocument(f.docUri);
    const expected = E.applyEdits(f.base, done);
    if (doc.getText() !== expected) {
      throw new UserError(
        `assist: ${path.basename(f.docUri.fsPath)} changed since the preview was made; reject it and run the command again`,
      );
    }
    return E.rebaseEdits(f.base, done, edits);
  }

  reject() {
    const cur = this.requireCurrent();
    this.clear();
    vscode.window.showInformationMessage(`assist: rejected ${cur.label}; nothing changed`);
  }
}

function closeTabs(previewUris) {
  const groups = vscode.window.tabGroups;
  if (!groups || !groups.all) return;
  const tabs = [];
  for (const g of groups.all) {
    for (const t of g.tabs) {
      const input = t.input || {};
      const modified = input.modified || input.uri;
      if (modified && previewUris.includes(modified.toString())) tabs.push(t);
    }
  }
  if (tabs.length) Promise.resolve(groups.close(tabs)).catch(() => {});
}

class Extension {
  constructor(context) {
    this.context = context;
    this.clients = new Map(); // root -> LspClient
    this.restartRoots = new Set(); // roots whose daemon died: the next start is a restart
    this.inflight = new Map(); // key -> {client, id, method, title}
    this.last = null; // {method, result}
    this.status = { state: 'idle', message: '' };
    this.seq = 0;
    this.previews = new Previews(this);
    this.answer = vscode.window.createOutputChannel('assist: answer');
    this.routeChannel = vscode.window.createOutputChannel('assist: route');
    this.log = vscode.window.createOutputChannel('assist: log');
    this.statusItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
    this.statusItem.command = 'assist.showRoute';
    this.statusItem.show();
    this.updateStatus();
  }

  // ------------------------------------------------------------------------------------------
  // Status bar

  setStatus(state, message = '') {
    this.status = { state, message };
    this.updateStatus();
  }

  updateStatus() {
    const item = this.statusItem;
    const last = this.last && this.last.result;
    const route = last && last.route;
    const tail = route ? ` · ${route.kind} ${route.backend} ${route.model} · $${Number(last.costUSD || 0).toFixed(4)}` : '';
    if (this.status.state === 'busy') {
      item.text = `$(sync~spin) assist: ${this.status.message || 'working'}`;
      item.tooltip = 'assist is working (assist.cancel cancels)';
    } else if (this.status.state === 'error') {
      item.text = `$(error) assist: error${tail}`;
      item.tooltip = this.status.message;
    } else {
      item.text = `$(check) assist: idle${tail}`;
      item.tooltip = route ? 'assist: the last request; click for its route' : 'assist';
    }
  }

  // ------------------------------------------------------------------------------------------
  // Daemon

  rootFor(doc) {
    const folder = doc ? vscode.workspace.getWorkspaceFolder(doc.uri) : null;
    if (folder) return folder.uri.fsPath;
    const folders = vscode.workspace.workspaceFolders || [];
    if (folders.length) return folders[0].uri.fsPath;
    if (doc && doc.uri.scheme === 'file') return path.dirname(doc.uri.fsPath);
    throw new UserError('assist: open a folder or a Swift file first');
  }

  /** The running daemon for `root`, started (or restarted after a crash) when needed. */
  async clientFor(root) {
    const existing = this.clients.get(root);
    if (existing && existing.running) {
      await existing.start();
      return existing;
    }
    const cfg = config();
    const client = new LspClient({
      command: cfg.path,
      args: ['serve'],
      cwd: root,
      env: process.env,
      rootUri: E.pathToUri(root),
      clientInfo: { name: 'assist-vscode', version: '0.1.0' },
      onRequest: (method, params) => this.serverRequest(method, params),
    });
    this.clients.set(root, client);
    client.on('stderr', (text) => this.log.append(text));
    client.on('exit', (info) => this.daemonExited(root, client, info));
    const restarting = this.restartRoots.has(root);
    try {
      await client.start();
    } catch (e) {
      if (this.clients.get(root) === client) this.clients.delete(root);
      throw new UserError(`assist: ${e.message}`);
    }
    if (restarting) {
      this.restartRoots.delete(root);
      this.log.appendLine(`assist serve restarted for ${root} (pid ${client.pid})`);
    }
    for (const doc of vscode.workspace.textDocuments) this.didOpen(doc, client, root);
    return client;
  }

  daemonExited(root, client, info) {
    if (this.clients.get(root) === client) this.clients.delete(root);
    if (info.expected || this.deactivating) return;
    if (!client.initializeResult) return; // it died while starting: the start's own error is shown
    this.restartRoots.add(root);
    const text = `assist serve stopped (${exitText(info.code, info.signal)}); it restarts on the next command`;
    this.setStatus('error', text);
    vscode.window.showErrorMessage(text);
  }

  /** Requests of the daemon: workspace/applyEdit (sent by workspace/executeCommand). */
  async serverRequest(method, params) {
    if (method === 'workspace/applyEdit') {
      const edit = new vscode.WorkspaceEdit();
      const we = params.edit || {};
      for (const [uri, edits] of Object.entries(we.changes || {})) {
        for (const e of edits) edit.replace(vscode.Uri.file(E.uriToPath(uri)), toRange(e.range), e.newText);
      }
      for (const dc of we.documentChanges || []) {
        for (const e of dc.edits || []) edit.replace(vscode.Uri.file(E.uriToPath(dc.textDocument.uri)), toRange(e.range), e.newText);
      }
      const applied = await vscode.workspace.applyEdit(edit);
      return applied ? { applied: true } : { applied: false, failureReason: 'VS Code did not apply the edit' };
    }
    const err = new Error(`method not found: ${method}`);
    err.code = -32601;
    throw err;
  }

  // Text sync: full text on every change, for Swift documents of the client's root.

  inRoot(doc, root) {
    const p = doc.uri.fsPath;
    return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
  }

  didOpen(doc, client, root) {
    if (!isSwift(doc) || !this.inRoot(doc, root)) return;
    client.opened = client.opened || new Set();
    const uri = doc.uri.toString();
    if (client.opened.has(uri)) return;
    client.opened.add(uri);
    client.notify('textDocument/didOpen', {
      textDocument: { uri, languageId: 'swift', version: doc.version, text: doc.getText() },
    });
  }

  onOpen(doc) {
    for (const [root, client] of this.clients) if (client.state === 'running') this.didOpen(doc, client, root);
  }

  onChange(event) {
    const doc = event.document;
    if (!isSwift(doc)) return;
    const uri = doc.uri.toString();
    for (const [root, client] of this.clients) {
      if (client.state !== 'running') continue;
      if (!client.opened || !client.opened.has(uri)) {
        this.didOpen(doc, client, root);
        continue;
      }
      client.notify('textDocument/didChange', {
        textDocument: { uri, version: doc.version },
        contentChanges: [{ text: doc.getText() }],
      });
    }
  }

  onClose(doc) {
    const uri = doc.uri.toString();
    for (const [, client] of this.clients) {
      if (client.opened && client.opened.delete(uri) && client.state === 'running') {
        client.notify('textDocument/didClose', { textDocument: { uri } });
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Requests

  /**
   * Sends `method` for `doc`, with a workDoneToken shown through withProgress and the status bar.
   * Resolves with the result, or null when it failed or was cancelled (the user has been told).
   */
  async request(doc, method, params, title, { onPartial } = {}) {
    const root = this.rootFor(doc);
    const client = await this.clientFor(root);
    if (doc) this.didOpen(doc, client, root);
    const cfg = config();
    const token = `assist-vscode-${++this.seq}`;
    params = Object.assign({}, params, { workDoneToken: token });
    if (cfg.model && params.model === undefined) params.model = cfg.model;
    let partialToken = null;
    const stops = [];
    if (onPartial) {
      partialToken = `assist-vscode-answer-${this.seq}`;
      params.partialResultToken = partialToken;
      stops.push(client.onProgress(partialToken, (v) => v && typeof v.answer === 'string' && onPartial(v.answer)));
    }
    const { id, promise } = client.request(method, params);
    const key = `${root}#${id}`;
    const entry = { client, id, method, title, root };
    this.inflight.set(key, entry);
    this.setStatus('busy', title);
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    let lastPct = 0;
    let reporter = null;
    const queued = [];
    stops.push(
      client.onProgress(token, (v) => {
        if (!v || !v.kind) return;
        const text = [v.title, v.message].filter(Boolean).join(': ');
        if (v.kind !== 'end' && text) this.setStatus('busy', text);
        const report = { message: v.kind === 'end' ? v.message || 'done' : text };
        if (typeof v.percentage === 'number') {
          report.increment = Math.max(0, v.percentage - lastPct);
          lastPct = Math.max(lastPct, v.percentage);
        }
        if (reporter) reporter.report(report);
        else queued.push(report);
      }),
    );
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `assist: ${title}`, cancellable: true },
      (progress, cancelToken) => {
        reporter = progress;
        queued.splice(0).forEach((r) => progress.report(r));
        if (cancelToken && cancelToken.onCancellationRequested) {
          cancelToken.onCancellationRequested(() => client.cancel(id));
        }
        return settled;
      },
    );
    const finish = () => {
      this.inflight.delete(key);
      stops.forEach((s) => s());
    };
    const idle = () => {
      if (this.inflight.size) {
        const other = [...this.inflight.values()].pop();
        this.setStatus('busy', other.title);
      } else {
        this.setStatus('idle');
      }
    };
    try {
      const result = await promise;
      finish();
      this.last = { method, result };
      idle();
      return result;
    } catch (e) {
      finish();
      if (e.code === CANCELLED) {
        idle();
        vscode.window.showInformationMessage('assist: request cancelled');
      } else if (client.state === 'exited' && !(client.exitInfo && client.exitInfo.expected)) {
        // daemonExited has told the user already.
      } else {
        const text = `assist: ${e.message}`;
        this.setStatus('error', text);
        vscode.window.showErrorMessage(text);
      }
      return null;
    }
  }

  /** The files of a result's `edits`, each with base text, proposed text and hunks. */
  async proposalFiles(result, root) {
    const diffFiles = E.parseDiff(result.diff || '');
    const files = [];
    for (const [uri, edits] of Object.entries(result.edits || {})) {
      if (!edits || !edits.length) continue;
      const docUri = vscode.Uri.file(E.uriToPath(uri));
      const doc = await vscode.workspace.openTextDocument(docUri);
      const base = doc.getText();
      const hunks = E.splitHunks(edits, E.diffFileFor(diffFiles, uri, root));
      files.push({
        docUri,
        base,
        proposed: E.applyEdits(base, edits),
        hunks,
        newSpans: E.hunkNewSpans(base, hunks),
        accepted: new Set(),
      });
    }
    return files;
  }

  /** Shows a result's edits as a preview, or applies them at once when assist.preview is off. */
  async showEdits(result, label, root, versions) {
    const edits = result.edits || {};
    if (!result.diff || !Object.values(edits).some((e) => e && e.length)) {
      vscode.window.showInformationMessage('assist: nothing to change');
      return 'nothing';
    }
    for (const [uri, version] of versions || []) {
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
      if (doc && doc.version !== version) {
        throw new UserError('assist: the document changed while assist worked; run the command again');
      }
    }
    if (config().preview) {
      await this.previews.show(result, label, root);
      return 'preview';
    }
    const edit = new vscode.WorkspaceEdit();
    for (const [uri, tes] of Object.entries(edits)) {
      const docUri = vscode.Uri.file(E.uriToPath(uri));
      for (const e of tes) edit.replace(docUri, toRange(e.range), e.newText);
    }
    const ok = await vscode.workspace.applyEdit(edit);
    if (!ok) throw new UserError('assist: the edit could not be applied');
    vscode.window.showInformationMessage(`assist: applied ${label}`);
    return 'applied';
  }

  activeSwiftEditor() {
    const editor = vscode.window.activeTextEditor;
    if (!editor || !isSwift(editor.document)) throw new UserError('assist: open a Swift file first');
    return editor;
  }

  async runEditRequest(editor, method, params, title, label) {
    const doc = editor.document;
    const version = doc.version;
    const result = await this.request(doc, method, Object.assign({ textDocument: { uri: doc.uri.toString() } }, params), title);
    if (!result) return null;
    await this.showEdits(result, label, this.rootFor(doc), [[doc.uri.toString(), version]]);
    return result;
  }

  // ------------------------------------------------------------------------------------------
  // Commands

  async document() {
    const editor = this.activeSwiftEditor();
    const position = fromPosition(editor.selection.active);
    return this.runEditRequest(editor, 'assist/docstring', { position }, 'Writing doc comments', 'doc comment');
  }

  async documentFile() {
    const editor = this.activeSwiftEditor();
    return this.runEditRequest(editor, 'assist/docstring', { all: true }, 'Writing doc comments', 'doc comments of the file');
  }

  async refactor() {
    const editor = this.activeSwiftEditor();
    const sel = editor.selection;
    const whole = sel.isEmpty;
    const instruction = await vscode.window.showInputBox({
      prompt: whole ? 'assist: refactor the whole file — instruction' : 'assist: refactor the selection — instruction',
      placeHolder: 'e.g. replace the nested ifs with early returns',
    });
    if (instruction === undefined) return null;
    if (!instruction.trim()) throw new UserError('assist: the instruction is empty');
    const params = { instruction };
    if (!whole) params.range = { start: fromPosition(sel.start), end: fromPosition(sel.end) };
    return this.runEditRequest(editor, 'assist/refactor', params, 'Refactoring', `refactor: ${instruction}`);
  }

  async ask() {
    const editor = vscode.window.activeTextEditor;
    const doc = editor && isSwift(editor.document) ? editor.document : null;
    const question = await vscode.window.showInputBox({ prompt: 'assist: ask about the repository' });
    if (question === undefined) return null;
    if (!question.trim()) throw new UserError('assist: the question is empty');
    const params = { question };
    if (doc) {
      params.textDocument = { uri: doc.uri.toString() };
      if (!editor.selection.isEmpty) {
        params.range = { start: fromPosition(editor.selection.start), end: fromPosition(editor.selection.end) };
      }
    }
    const header = `> ${question}\n\n`;
    this.answer.replace(header);
    this.answer.show(true);
    const version = doc ? doc.version : null;
    const result = await this.request(doc, 'assist/ask', params, 'Answering', {
      onPartial: (piece) => this.answer.append(piece),
    });
    if (!result) return null;
    let text = header + (result.answer || '');
    if (result.changeError) text += `\n\n[no change: ${result.changeError}]`;
    this.answer.replace(text + '\n');
    if (result.diff) {
      await this.showEdits(result, 'the change the answer proposes', this.rootFor(doc), doc ? [[doc.uri.toString(), version]] : []);
    }
    return result;
  }

  showRoute() {
    if (!this.last) {
      vscode.window.showInformationMessage('assist: no request yet');
      return null;
    }
    const r = this.last.result || {};
    const route = r.route || {};
    const usage = r.usage || {};
    const text =
      `assist: ${route.kind} via ${route.backend} ${route.model}, ` +
      `tokens ${usage.promptTokens} in + ${usage.completionTokens} out, cost $${Number(r.costUSD || 0).toFixed(4)}`;
    const lines = [text, ''];
    for (const step of route.reasons || []) lines.push(`${step.step.padEnd(13)} ${step.outcome.padEnd(14)} ${step.detail}`);
    this.routeChannel.replace(lines.join('\n') + '\n');
    this.routeChannel.show(true);
    vscode.window.showInformationMessage(text);
    return text;
  }

  cancel() {
    if (!this.inflight.size) {
      vscode.window.showInformationMessage('assist: no request in flight');
      return 0;
    }
    for (const entry of this.inflight.values()) entry.client.cancel(entry.id);
    const methods = [...new Set([...this.inflight.values()].map((e) => e.method))].join(', ');
    vscode.window.showInformationMessage(`assist: cancelling ${methods}`);
    return this.inflight.size;
  }

  async deactivate() {
    this.deactivating = true;
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map((c) => c.stop().catch(() => {})));
  }
}

let current = null;

function activate(context) {
  const ext = new Extension(context);
  current = ext;
  const wrap = (fn) => async (...args) => {
    try {
      return await fn(...args);
    } catch (e) {
      const text = e instanceof UserError ? e.message : `assist: ${e.message}`;
      if (!(e instanceof UserError)) ext.setStatus('error', text);
      vscode.window.showErrorMessage(text);
      return null;
    }
  };
  const commands = {
    'assist.document': () => ext.document(),
    'assist.documentFile': () => ext.documentFile(),
    'assist.refactor': () => ext.refactor(),
    'assist.ask': () => ext.ask(),
    'assist.showRoute': () => ext.showRoute(),
    'assist.cancel': () => ext.cancel(),
    'assist.acceptAll': () => ext.previews.acceptAll(),
    'assist.acceptHunk': (arg) => ext.previews.acceptHunk(arg),
    'assist.reject': () => ext.previews.reject(),
  };
  const subs = context.subscriptions;
  for (const [name, fn] of Object.entries(commands)) subs.push(vscode.commands.registerCommand(name, wrap(fn)));
  subs.push(vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, ext.previews.provider));
  subs.push(vscode.workspace.onDidOpenTextDocument((d) => ext.onOpen(d)));
  subs.push(vscode.workspace.onDidChangeTextDocument((e) => ext.onChange(e)));
  subs.push(vscode.workspace.onDidCloseTextDocument((d) => ext.onClose(d)));
  subs.push(ext.statusItem, ext.answer, ext.routeChannel, ext.log);
  return ext;
}

function deactivate() {
  const ext = current;
  current = null;
  return ext ? ext.deactivate() : undefined;
}

module.exports = { activate, deactivate, PREVIEW_SCHEME };
