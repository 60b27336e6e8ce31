'use strict';
// Shared setup of the extension tests: the stub `vscode` module is injected for `require('vscode')`,
// each test gets a fresh git repository, a stand-in model (editors/testing/stand_in_model.py) and a
// freshly activated extension driving the real daemon ($ASSIST_BIN).

const Module = require('module');
const path = require('path');
const fs = require('fs');
const os = require('os');
const { spawn, execFileSync } = require('child_process');

const STUB = path.join(__dirname, 'stub', 'vscode.js');
const originalResolve = Module._resolveFilename;
Module._resolveFilename = function resolve(request, ...rest) {
  if (request === 'vscode') return STUB;
  return originalResolve.call(this, request, ...rest);
};

const vscode = require('vscode');
const T = vscode._testing;

const EXT = path.join(__dirname, '..', 'src', 'extension.js');
const STAND_IN = path.join(__dirname, '..', '..', 'testing', 'stand_in_model.py');
const ASSIST_BIN = process.env.ASSIST_BIN || path.join(__dirname, '..', '..', '..', '.build', 'debug', 'assist');

const SOURCE = 'public func add(_ a: Int, _ b: Int) -> Int { a + b }\n';
const DOC_REPLY = '/// Adds two integers.\n/// - Parameters:\n///   - a: The first.\n///   - b: The second.\n/// - Returns: The sum.\n';
const DOC_APPLIED = '/// Adds two integers.\n///\n/// - Parameters:\n///   - a: The first.\n///   - b: The second.\n/// - Returns: The sum.\n';

const ORIGINAL_ENV = Object.assign({}, process.env);

function makeRepo(files) {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'assist-vscode-')));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'init');
  return dir;
}

/** Starts the stand-in model with `rules`; resolves with {port, proc, rulesFile, logFile}. */
function startStandIn(rules, dir) {
  const rulesFile = path.join(dir, 'rules.json');
  const logFile = path.join(dir, 'standin.log');
  fs.writeFileSync(rulesFile, JSON.stringify(rules));
  const proc = spawn('python3', [STAND_IN, '--replies', rulesFile, '--log', logFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error('the stand-in model did not print its port')), 10000);
    proc.on('error', reject);
    proc.stdout.on('data', (c) => {
      out += c;
      const m = /PORT (\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ port: Number(m[1]), proc, rulesFile, logFile });
      }
    });
  });
}

/**
 * Sets up one test: repository with `files` (default Sources/Math.swift), stand-in with `rules`
 * (or the real model with real: true), the stub reset with `config`, the extension activated,
 * `open` (default Sources/Math.swift) opened in the active editor with `selection`.
 */
async function setup(options = {}) {
  const files = options.files || { 'Sources/Math.swift': SOURCE };
  const repo = makeRepo(files);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'assist-vscode-home-'));
  for (const k of Object.keys(process.env)) if (!(k in ORIGINAL_ENV)) delete process.env[k];
  Object.assign(process.env, ORIGINAL_ENV);
  let standIn = null;
  if (!options.real) {
    standIn = await startStandIn(options.rules || [{ reply: DOC_REPLY }], scratch);
    process.env.ASSIST_PROVIDERS_LOCAL_BASE_URL = `http://127.0.0.1:${standIn.port}/v1`;
    process.env.ASSIST_PROVIDERS_LOCAL_MODEL = 'stand-in';
    process.env.HOME = scratch;
    process.env.XDG_CONFIG_HOME = path.join(scratch, 'config');
  } else {
    delete process.env.ASSIST_PROVIDERS_LOCAL_BASE_URL;
    delete process.env.ASSIST_PROVIDERS_LOCAL_MODEL;
  }
  T.reset({
    workspaceFolders: [repo],
    config: Object.assign({ path: ASSIST_BIN, preview: true, model: '' }, options.config || {}),
    inputBoxAnswers: options.inputBoxAnswers,
    quickPickAnswers: options.quickPickAnswers,
  });
  delete require.cache[require.resolve(EXT)];
  const extension = require(EXT);
  const context = { subscriptions: [], extensionPath: path.join(__dirname, '..') };
  const ext = extension.activate(context);
  let editor = null;
  const open = options.open === undefined ? 'Sources/Math.swift' : options.open;
  if (open) editor = await T.openEditor(path.join(repo, open), options.selection);
  const ctx = {
    repo,
    scratch,
    standIn,
    extension,
    ext,
    context,
    editor,
    doc: editor && editor.document,
    vscode,
    T,
    state: T.state,
    run: (command, ...args) => vscode.commands.executeCommand(command, ...args),
    messages: (level) => T.state.messages.filter((m) => !level || m.level === level).map((m) => m.text),
    standInLog() {
      if (!standIn || !fs.existsSync(standIn.logFile)) return [];
      return fs.readFileSync(standIn.logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    },
    setRules(rules) {
      fs.writeFileSync(standIn.rulesFile, JSON.stringify(rules));
    },
    pids() {
      return [...ext.clients.values()].map((c) => c.pid);
    },
    async teardown() {
      const pids = [...ext.clients.values()].map((c) => c.pid).concat(ctx.extraPids || []);
      await extension.deactivate();
      for (const d of context.subscriptions) if (d && d.dispose) d.dispose();
      if (standIn) standIn.proc.kill('SIGKILL');
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch (_) {
          // already gone
        }
      }
      fs.rmSync(repo, { recursive: true, force: true });
      fs.rmSync(scratch, { recursive: true, force: true });
    },
  };
  return ctx;
}

/** Waits until `pred()` is truthy (polling), or throws after `ms`. */
async function waitFor(pred, ms = 30000, what = 'condition') {
  const end = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (_) {
    return false;
  }
}

module.exports = { setup, waitFor, alive, vscode, T, SOURCE, DOC_REPLY, DOC_APPLIED, ASSIST_BIN, makeRepo };
