-- assist.nvim: a thin client of `assist serve` on Neovim's built-in LSP client (Neovim >= 0.10).
local M = {}

local preview = require("assist.preview")

local defaults = {
  cmd = { "assist", "serve" }, -- the daemon's command line, as vim.lsp.start takes it
  preview = true, -- show edits as a diff first; false applies them at once
  model = nil, -- local model: "qwen2.5-coder-0.5b" or "smollm2-135m"; nil lets the daemon choose
  init_options = nil, -- initializationOptions for the daemon
  cmd_env = nil, -- extra environment for the daemon
  autostart = true, -- start the daemon when a Swift buffer is opened
  notify_progress = true, -- echo $/progress messages
  keymaps = { accept_all = "A", accept_hunk = "a", reject = "q" }, -- keys of the preview buffer
  start_timeout_ms = 15000, -- how long the daemon may take to answer initialize
  cancel_timeout_ms = 10000, -- how long to wait for the daemon to acknowledge a cancel
}

M.config = vim.deepcopy(defaults)

--- State shown by status() and used by the commands (and the tests).
M.state = {
  phase = "idle", -- idle | starting | busy | error | stopped
  progress = nil, -- { title, message, percentage }
  progress_seen = {}, -- every $/progress value seen, in order
  last = nil, -- the last result { method, route, usage, costUSD }
  last_error = nil, -- { code, message }
  inflight = nil, -- { client_id, id, method, cancelled }
  restarts = 0,
  answer_pieces = 0,
}

local token_seq = 0
local partial_handlers = {} -- token -> function(piece)
local stopping = {} -- client_id -> true when we stopped it on purpose
local died = {} -- root -> true: the daemon of root exited unexpectedly; the next start is a restart

local function notify(msg, level)
  vim.notify("assist: " .. msg, level or vim.log.levels.INFO)
end

local function redraw()
  pcall(vim.cmd.redrawstatus)
end

local function has_011()
  return vim.fn.has("nvim-0.11") == 1
end

local function req(client, name, params, handler, bufnr)
  if has_011() then
    return client:request(name, params, handler, bufnr)
  end
  return client.request(name, params, handler, bufnr)
end

local function call(client, name, ...)
  if has_011() then
    return client[name](client, ...)
  end
  return client[name](...)
end

local function next_token(prefix)
  token_seq = token_seq + 1
  return string.format("assist-nvim-%s-%d", prefix, token_seq)
end

local function get_clients(filter)
  filter = vim.tbl_extend("force", { name = "assist", _uninitialized = true }, filter or {})
  return vim.lsp.get_clients(filter)
end

--- The repository root of a buffer (the folder with .git), else the current directory's.
function M.root(bufnr)
  bufnr = bufnr or 0
  local root
  if vim.api.nvim_buf_get_name(bufnr) ~= "" and vim.bo[bufnr].buftype == "" then
    root = vim.fs.root(bufnr, ".git")
  end
  if not root then
    root = vim.fs.root(vim.fn.getcwd(), ".git")
  end
  return root or vim.fn.getcwd()
end

--- The daemon's executable (cmd[1] as given, else found on PATH), or nil and the error text.
function M.executable()
  local cmd = M.config.cmd
  if type(cmd) ~= "table" or type(cmd[1]) ~= "string" or cmd[1] == "" then
    return nil, "the cmd setting must be a command line, e.g. { 'assist', 'serve' } (require('assist').setup{ cmd = ... })"
  end
  if vim.fn.executable(cmd[1]) ~= 1 then
    return nil,
      string.format(
        "`%s` was not found or is not executable: set cmd in require('assist').setup{ cmd = { '/path/to/assist', 'serve' } } or put assist on PATH",
        cmd[1]
      )
  end
  return vim.fn.exepath(cmd[1]) ~= "" and vim.fn.exepath(cmd[1]) or cmd[1]
end

