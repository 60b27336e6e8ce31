-- Helpers of the assist.nvim tests: run with `nvim --headless -u NONE -l tests/FILE.lua`.
-- Each test prints "ok - NAME" or "not ok - NAME: ERROR"; the file ends with "# N passed, M failed".
local H = {}

local this = debug.getinfo(1, "S").source:sub(2)
H.tests_dir = vim.fs.dirname(vim.fn.fnamemodify(this, ":p"))
H.plugin_dir = vim.fs.dirname(H.tests_dir)
H.standin_py = vim.fs.joinpath(H.plugin_dir, "..", "testing", "stand_in_model.py")
H.bin = os.getenv("ASSIST_BIN") or "assist"

vim.opt.rtp:prepend(H.plugin_dir)
vim.opt.swapfile = false
vim.opt.shortmess:append("F")
pcall(function()
  vim.lsp.log.set_level(vim.log.levels.OFF)
end)

H.SOURCE = "public func add(_ a: Int, _ b: Int) -> Int { a + b }"
H.DOC_REPLY = "/// Adds two integers.\n/// - Parameters:\n///   - a: The first.\n///   - b: The second.\n/// - Returns: The sum.\n"
-- The comment as the daemon inserts it (it adds the blank /// line after the summary).
H.DOC_APPLIED = {
  "/// Adds two integers.",
  "///",
  "/// - Parameters:",
  "///   - a: The first.",
  "///   - b: The second.",
  "/// - Returns: The sum.",
}

--- Every vim.notify message, as { msg, level }.
H.messages = {}
vim.notify = function(msg, level)
  table.insert(H.messages, { msg = msg, level = level or vim.log.levels.INFO })
  if os.getenv("ASSIST_TEST_VERBOSE") then
    io.stderr:write("[notify " .. tostring(level) .. "] " .. tostring(msg) .. "\n")
  end
end

function H.message_matching(pattern, level)
  for _, m in ipairs(H.messages) do
    if tostring(m.msg):find(pattern) and (level == nil or m.level == level) then
      return m.msg
    end
  end
  return nil
end

function H.wait(ms, cond)
  return vim.wait(ms, cond, 20)
end

local function shell(cmd, cwd)
  local r = vim.system(cmd, { cwd = cwd, text = true }):wait()
  assert(r.code == 0, table.concat(cmd, " ") .. " failed: " .. (r.stderr or ""))
  return r.stdout
end

--- A fresh git repository with `files` (path → text); returns its root (real path).
function H.repo(files)
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir, "p")
  dir = vim.uv.fs_realpath(dir)
  files = files or { ["Sources/Math.swift"] = H.SOURCE .. "\n" }
  for path, text in pairs(files) do
    local full = vim.fs.joinpath(dir, path)
    vim.fn.mkdir(vim.fs.dirname(full), "p")
    local f = assert(io.open(full, "w"))
    f:write(text)
    f:close()
  end
  shell({ "git", "init", "-q" }, dir)
  shell({ "git", "add", "." }, dir)
  shell({ "git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init" }, dir)
  table.insert(H._dirs, dir)
  return dir
end
H._dirs = {}

--- Starts the stand-in model; `H.rules(list)` changes its replies (read again on each request).
function H.standin(rules)
  H.rules_file = vim.fn.tempname() .. ".json"
  H.log_file = vim.fn.tempname() .. ".log"
  H.rules(rules or {})
  local port
  H.standin_proc = vim.system({ "python3", H.standin_py, "--replies", H.rules_file, "--log", H.log_file }, {
    stdout = function(_, data)
      if data and not port then
        port = data:match("PORT (%d+)")
      end
    end,
  })
  assert(H.wait(10000, function()
    return port ~= nil
  end), "the stand-in model did not start")
  H.port = port
  vim.env.ASSIST_PROVIDERS_LOCAL_BASE_URL = "http://127.0.0.1:" .. port .. "/v1"
  vim.env.ASSIST_PROVIDERS_LOCAL_MODEL = "stand-in"
  return port
end

function H.rules(rules)
  local f = assert(io.open(H.rules_file, "w"))
  f:write(vim.json.encode(rules))
  f:close()
end

