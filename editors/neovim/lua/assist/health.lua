-- :checkhealth assist
local M = {}

local function run(argv, timeout_ms)
  local ok, obj = pcall(vim.system, argv, { text = true })
  if not ok then
    return nil, tostring(obj)
  end
  local r = obj:wait(timeout_ms or 10000)
  if r.signal ~= 0 and r.code == 0 then
    return nil, "timed out"
  end
  return r
end

local function call(client, name, ...)
  if vim.fn.has("nvim-0.11") == 1 then
    return client[name](client, ...)
  end
  return client[name](...)
end

function M.check()
  local assist = require("assist")
  local h = vim.health

  h.start("assist: Neovim")
  local v = vim.version()
  local vtext = string.format("%d.%d.%d", v.major, v.minor, v.patch)
  if vim.fn.has("nvim-0.10") == 1 then
    h.ok("Neovim " .. vtext .. " (0.10 or later)")
  else
    h.error("Neovim " .. vtext .. ": assist.nvim needs Neovim 0.10 or later")
  end

  h.start("assist: binary")
  local exe, why = assist.executable()
  if not exe then
    h.error(why)
    return
  end
  local r, err = run({ exe, "--version" })
  if r and r.code == 0 then
    h.ok(string.format("%s found, version %s", exe, vim.trim(r.stdout or "")))
  else
    h.error(string.format("%s --version failed: %s", exe, err or vim.trim((r.stderr or "") .. (r.stdout or ""))))
    return
  end

  h.start("assist: model")
  local m = run({ exe, "model", "status" }, 20000)
  if not m or m.code ~= 0 then
    h.warn("`assist model status` failed: " .. vim.trim(m and ((m.stderr or "") .. (m.stdout or "")) or "did not run"))
  else
    local wanted = assist.config.model or "qwen2.5-coder-0.5b"
    local found = false
    for _, line in ipairs(vim.split(m.stdout or "", "\n", { trimempty = true })) do
      local name, rest = line:match("^model ([%w%.%-_]+): (.*)$")
      if name then
        if rest:match("^not installed") then
          if name == wanted then
            h.warn(string.format("model %s is not installed: run `assist model install`", name), { rest })
          else
            h.info(line)
          end
        else
          if name == wanted then
            found = true
            h.ok(string.format("model %s installed (%s)", name, rest))
          else
            h.info(line)
          end
        end
      elseif line:match("^engine:") then
        if line:match("not installed") then
          h.warn(line)
        else
          h.ok(line)
        end
      end
    end
    if not found and (vim.env.ASSIST_PROVIDERS_LOCAL_BASE_URL or "") ~= "" then
      h.info("the daemon uses the local server at " .. vim.env.ASSIST_PROVIDERS_LOCAL_BASE_URL .. " (ASSIST_PROVIDERS_LOCAL_BASE_URL)")
    end
  end

  h.start("assist: daemon")
  -- :checkhealth runs in a tab of its own: ask a daemon that runs already (the one of the
  -- buffer :checkhealth was called from first), else start one for that buffer's repository.
  local alt = vim.fn.bufnr("#")
  local from = (alt > 0 and vim.api.nvim_buf_is_valid(alt)) and alt or vim.api.nvim_get_current_buf()
  local root = assist.root(from)
  local client
  local running = vim.lsp.get_clients({ name = "assist" })
  for _, c in ipairs(running) do
    if c.root_dir == root then
      client = c
    end
  end
  client = client or running[1]
  if client then
    root = client.root_dir
  else
    local id = assist.start(from)
    client = id and vim.lsp.get_client_by_id(id)
  end
  if not client then
    h.error("could not start `" .. table.concat(assist.config.cmd, " ") .. "`")
    return
  end
  vim.wait(assist.config.start_timeout_ms, function()
    return client.initialized or call(client, "is_stopped")
  end, 20)
  if not client.initialized then
    h.error("the daemon did not answer initialize")
    return
  end
  local resp = call(client, "request_sync", "assist/status", {}, 10000)
  if not resp or resp.err or not resp.result then
    h.error("assist/status got no answer: " .. vim.inspect(resp and resp.err))
    return
  end
  local s = resp.result
  h.ok(string.format("daemon %s answering (pid %s, root %s)", tostring(s.version), tostring(s.pid), root))
  if s.repository then
    local head = s.repository.head or {}
    h.ok(string.format("repository %s (branch %s)", tostring(s.repository.path), tostring(head.branch or "detached")))
  else
    h.warn("no repository: " .. tostring(s.repositoryError))
  end
end

return M