local function on_progress(err, params, ctx)
  if not params then
    return
  end
  local value = params.value
  local partial = partial_handlers[params.token]
  if partial and type(value) == "table" and value.answer ~= nil and value.kind == nil then
    partial(value.answer)
    return
  end
  if type(value) == "table" and value.kind then
    table.insert(M.state.progress_seen, vim.deepcopy(value))
    if value.kind == "begin" then
      M.state.progress = { title = value.title, message = value.message, percentage = value.percentage }
    elseif value.kind == "report" and M.state.progress then
      M.state.progress.message = value.message or M.state.progress.message
      M.state.progress.percentage = value.percentage or M.state.progress.percentage
    elseif value.kind == "end" then
      M.state.progress = nil
    end
    if M.config.notify_progress then
      local text = value.message or value.title or value.kind
      if value.kind == "begin" then
        text = value.title or "working"
      elseif value.kind == "end" then
        text = value.message or "done"
      end
      if value.percentage then
        text = string.format("%s (%d%%)", text, value.percentage)
      end
      pcall(vim.api.nvim_echo, { { "assist: " .. tostring(text) } }, false, {})
    end
    redraw()
  end
  local default = vim.lsp.handlers["$/progress"]
  if default then
    pcall(default, err, params, ctx)
  end
end

local function find_client(root)
  for _, client in ipairs(get_clients()) do
    if client.root_dir == root and not call(client, "is_stopped") then
      return client
    end
  end
  return nil
end

local function client_config(cmd, root)
  return {
    name = "assist",
    cmd = cmd,
    cmd_env = M.config.cmd_env,
    root_dir = root,
    init_options = M.config.init_options,
    handlers = { ["$/progress"] = on_progress },
    on_exit = function(code, signal, cid)
      vim.schedule(function()
        if M.state.inflight and M.state.inflight.client_id == cid then
          M.state.inflight = nil
        end
        M.state.progress = nil
        if stopping[cid] then
          stopping[cid] = nil
          M.state.phase = "stopped"
          redraw()
          return
        end
        died[root] = true
        M.state.phase = "error"
        M.state.last_error = {
          message = string.format("daemon exited (code %d, signal %d)", code or -1, signal or 0),
        }
        notify(
          string.format(
            "the daemon for %s exited unexpectedly (code %d, signal %d); it will be restarted on the next command",
            root,
            code or -1,
            signal or 0
          ),
          vim.log.levels.ERROR
        )
        redraw()
      end)
    end,
  }
end

local function reuse(c, conf)
  return c.name == conf.name and c.root_dir == conf.root_dir and not call(c, "is_stopped")
end

--- Starts (or finds) the daemon of a repository root; attaches `bufnr` when it is a file buffer.
--- Returns the client id, or nil after showing the error.
function M.start(bufnr, quiet_missing)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local exe, why = M.executable()
  if not exe then
    M.state.phase = "error"
    M.state.last_error = { message = why }
    notify("cannot start the daemon: " .. why, vim.log.levels.ERROR)
    return nil
  end
  local root = M.root(bufnr)
  local attachable = vim.bo[bufnr].buftype == "" and vim.api.nvim_buf_get_name(bufnr) ~= ""
  local existing = find_client(root)
  if existing then
    if attachable and not vim.lsp.buf_is_attached(bufnr, existing.id) then
      vim.lsp.buf_attach_client(bufnr, existing.id)
    end
    return existing.id
  end
  local restarting = died[root]
  M.state.phase = "starting"
  local config = client_config(M.config.cmd, root)
  local ok, id
  if attachable then
    ok, id = pcall(vim.lsp.start, config, { bufnr = bufnr, reuse_client = reuse })
  elseif has_011() then
    ok, id = pcall(vim.lsp.start, config, { attach = false, reuse_client = reuse })
  else
    ok, id = pcall(vim.lsp.start_client, config)
  end
  if not ok or not id then
    M.state.phase = "error"
    M.state.last_error = { message = tostring(id) }
    notify("cannot start the daemon `" .. table.concat(M.config.cmd, " ") .. "`: " .. tostring(id), vim.log.levels.ERROR)
    return nil
  end
  if restarting then
    died[root] = nil
    M.state.restarts = M.state.restarts + 1
    notify("restarted the daemon for " .. root, vim.log.levels.WARN)
  end
  redraw()
  return id
