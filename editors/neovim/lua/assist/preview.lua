-- assist.nvim preview: shows LSP TextEdits as a unified diff (filetype diff) and applies all of
-- them, or only the edits of the hunk under the cursor, to the source buffers.
local M = {}

local ENCODING = "utf-16"
local CONTEXT = 3

--- The preview on screen: { buf, title, files = { file }, line_map = { [row] = {file, hunk} } }.
--- file = { uri, bufnr, path, tick, hunks = { hunk } }
--- hunk = { header, lines, old_start (0-based), old_count, edits, delta, applied }
M.current = nil

local function notify(msg, level)
  vim.notify("assist: " .. msg, level or vim.log.levels.INFO)
end

local text_diff = (vim.text and vim.text.diff) or vim.diff

local function line_delta(edit)
  local added = select(2, edit.newText:gsub("\n", ""))
  return added - (edit.range["end"].line - edit.range.start.line)
end

local function shifted(edit, by)
  if by == 0 then
    return edit
  end
  local e = vim.deepcopy(edit)
  e.range.start.line = e.range.start.line + by
  e.range["end"].line = e.range["end"].line + by
  return e
end

--- The text of a buffer after `edits`, computed on a scratch copy.
local function apply_to_copy(lines, edits)
  local scratch = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(scratch, 0, -1, false, lines)
  vim.lsp.util.apply_text_edits(vim.deepcopy(edits), scratch, ENCODING)
  local out = vim.api.nvim_buf_get_lines(scratch, 0, -1, false)
  vim.api.nvim_buf_delete(scratch, { force = true })
  return out
end

