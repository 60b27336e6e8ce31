'use strict';
// A small LSP client over stdio for `assist serve`: Content-Length framing both ways, requests
// with ids and promises, notifications, server-to-client requests, $/progress by token,
// $/cancelRequest, and the initialize / shutdown / exit lifecycle. No `vscode` here.

const { spawn } = require('child_process');
const { EventEmitter } = require('events');

const HEADER_END = Buffer.from('\r\n\r\n');

/** Reads Content-Length frames from a byte stream and emits each body as a parsed message. */
class FrameReader {
  constructor(onMessage, onError) {
    this.buffer = Buffer.alloc(0);
    this.onMessage = onMessage;
    this.onError = onError;
  }

  push(chunk) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const end = this.buffer.indexOf(HEADER_END);
      if (end < 0) return;
      const header = this.buffer.subarray(0, end).toString('ascii');
      let length = -1;
      for (const line of header.split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        if (line.slice(0, colon).trim().toLowerCase() === 'content-length') {
          length = Number(line.slice(colon + 1).trim());
        }
      }
      if (!Number.isInteger(length) || length < 0) {
        this.onError(new Error(`a frame from assist serve has no valid Content-Length: ${header}`));
        this.buffer = this.buffer.subarray(end + 4);
        continue;
      }
      if (this.buffer.length < end + 4 + length) return;
      const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(end + 4 + length);
      let message;
      try {
        message = JSON.parse(body);
      } catch (e) {
        this.onError(new Error(`assist serve sent a body that is not JSON: ${e.message}`));
        continue;
      }
      this.onMessage(message);
    }
  }
}

/** Frames one JSON-RPC message. */
function frame(message) {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]);
}

/** An error answered by the daemon (or raised by the client), with the JSON-RPC code and data. */
class ResponseError extends Error {
  constructor(code, message, data) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

const CANCELLED = -32800;

/**
 * One `assist serve` process.
 *
 * Events: 'notification' (method, params), 'exit' ({code, signal, expected}), 'stderr' (text).
 * Options: command, args, cwd, env, rootUri, clientInfo, initializationOptions,
 * onRequest(method, params) → result (a promise is fine) for server-to-client requests.
 */
class LspClient extends EventEmitter {
  constructor(options) {
    super();
    this.options = options;
    this.nextId = 1;
    this.pending = new Map(); // id -> {resolve, reject, method}
    this.progressHandlers = new Map(); // token (as JSON) -> function(value)
    this.process = null;
    this.state = 'new'; // new | starting | running | stopping | exited
    this.exitInfo = null;
    this.stderrTail = [];
    this.initializeResult = null;
  }

  get running() {
    return this.state === 'running' || this.state === 'starting';
  }

  get pid() {
    return this.process ? this.process.pid : undefined;
  }

  /** Spawns the daemon and runs initialize + initialized. Resolves with the initialize result. */
  start() {
    if (this.startPromise) return this.startPromise;
    this.state = 'starting';
    const o = this.options;
    this.startPromise = new Promise((resolve, reject) => {
      let child;
      try {
        child = spawn(o.command, o.args || ['serve'], {
          cwd: o.cwd,
          env: o.env || process.env,
          stdio: ['pipe', 'pipe', 'pipe'],
        });
      } catch (e) {
        this.state = 'exited';
        reject(spawnError(o.command, e));
        return;
      }
      this.process = child;
      const reader = new FrameReader(
        (m) => this.dispatch(m),
        (e) => this.emit('stderr', e.message + '\n'),
      );
      child.stdout.on('data', (chunk) => reader.push(chunk));
      child.stderr.on('data', (chunk) => {
        const text = chunk.toString('utf8');
        this.stderrTail.push(...text.split('\n').filter(Boolean));
        if (this.stderrTail.length > 20) this.stderrTail.splice(0, this.stderrTail.length - 20);
        this.emit('stderr', text);
      });
      child.stdin.on('error', () => {}); // a dead daemon shows through 'exit'
      child.on('error', (e) => {
        if (this.state === 'starting' && !this.spawned) {
          this.state = 'exited';
          reject(spawnError(o.command, e));
        } else {
          this.emit('stderr', `assist serve: ${e.message}\n`);
        }
      });
      child.on('spawn', () => {
        this.spawned = true;
        const params = {
          processId: process.pid,
          clientInfo: o.clientInfo || { name: 'assist-vscode' },
          rootUri: o.rootUri,
          capabilities: {
            window: { workDoneProgress: true },
            workspace: { applyEdit: true, workspaceEdit: { documentChanges: false } },
            textDocument: { synchronization: { dynamicRegistration: false, didSave: false } },
          },
        };
        if (o.initializationOptions) params.initializationOptions = o.initializationOptions;
        this.request('initialize', params).promise.then(
          (result) => {
            this.initializeResult = result;
            this.state = 'running';
            this.notify('initialized', {});
            resolve(result);
          },
          (e) => {
            reject(e);
          },
        );
      });
      child.on('exit', (code, signal) => {
        const expected = this.state === 'stopping';
        const wasStarting = this.state === 'starting';
        this.state = 'exited';
        this.exitInfo = { code, signal, expected };
        const text = `assist serve stopped (${exitText(code, signal)})`;
        for (const [, p] of this.pending) p.reject(new ResponseError(-32099, text));
        this.pending.clear();
        if (wasStarting && this.spawned) {
          const tail = this.stderrTail.slice(-3).join('; ');
          reject(new ResponseError(-32099, `${text} while starting${tail ? ': ' + tail : ''}`));
        }
        this.emit('exit', this.exitInfo);
      });
    });
    return this.startPromise;
  }