end

--- Starts (or finds) the daemon for the buffer's repository and attaches the buffer.
--- Calls `cb(client)` once it is initialized and the buffer is attached; on failure shows the error.
function M.with_client(bufnr, cb)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local client_id = M.start(bufnr)
  if not client_id then
    return
  end
  local attachable = vim.bo[bufnr].buftype == "" and vim.api.nvim_buf_get_name(bufnr) ~= ""
  local deadline = vim.uv.now() + M.config.start_timeout_ms
  local function poll()
    local c = vim.lsp.get_client_by_id(client_id)
    if not c or call(c, "is_stopped") then
      M.state.phase = "error"
      notify("the daemon stopped before it answered initialize", vim.log.levels.ERROR)
      return
    end
    local attached = not attachable or vim.lsp.buf_is_attached(bufnr, client_id)
    if c.initialized and attached then
      if M.state.phase ~= "busy" then
        M.state.phase = "idle"
      end
      cb(c)
      return
    end
    if vim.uv.now() > deadline then
      M.state.phase = "error"
      notify("the daemon did not answer initialize in time", vim.log.levels.ERROR)
      return
    end
    vim.defer_fn(poll, 20)
  end
  poll()
end

local function error_text(err)
  local msg = err.message or tostring(err)
  if type(err.data) == "table" and type(err.data.reasons) == "table" and #err.data.reasons > 0 then
    local parts = {}
    for _, r in ipairs(err.data.reasons) do
      table.insert(parts, string.format("  %s: %s (%s)", r.step, r.outcome, r.detail))
    end
    msg = msg .. "\n" .. table.concat(parts, "\n")
  end
  return msg
end

local function finish_cancelled(inflight)
  if M.state.inflight ~= inflight then
    return
  end
  M.state.inflight = nil
  M.state.progress = nil
  M.state.phase = "idle"
  M.state.last_error = { code = -32800, message = "request cancelled" }
  if inflight.on_cancel then
    pcall(inflight.on_cancel)
  end
  notify(inflight.method .. " cancelled; nothing was changed", vim.log.levels.WARN)
  redraw()
end

-- Neovim drops the -32800 answer of a cancelled request without calling its handler; the
-- LspRequest autocmd ("complete") still tells that the daemon answered.
vim.api.nvim_create_autocmd("LspRequest", {
  group = vim.api.nvim_create_augroup("assist_requests", { clear = true }),
  callback = function(ev)
    local inflight = M.state.inflight
    local data = ev.data or {}
    if
      inflight
      and inflight.cancelled
      and data.client_id == inflight.client_id
      and data.request_id == inflight.id
      and data.request
      and data.request.type == "complete"
    then
      vim.schedule(function()
        finish_cancelled(inflight)
      end)
    end
  end,
})