local function relative(path)
  local root = vim.fs.root(path, ".git")
  if root and path:sub(1, #root + 1) == root .. "/" then
    return path:sub(#root + 2)
  end
  return vim.fn.fnamemodify(path, ":~:.")
end

--- Parses the hunks of a unified diff (vim.text.diff output).
local function parse_hunks(diff)
  local hunks = {}
  local cur
  for _, line in ipairs(vim.split(diff, "\n", { plain = true })) do
    local a, b = line:match("^@@ %-(%d+),?(%d*) %+%d+,?%d* @@")
    if a then
      cur = { header = line, lines = {}, edits = {}, delta = 0, applied = false }
      cur.old_count = b == "" and 1 or tonumber(b)
      -- "-a,0" is an insertion after line a (1-based): position a, 0-based.
      cur.old_start = cur.old_count == 0 and tonumber(a) or tonumber(a) - 1
      table.insert(hunks, cur)
    elseif cur and line ~= "" then
      table.insert(cur.lines, line)
    end
  end
  return hunks
end

--- Builds the file entries of a preview from an edit map (URI → TextEdit[]).
function M.build(edits)
  local files = {}
  local uris = vim.tbl_keys(edits)
  table.sort(uris)
  for _, uri in ipairs(uris) do
    local list = edits[uri]
    if type(list) == "table" and #list > 0 then
      local bufnr = vim.uri_to_bufnr(uri)
      vim.fn.bufload(bufnr)
      local old = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
      local new = apply_to_copy(old, list)
      local diff = text_diff(table.concat(old, "\n") .. "\n", table.concat(new, "\n") .. "\n", {
        result_type = "unified",
        ctxlen = CONTEXT,
      })
      local hunks = parse_hunks(diff or "")
      if #hunks > 0 then
        for _, edit in ipairs(list) do
          local s = edit.range.start.line
          local best, best_dist
          for _, h in ipairs(hunks) do
            local first, last = h.old_start, h.old_start + h.old_count
            local dist = (s < first and first - s) or (s > last and s - last) or 0
            if not best_dist or dist < best_dist then
              best, best_dist = h, dist
            end
          end
          table.insert(best.edits, edit)
          best.delta = best.delta + line_delta(edit)
        end
        local path = vim.uri_to_fname(uri)
        table.insert(files, {
          uri = uri,
          bufnr = bufnr,
          path = path,
          rel = relative(path),
          tick = vim.api.nvim_buf_get_changedtick(bufnr),
          hunks = hunks,
        })
      end
    end
  end
  return files
end

local function render(p)
  local lines, map = {}, {}
  local help = string.format(
    "# %s -- %s: accept all, %s: accept the hunk under the cursor, %s: reject",
    p.title,
    p.keys.accept_all,
    p.keys.accept_hunk,
    p.keys.reject
  )
  table.insert(lines, help)
  for fi, f in ipairs(p.files) do
    local open = false
    for hi, h in ipairs(f.hunks) do
      if not h.applied then
        if not open then
          table.insert(lines, "diff --git a/" .. f.rel .. " b/" .. f.rel)
          table.insert(lines, "--- a/" .. f.rel)
          table.insert(lines, "+++ b/" .. f.rel)
          open = true
        end
        table.insert(lines, h.header)
        map[#lines] = { fi, hi }
        for _, l in ipairs(h.lines) do
          table.insert(lines, l)
          map[#lines] = { fi, hi }
        end
      end
    end
  end
  p.line_map = map
  if not vim.api.nvim_buf_is_valid(p.buf) then
    return
  end
  vim.bo[p.buf].modifiable = true
  vim.api.nvim_buf_set_lines(p.buf, 0, -1, false, lines)
  vim.bo[p.buf].modifiable = false
  vim.bo[p.buf].modified = false
end

local function remaining(p)
  local n = 0
  for _, f in ipairs(p.files) do
    for _, h in ipairs(f.hunks) do
      if not h.applied then
        n = n + 1
      end
    end
  end
  return n
end

--- Closes the preview window and buffer (the source buffers stay as they are).
function M.close()
  local p = M.current
  M.current = nil
  if not p then
    return
  end
  if vim.api.nvim_buf_is_valid(p.buf) then
    for _, win in ipairs(vim.fn.win_findbuf(p.buf)) do
      if #vim.api.nvim_list_wins() > 1 then
        pcall(vim.api.nvim_win_close, win, true)
      end
    end
    pcall(vim.api.nvim_buf_delete, p.buf, { force = true })
  end
end

local function check_unchanged(f)
  if not vim.api.nvim_buf_is_valid(f.bufnr) then
    notify(f.rel .. " is no longer loaded; run the command again", vim.log.levels.ERROR)
    return false
  end
  if vim.api.nvim_buf_get_changedtick(f.bufnr) ~= f.tick then
    notify(f.rel .. " changed since the preview was made; run the command again", vim.log.levels.ERROR)
    return false
  end
  return true
end

--- The edits of hunk `hi` of file `f`, moved by the hunks above it that were applied already.
local function hunk_edits(f, hi)
  local by = 0
  for i = 1, hi - 1 do
    if f.hunks[i].applied then
      by = by + f.hunks[i].delta
    end
  end
  local out = {}
  for _, e in ipairs(f.hunks[hi].edits) do
    table.insert(out, shifted(e, by))
  end
  return out
end

local function apply(f, edits)
  if #edits > 0 then
    vim.lsp.util.apply_text_edits(edits, f.bufnr, ENCODING)
  end
  f.tick = vim.api.nvim_buf_get_changedtick(f.bufnr)
end

--- Applies every hunk not applied yet and closes the preview.
function M.accept_all()
  local p = M.current
  if not p then
    return false
  end
  for _, f in ipairs(p.files) do
    if not check_unchanged(f) then
      return false
    end
  end
  local n = 0
  for _, f in ipairs(p.files) do
    local edits = {}
    for hi, h in ipairs(f.hunks) do
      if not h.applied then
        vim.list_extend(edits, hunk_edits(f, hi))
        n = n + 1
      end
    end
    apply(f, edits)
    for _, h in ipairs(f.hunks) do
      h.applied = true
    end
  end
  M.close()
  notify(string.format("%s: applied %d hunk%s", p.title, n, n == 1 and "" or "s"))
  if p.on_done then
    p.on_done("accepted")
  end
  return true
end

--- Applies the hunk under the cursor of the preview window (or hunk `index`, 1-based, in the
--- order shown); closes the preview when no hunk is left.
function M.accept_hunk(index)
  local p = M.current
  if not p then
    return false
  end
  local target
  if index then
    local k = 0
    for fi, f in ipairs(p.files) do
      for hi, h in ipairs(f.hunks) do
        if not h.applied then
          k = k + 1
          if k == index then
            target = { fi, hi }
          end
        end
      end
    end
  else
    local row = vim.api.nvim_win_get_cursor(0)[1]
    if vim.api.nvim_get_current_buf() == p.buf then
      target = p.line_map[row]
    end
  end
  if not target then
    notify("the cursor is not on a hunk", vim.log.levels.WARN)
    return false
  end
  local f = p.files[target[1]]
  if not check_unchanged(f) then
    return false
  end
  apply(f, hunk_edits(f, target[2]))
  f.hunks[target[2]].applied = true
  local left = remaining(p)
  if left == 0 then
    M.close()
    notify(p.title .. ": applied the last hunk")
    if p.on_done then
      p.on_done("accepted")
    end
  else
    render(p)
    notify(string.format("%s: applied a hunk, %d left", p.title, left))
  end
  return true
end

--- Closes the preview; the source buffers are left untouched.
function M.reject()
  local p = M.current
  if not p then
    return false
  end
  M.close()
  notify(p.title .. ": rejected, nothing was changed")
  if p.on_done then
    p.on_done("rejected")
  end
  return true
end

local function map_keys(buf, keys)
  local function set(lhs, fn, desc)
    for _, l in ipairs(type(lhs) == "table" and lhs or { lhs }) do
      vim.keymap.set("n", l, fn, { buffer = buf, nowait = true, silent = true, desc = desc })
    end
  end
  set(keys.accept_all, M.accept_all, "assist: accept every hunk")
  set(keys.accept_hunk, function()
    M.accept_hunk()
  end, "assist: accept the hunk under the cursor")
  set(keys.reject, M.reject, "assist: reject the change")
  set("]h", function()
    vim.fn.search("^@@ ", "W")
  end, "assist: next hunk")
  set("[h", function()
    vim.fn.search("^@@ ", "bW")
  end, "assist: previous hunk")
end

local function key_text(k)
  return type(k) == "table" and table.concat(k, "/") or tostring(k)
end

--- Opens a preview of `edits` (URI → TextEdit[]). opts: title, keymaps, on_done(outcome).
--- Returns the preview buffer, or nil when the edits change nothing.
function M.open(edits, opts)
  opts = opts or {}
  if M.current then
    M.close()
  end
  local files = M.build(edits)
  if #files == 0 then
    return nil
  end
  local keys = opts.keymaps or { accept_all = "A", accept_hunk = "a", reject = "q" }
  local buf = vim.api.nvim_create_buf(false, true)
  pcall(vim.api.nvim_buf_set_name, buf, "assist://preview")
  vim.bo[buf].buftype = "nofile"
  vim.bo[buf].bufhidden = "wipe"
  vim.bo[buf].swapfile = false
  local p = {
    buf = buf,
    title = opts.title or "assist",
    files = files,
    on_done = opts.on_done,
    keys = { accept_all = key_text(keys.accept_all), accept_hunk = key_text(keys.accept_hunk), reject = key_text(keys.reject) },
  }
  M.current = p
  render(p)
  vim.bo[buf].filetype = "diff"
  map_keys(buf, keys)
  vim.api.nvim_create_autocmd("BufWipeout", {
    buffer = buf,
    once = true,
    callback = function()
      if M.current == p then
        M.current = nil
      end
    end,
  })
  vim.cmd("botright split")
  vim.api.nvim_win_set_buf(0, buf)
  local first = vim.fn.search("^@@ ", "W")
  if first == 0 then
    vim.api.nvim_win_set_cursor(0, { 1, 0 })
  end
  notify(string.format(
    "%s: preview of %d hunk%s (%s accept all, %s accept hunk, %s reject)",
    p.title,
    remaining(p),
    remaining(p) == 1 and "" or "s",
    p.keys.accept_all,
    p.keys.accept_hunk,
    p.keys.reject
  ))
  return buf
end

--- Applies an edit map at once (preview off).
function M.apply_all_now(edits)
  local n = 0
  for uri, list in pairs(edits) do
    if type(list) == "table" and #list > 0 then
      local bufnr = vim.uri_to_bufnr(uri)
      vim.fn.bufload(bufnr)
      vim.lsp.util.apply_text_edits(list, bufnr, ENCODING)
      n = n + 1
    end
  end
  return n
end

--- The preview's text (for tests and for :AssistRoute-like inspection).
function M.lines()
  local p = M.current
  if not p or not vim.api.nvim_buf_is_valid(p.buf) then
    return nil
  end
  return vim.api.nvim_buf_get_lines(p.buf, 0, -1, false)
end

return M
