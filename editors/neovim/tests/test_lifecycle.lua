-- Cancel, a missing binary, a killed daemon, :checkhealth assist.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))
local assist = require("assist")
local preview = require("assist.preview")

H.standin({})

local function daemon_pid(buf)
  local client = vim.lsp.get_clients({ name = "assist", bufnr = buf })[1]
  local resp = client:request_sync("assist/status", {}, 10000, buf)
  return resp.result.pid, client
end

H.test("cancel: :AssistCancel ends a slow request within seconds; buffer untouched; idle again", function()
  H.setup()
  H.rules({ { reply = H.DOC_REPLY, delay = 30 } })
  local root = H.repo()
  local buf = H.open(root)
  vim.cmd("AssistDocument")
  H.truthy(H.wait(10000, function()
    return #assist.state.progress_seen > 0 and #H.standin_requests() > 0
  end), "the request reached the model")
  H.truthy(assist.status():match("^assist: busy"), "busy before the cancel: " .. assist.status())
  local t0 = vim.uv.now()
  vim.cmd("AssistCancel")
  H.truthy(H.done(8000), "the request ended after the cancel")
  local secs = (vim.uv.now() - t0) / 1000
  H.truthy(secs < 5, string.format("ended %.1f s after the cancel", secs))
  H.truthy(H.message_matching("assist/docstring cancelled; nothing was changed", vim.log.levels.WARN), "cancel message")
  H.eq("end", assist.state.progress_seen[#assist.state.progress_seen].kind, "progress ended")
  H.eq("assist: idle", assist.status(), "status line after the cancel")
  H.eq({ H.SOURCE }, H.lines(buf), "buffer untouched")
  H.truthy(preview.current == nil, "no preview")
  -- The daemon still works after the cancel.
  H.rules({ { reply = H.DOC_REPLY } })
  vim.cmd("AssistDocument")
  H.truthy(vim.tbl_contains(H.wait_preview(), "+/// Adds two integers."), "a later request works")
end)

H.test("missing binary: a clear error naming the cmd setting", function()
  H.setup({ cmd = { "/nonexistent/assist", "serve" } })
  local root = H.repo()
  vim.cmd("edit " .. vim.fs.joinpath(root, "Sources/Math.swift"))
  H.messages = {}
  vim.cmd("AssistDocument")
  local msg = H.truthy(H.message_matching("nonexistent", vim.log.levels.ERROR), "error shown: " .. vim.inspect(H.messages))
  H.eq(
    "assist: cannot start the daemon: `/nonexistent/assist` was not found or is not executable: set cmd in require('assist').setup{ cmd = { '/path/to/assist', 'serve' } } or put assist on PATH",
    msg,
    "error text"
  )
  H.eq("assist: error", assist.status(), "status line")
  H.eq(0, #vim.lsp.get_clients({ name = "assist", _uninitialized = true }), "no client started")
end)

H.test("missing binary on PATH: the default cmd names the setting too", function()
  H.setup({ cmd = { "assist-not-on-path", "serve" } })
  H.messages = {}
  vim.cmd("AssistAsk what is this?")
  H.truthy(H.message_matching("`assist%-not%-on%-path` was not found or is not executable: set cmd in require%('assist'%)%.setup", vim.log.levels.ERROR), vim.inspect(H.messages))
end)

H.test("daemon killed: the plugin says so and restarts it on the next command", function()
  H.setup()
  H.rules({ { reply = H.DOC_REPLY } })
  local root = H.repo()
  local buf = H.open(root)
  local pid = daemon_pid(buf)
  vim.uv.kill(pid, "sigkill")
  local died = H.truthy(H.wait(10000, function()
    return H.message_matching("exited unexpectedly") ~= nil
  end) and H.message_matching("exited unexpectedly"), "death reported")
  H.eq(
    string.format("assist: the daemon for %s exited unexpectedly (code 0, signal 9); it will be restarted on the next command", root),
    died,
    "death message"
  )
  H.eq("assist: error", assist.status(), "status line after the death")
  vim.cmd("AssistDocument")
  H.truthy(H.message_matching("restarted the daemon for " .. vim.pesc(root)), "restart message: " .. vim.inspect(H.messages))
  H.truthy(vim.tbl_contains(H.wait_preview(), "+/// Adds two integers."), "the command works after the restart")
  local pid2 = daemon_pid(buf)
  H.truthy(pid2 ~= pid, "a new daemon process")
  H.eq(1, assist.state.restarts, "one restart")
end)

H.test("checkhealth assist: binary, version, daemon and Neovim OK", function()
  H.setup()
  local root = H.repo()
  H.open(root)
  vim.cmd("checkhealth assist")
  local text = table.concat(H.lines(), "\n")
  local function has(pat)
    H.truthy(text:find(pat), "checkhealth shows " .. pat .. ":\n" .. text)
  end
  has("OK Neovim 0%.%d+%.%d+ %(0%.10 or later%)")
  has("OK " .. vim.pesc(vim.fn.exepath(H.bin)) .. " found, version 0%.1%.0")
  has("OK daemon 0%.1%.0 answering %(pid %d+, root " .. vim.pesc(root) .. "%)")
  has("OK repository " .. vim.pesc(root) .. " %(branch %w+%)")
  has("model qwen2%.5%-coder%-0%.5b")
  vim.cmd("tabclose")
end)

H.finish()