--- Sends a request with a workDoneToken and tracks it as the request in flight.
local function run(bufnr, name, params, on_result, extra, on_cancel)
  if M.state.inflight then
    notify("a request is already running (" .. M.state.inflight.method .. "); :AssistCancel cancels it", vim.log.levels.WARN)
    return
  end
  M.with_client(bufnr, function(client)
    if M.state.inflight then
      notify("a request is already running (" .. M.state.inflight.method .. ")", vim.log.levels.WARN)
      return
    end
    params.workDoneToken = next_token("work")
    if M.config.model and params.model == nil then
      params.model = M.config.model
    end
    if extra then
      extra(params)
    end
    M.state.phase = "busy"
    M.state.last_error = nil
    M.state.progress = nil
    local inflight = { client_id = client.id, method = name, on_cancel = on_cancel }
    local ok, id = req(client, name, params, function(err, result)
      if M.state.inflight == inflight then
        M.state.inflight = nil
      elseif inflight.cancelled or M.state.inflight ~= nil then
        return -- cancelled already handled, or another request took over
      end
      if params.partialResultToken then
        partial_handlers[params.partialResultToken] = nil
      end
      M.state.progress = nil
      if err then
        M.state.last_error = { code = err.code, message = err.message }
        if err.code == -32800 then
          M.state.phase = "idle"
          notify(name .. " cancelled; nothing was changed", vim.log.levels.WARN)
        else
          M.state.phase = "error"
          notify(name .. " failed: " .. error_text(err), vim.log.levels.ERROR)
        end
        redraw()
        return
      end
      M.state.phase = "idle"
      if type(result) == "table" then
        M.state.last = { method = name, route = result.route, usage = result.usage, costUSD = result.costUSD }
      end
      local okr, e = pcall(on_result, result or {}, client)
      if not okr then
        notify("could not show the result of " .. name .. ": " .. tostring(e), vim.log.levels.ERROR)
      end
      redraw()
    end, bufnr)
    if not ok or not id then
      M.state.phase = "error"
      notify("could not send " .. name .. " to the daemon", vim.log.levels.ERROR)
      return
    end
    inflight.id = id
    M.state.inflight = inflight
    redraw()
  end)
end

local function has_edits(edits)
  if type(edits) ~= "table" then
    return false
  end
  for _, list in pairs(edits) do
    if type(list) == "table" and #list > 0 then
      return true
    end
  end
  return false
end

--- Shows an edit map (URI → TextEdit[]) as a preview, or applies it at once when preview is off.
function M.offer(edits, title)
  if not has_edits(edits) then
    return false
  end
  if M.config.preview then
    if not preview.open(edits, { title = title, keymaps = M.config.keymaps }) then
      return false
    end
  else
    preview.apply_all_now(edits)
    notify(title .. ": applied")
  end
  return true
end

local function file_uri(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" or vim.bo[bufnr].buftype ~= "" then
    notify("this buffer has no file; open a Swift file of the repository", vim.log.levels.ERROR)
    return nil
  end
  return vim.uri_from_bufnr(bufnr)
end

local function docstring(params_extra, title)
  local bufnr = vim.api.nvim_get_current_buf()
  local uri = file_uri(bufnr)
  if not uri then
    return
  end
  local params = vim.tbl_extend("force", { textDocument = { uri = uri } }, params_extra)
  run(bufnr, "assist/docstring", params, function(result)
    local failures = result.failures or {}
    if #failures > 0 then
      local names = {}
      for _, f in ipairs(failures) do
        local why = f.error or f.reason or f.message
        table.insert(names, (f.name or "?") .. (why and (": " .. tostring(why)) or ""))
      end
      notify("no valid comment for " .. table.concat(names, "; "), vim.log.levels.WARN)
    end
    if not M.offer(result.edits, title) and #failures == 0 then
      notify("nothing to document")
    end
  end)
end

--- :AssistDocument: the declaration at the cursor.
function M.document()
  local pos = vim.api.nvim_win_get_cursor(0)
  docstring({ position = { line = pos[1] - 1, character = 0 } }, "Document declaration")
end

--- :AssistDocumentFile: every undocumented declaration of the buffer.
function M.document_file()
  docstring({ all = true }, "Document file")
end

local function utf16_len(text)
  local ok, n = pcall(vim.str_utfindex, text, "utf-16")
  if ok and type(n) == "number" then
    return n
  end
  local _, u16 = vim.str_utfindex(text)
  return u16 or #text
end

--- :'<,'>AssistRefactor {instruction}: rewrite lines line1..line2 (1-based).
function M.refactor(instruction, line1, line2)
  if not instruction or vim.trim(instruction) == "" then
    notify("give an instruction: :'<,'>AssistRefactor {instruction}", vim.log.levels.ERROR)
    return
  end
  local bufnr = vim.api.nvim_get_current_buf()
  local uri = file_uri(bufnr)
  if not uri then
    return
  end
  line1 = line1 or 1
  line2 = line2 or vim.api.nvim_buf_line_count(bufnr)
  local last = vim.api.nvim_buf_get_lines(bufnr, line2 - 1, line2, false)[1] or ""
  local params = {
    textDocument = { uri = uri },
    instruction = instruction,
    range = { start = { line = line1 - 1, character = 0 }, ["end"] = { line = line2 - 1, character = utf16_len(last) } },
  }
  run(bufnr, "assist/refactor", params, function(result)
    if not M.offer(result.edits, "Refactor: " .. instruction) then
      notify("the refactor changed nothing")
    end
  end)
end

--- The read-only buffer the answers of :AssistAsk stream into.
function M.answer_buffer()
  local name = "assist://answer"
  local buf = vim.fn.bufnr(name)
  if buf == -1 or not vim.api.nvim_buf_is_valid(buf) then
    buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(buf, name)
    vim.bo[buf].buftype = "nofile"
    vim.bo[buf].bufhidden = "hide"
    vim.bo[buf].swapfile = false
    vim.bo[buf].filetype = "markdown"
  end
  return buf
end

local function set_lines(buf, lines)
  vim.bo[buf].modifiable = true
  vim.bo[buf].readonly = false
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].readonly = true
  vim.bo[buf].modified = false