  write(message) {
    if (!this.process || this.state === 'exited' || !this.process.stdin.writable) return false;
    this.process.stdin.write(frame(message));
    return true;
  }

  /** Sends a request; returns {id, promise}. The promise rejects with a ResponseError. */
  request(method, params) {
    const id = this.nextId++;
    const promise = new Promise((resolve, reject) => {
      if (this.state === 'exited') {
        reject(new ResponseError(-32099, `assist serve is not running (${exitText(this.exitInfo && this.exitInfo.code, this.exitInfo && this.exitInfo.signal)})`));
        return;
      }
      this.pending.set(id, { resolve, reject, method });
      this.write({ jsonrpc: '2.0', id, method, params });
    });
    return { id, promise };
  }

  notify(method, params) {
    return this.write({ jsonrpc: '2.0', method, params });
  }

  /** Asks the daemon to cancel request `id`; its promise then rejects with code -32800. */
  cancel(id) {
    if (this.pending.has(id)) this.notify('$/cancelRequest', { id });
  }

  /** Calls `handler(value)` for each $/progress of `token` until the returned function is called. */
  onProgress(token, handler) {
    const key = JSON.stringify(token);
    this.progressHandlers.set(key, handler);
    return () => {
      if (this.progressHandlers.get(key) === handler) this.progressHandlers.delete(key);
    };
  }

  dispatch(message) {
    if (Array.isArray(message)) {
      message.forEach((m) => this.dispatch(m));
      return;
    }
    if (message.method !== undefined && message.id !== undefined) {
      this.answerServerRequest(message);
    } else if (message.method !== undefined) {
      if (message.method === '$/progress' && message.params) {
        const handler = this.progressHandlers.get(JSON.stringify(message.params.token));
        if (handler) {
          try {
            handler(message.params.value);
          } catch (e) {
            this.emit('stderr', `progress handler failed: ${e.message}\n`);
          }
        }
      }
      this.emit('notification', message.method, message.params);
    } else if (message.id !== undefined && message.id !== null) {
      const p = this.pending.get(message.id);
      if (!p) return;
      this.pending.delete(message.id);
      if (message.error) {
        p.reject(new ResponseError(message.error.code, message.error.message, message.error.data));
      } else {
        p.resolve(message.result);
      }
    } else if (message.error) {
      this.emit('stderr', `assist serve could not read a message: ${message.error.message}\n`);
    }
  }

  async answerServerRequest(message) {
    const { id, method, params } = message;
    try {
      let result;
      if (method === 'window/workDoneProgress/create') {
        result = null;
      } else if (this.options.onRequest) {
        result = await this.options.onRequest(method, params);
      } else {
        throw new ResponseError(-32601, `method not found: ${method}`);
      }
      this.write({ jsonrpc: '2.0', id, result: result === undefined ? null : result });
    } catch (e) {
      this.write({
        jsonrpc: '2.0',
        id,
        error: { code: typeof e.code === 'number' ? e.code : -32603, message: e.message || String(e) },
      });
    }
  }

  /** shutdown, then exit; kills the process if it has not ended within `waitMs`. */
  async stop(waitMs = 2000) {
    if (!this.process || this.state === 'exited') return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    if (this.state === 'running') {
      const { promise } = this.request('shutdown');
      this.state = 'stopping';
      await Promise.race([promise.catch(() => {}), delay(waitMs)]);
    }
    this.state = 'stopping';
    this.notify('exit');
    try {
      this.process.stdin.end();
    } catch (_) {
      // already closed
    }
    const ended = await Promise.race([exited.then(() => true), delay(waitMs).then(() => false)]);
    if (!ended) {
      this.process.kill('SIGKILL');
      await Promise.race([exited, delay(waitMs)]);
    }
  }
}

function delay(ms) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    if (t.unref) t.unref();
  });
}

const SIGNALS = require('os').constants.signals;

function exitText(code, signal) {
  if (code !== null && code !== undefined) return `exit code ${code}`;
  if (signal) return `exit code ${128 + (SIGNALS[signal] || 0)}, ${signal}`;
  return 'exit code unknown';
}

function spawnError(command, e) {
  if (e && e.code === 'ENOENT') {
    return new ResponseError(
      -32099,
      `cannot start '${command} serve': the program was not found. Set the assist.path setting to the assist executable.`,
    );
  }
  if (e && e.code === 'EACCES') {
    return new ResponseError(
      -32099,
      `cannot start '${command} serve': the program is not executable. Check the assist.path setting.`,
    );
  }
  return new ResponseError(-32099, `cannot start '${command} serve': ${e && e.message}. Check the assist.path setting.`);
}

module.exports = { LspClient, FrameReader, frame, ResponseError, CANCELLED, exitText };