--- Prompts the stand-in received so far.
function H.standin_requests()
  local out = {}
  local f = io.open(H.log_file or "", "r")
  if not f then
    return out
  end
  for line in f:lines() do
    table.insert(out, vim.json.decode(line))
  end
  f:close()
  return out
end

--- Stops every daemon and waits until they are gone; closes previews and answer buffers.
function H.reset()
  local assist = require("assist")
  pcall(assist._preview.close)
  assist.stop()
  H.wait(5000, function()
    return #vim.lsp.get_clients({ name = "assist", _uninitialized = true }) == 0
  end)
  for _, c in ipairs(vim.lsp.get_clients({ name = "assist", _uninitialized = true })) do
    c:stop(true)
  end
  H.wait(3000, function()
    return #vim.lsp.get_clients({ name = "assist", _uninitialized = true }) == 0
  end)
  vim.cmd("silent! only")
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_valid(b) and b ~= vim.api.nvim_get_current_buf() then
      pcall(vim.api.nvim_buf_delete, b, { force = true })
    end
  end
  vim.cmd("silent! enew!")
  assist.state.phase = "idle"
  assist.state.inflight = nil
  assist.state.last = nil
  assist.state.last_error = nil
  assist.state.progress = nil
  assist.state.progress_seen = {}
  H.messages = {}
end

--- setup() with the test binary and `opts`.
function H.setup(opts)
  return require("assist").setup(vim.tbl_deep_extend("force", { cmd = { H.bin, "serve" }, preview = true }, opts or {}))
end

--- Opens `path` of `root` and waits until the daemon serves it.
function H.open(root, path)
  vim.cmd("edit " .. vim.fn.fnameescape(vim.fs.joinpath(root, path or "Sources/Math.swift")))
  local buf = vim.api.nvim_get_current_buf()
  assert(H.wait(15000, function()
    local c = vim.lsp.get_clients({ name = "assist", bufnr = buf })[1]
    return c ~= nil and c.initialized
  end), "the daemon did not attach to " .. (path or "Sources/Math.swift"))
  return buf
end

function H.lines(buf)
  return vim.api.nvim_buf_get_lines(buf or 0, 0, -1, false)
end

--- Waits until no request is in flight.
function H.done(ms)
  local assist = require("assist")
  return H.wait(ms or 60000, function()
    return assist.state.inflight == nil and assist.state.phase ~= "busy" and assist.state.phase ~= "starting"
  end)
end

function H.wait_preview(ms)
  local p = require("assist.preview")
  assert(H.wait(ms or 60000, function()
    return p.current ~= nil
  end), "no preview was shown; messages: " .. vim.inspect(H.messages))
  return p.lines()
end

function H.eq(expected, actual, what)
  if not vim.deep_equal(expected, actual) then
    error(string.format("%s:\n expected %s\n      got %s", what or "values differ", vim.inspect(expected), vim.inspect(actual)), 2)
  end
end

function H.truthy(v, what)
  if not v then
    error(what or "expected a true value", 2)
  end
  return v
end

H.passed, H.failed = 0, 0

function H.test(name, fn)
  local t0 = vim.uv.hrtime()
  local ok, err = xpcall(fn, debug.traceback)
  local secs = (vim.uv.hrtime() - t0) / 1e9
  if ok then
    H.passed = H.passed + 1
    io.stdout:write(string.format("ok - %s (%.1f s)\n", name, secs))
  else
    H.failed = H.failed + 1
    io.stdout:write(string.format("not ok - %s (%.1f s): %s\n", name, secs, tostring(err):gsub("\n", "\n    ")))
    io.stdout:write("    messages: " .. vim.inspect(vim.tbl_map(function(m)
      return m.msg
    end, H.messages)):gsub("\n", "\n    ") .. "\n")
  end
  io.stdout:flush()
  pcall(H.reset)
end

--- Stops everything this file started and exits with the result.
function H.finish()
  pcall(H.reset)
  if H.standin_proc then
    pcall(function()
      H.standin_proc:kill(15)
      H.standin_proc:wait(2000)
    end)
  end
  for _, d in ipairs(H._dirs) do
    vim.fn.delete(d, "rf")
  end
  io.stdout:write(string.format("# %d passed, %d failed\n", H.passed, H.failed))
  io.stdout:flush()
  vim.cmd((H.failed == 0 and H.passed > 0) and "qall!" or "cquit!")
end

return H