end

--- :AssistAsk {question}: the answer streams into the read-only buffer assist://answer.
function M.ask(question)
  if not question or vim.trim(question) == "" then
    notify("give a question: :AssistAsk {question}", vim.log.levels.ERROR)
    return
  end
  local src = vim.api.nvim_get_current_buf()
  local params = { question = question }
  local name = vim.api.nvim_buf_get_name(src)
  if name:match("%.swift$") and vim.bo[src].buftype == "" then
    params.textDocument = { uri = vim.uri_from_bufnr(src) }
  end
  if not M.executable() then
    M.start(src) -- shows the error
    return
  end
  local buf = M.answer_buffer()
  local header = { "# " .. question, "" }
  local text = ""
  set_lines(buf, vim.list_extend(vim.deepcopy(header), { "(waiting for the answer…)" }))
  if vim.fn.bufwinid(buf) == -1 then
    local cur = vim.api.nvim_get_current_win()
    vim.cmd("botright split")
    vim.api.nvim_win_set_buf(0, buf)
    vim.api.nvim_set_current_win(cur)
  end
  M.state.answer_pieces = 0
  local function show(body)
    if vim.api.nvim_buf_is_valid(buf) then
      set_lines(buf, vim.list_extend(vim.deepcopy(header), vim.split(body, "\n", { plain = true })))
    end
  end
  run(src, "assist/ask", params, function(result)
    show(result.answer or text)
    if result.changeError then
      notify("the proposed change could not be used: " .. result.changeError, vim.log.levels.WARN)
    end
    M.offer(result.edits, "Ask: " .. question)
  end, function(p)
    p.partialResultToken = next_token("answer")
    partial_handlers[p.partialResultToken] = function(piece)
      text = text .. piece
      M.state.answer_pieces = M.state.answer_pieces + 1
      show(text)
    end
  end, function()
    show(text .. (text == "" and "" or "\n") .. "(cancelled)")
  end)
end

--- The lines :AssistRoute shows.
function M.route_lines()
  local last = M.state.last
  if not last or not last.route then
    return { "no request has answered yet" }
  end
  local r, u = last.route, last.usage or {}
  local lines = {
    string.format("%s: kind %s, backend %s, model %s", last.method, tostring(r.kind), tostring(r.backend), tostring(r.model)),
    string.format(
      "tokens: %s prompt, %s completion; cost: $%.4f",
      tostring(u.promptTokens or 0),
      tostring(u.completionTokens or 0),
      tonumber(last.costUSD) or 0
    ),
  }
  if r.reasons and #r.reasons > 0 then
    table.insert(lines, "reasons:")
  end
  for _, reason in ipairs(r.reasons or {}) do
    table.insert(lines, string.format("  %s: %s (%s)", reason.step, reason.outcome, reason.detail))
  end
  return lines
end

--- :AssistRoute: the last request's route, tokens and cost.
function M.show_route()
  local text = table.concat(M.route_lines(), "\n")
  notify(text)
  return text
end

--- :AssistCancel: $/cancelRequest for the request in flight.
function M.cancel()
  local inflight = M.state.inflight
  if not inflight then
    notify("no request is running")
    return false
  end
  local client = vim.lsp.get_client_by_id(inflight.client_id)
  if not client then
    M.state.inflight = nil
    M.state.phase = "idle"
    return false
  end
  inflight.cancelled = true
  call(client, "cancel_request", inflight.id)
  notify("cancelling " .. inflight.method)
  vim.defer_fn(function()
    finish_cancelled(inflight) -- no answer from the daemon in time: stop waiting for it
  end, M.config.cancel_timeout_ms)
  return true
end

--- For the statusline: `%{v:lua.require'assist'.status()}`.
function M.status()
  local s = M.state
  if s.phase == "busy" then
    local p = s.progress
    local text = "assist: busy"
    if p then
      text = text .. " " .. (p.message or p.title or "")
    elseif s.inflight then
      text = text .. " " .. s.inflight.method
    end
    return vim.trim(text)
  elseif s.phase == "starting" then
    return "assist: starting"
  elseif s.phase == "error" then
    return "assist: error"
  elseif s.phase == "stopped" then
    return "assist: stopped"
  end
  local text = "assist: idle"
  if s.last and s.last.route then
    text = text .. string.format(" %s %s", tostring(s.last.route.backend), tostring(s.last.route.model))
  end
  return text
end

--- Stops every assist daemon (shutdown, exit).
function M.stop()
  for _, client in ipairs(get_clients()) do
    stopping[client.id] = true
    call(client, "stop")
  end
end

local commands_defined = false

--- Defines the user commands (idempotent); plugin/assist.lua and setup() call it.
function M.define_commands()
  if commands_defined then
    return
  end
  commands_defined = true
  local cmd = vim.api.nvim_create_user_command
  cmd("AssistDocument", function()
    M.document()
  end, { desc = "assist: document the declaration at the cursor" })
  cmd("AssistDocumentFile", function()
    M.document_file()
  end, { desc = "assist: document every undocumented declaration of the file" })
  cmd("AssistRefactor", function(o)
    M.refactor(o.args, o.line1, o.line2)
  end, { nargs = "+", range = "%", desc = "assist: refactor the selected lines as the instruction says" })
  cmd("AssistAsk", function(o)
    M.ask(o.args)
  end, { nargs = "+", desc = "assist: ask a question about the repository" })
  cmd("AssistRoute", function()
    M.show_route()
  end, { desc = "assist: show the last request's route, tokens and cost" })
  cmd("AssistCancel", function()
    M.cancel()
  end, { desc = "assist: cancel the request in flight" })
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(defaults), opts or {})
  if opts and opts.cmd then
    M.config.cmd = opts.cmd -- a list: replace, do not merge
  end
  if opts and opts.keymaps then
    M.config.keymaps = vim.tbl_extend("force", vim.deepcopy(defaults.keymaps), opts.keymaps)
  end
  M.define_commands()
  local group = vim.api.nvim_create_augroup("assist_autostart", { clear = true })
  if M.config.autostart then
    vim.api.nvim_create_autocmd({ "BufReadPost", "BufNewFile" }, {
      group = group,
      pattern = "*.swift",
      callback = function(ev)
        if vim.bo[ev.buf].buftype == "" then
          M.start(ev.buf)
        end
      end,
    })
  end
  return M
end

M._preview = preview
return M
