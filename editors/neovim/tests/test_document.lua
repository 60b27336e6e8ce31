-- :AssistDocument / :AssistDocumentFile with the preview: accept all, accept one hunk, reject;
-- progress, status line and :AssistRoute.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))
local assist = require("assist")
local preview = require("assist.preview")

H.standin({ { reply = H.DOC_REPLY } })

-- Two functions far enough apart for two hunks; "Does the work." fits both (no parameters).
local TWO = table.concat({
  "public func start() {}",
  "",
  "// one",
  "// two",
  "// three",
  "// four",
  "// five",
  "// six",
  "// seven",
  "",
  "public func stop() {}",
  "",
}, "\n")

H.test("document: preview shows the hunk; accept all puts the comment in the buffer", function()
  H.setup()
  H.rules({ { reply = H.DOC_REPLY } })
  local root = H.repo()
  local buf = H.open(root)
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  vim.cmd("AssistDocument")
  local lines = H.wait_preview()
  H.truthy(vim.tbl_contains(lines, "+/// Adds two integers."), "preview has the comment: " .. vim.inspect(lines))
  H.truthy(vim.iter(lines):any(function(l)
    return l:match("^@@ %-1 %+1,7 @@") ~= nil
  end), "preview has the hunk header: " .. vim.inspect(lines))
  H.truthy(vim.tbl_contains(lines, "--- a/Sources/Math.swift"), "preview names the file")
  H.eq("diff", vim.bo[preview.current.buf].filetype, "preview filetype")
  H.eq(preview.current.buf, vim.api.nvim_get_current_buf(), "the preview window has the cursor")
  H.eq({ H.SOURCE }, H.lines(buf), "source untouched before accepting")
  vim.cmd("normal A")
  H.eq(vim.list_extend(vim.deepcopy(H.DOC_APPLIED), { H.SOURCE }), H.lines(buf), "buffer after accept all")
  H.truthy(preview.current == nil, "preview closed after accept all")
  H.truthy(H.message_matching("applied 1 hunk"), "accept message shown")
end)

H.test("document: reject closes the preview and leaves the buffer untouched", function()
  H.setup()
  H.rules({ { reply = H.DOC_REPLY } })
  local root = H.repo()
  local buf = H.open(root)
  vim.cmd("AssistDocument")
  local pbuf = (H.wait_preview() and preview.current.buf)
  vim.cmd("normal q")
  H.truthy(preview.current == nil, "preview gone")
  H.truthy(not vim.api.nvim_buf_is_valid(pbuf), "preview buffer wiped")
  H.eq({ H.SOURCE }, H.lines(buf), "buffer untouched after reject")
  H.eq(false, vim.bo[buf].modified, "buffer not modified")
  H.truthy(H.message_matching("rejected, nothing was changed"), "reject message shown")
end)

H.test("document file: two hunks, accept only the one under the cursor", function()
  H.setup()
  H.rules({ { reply = "/// Does the work.\n" } })
  local root = H.repo({ ["Sources/Two.swift"] = TWO })
  local buf = H.open(root, "Sources/Two.swift")
  vim.cmd("AssistDocumentFile")
  local lines = H.wait_preview()
  local headers = vim.tbl_filter(function(l)
    return l:match("^@@ ") ~= nil
  end, lines)
  H.eq(2, #headers, "two hunks in the preview: " .. vim.inspect(lines))
  -- Put the cursor on the second hunk and accept only it.
  local second = 0
  for i, l in ipairs(lines) do
    if l == headers[2] then
      second = i
    end
  end
  vim.api.nvim_win_set_cursor(0, { second + 1, 0 })
  vim.cmd("normal a")
  local expected = vim.split(TWO, "\n", { plain = true })
  table.remove(expected) -- the final newline
  table.insert(expected, 11, "/// Does the work.")
  H.eq(expected, H.lines(buf), "only the second hunk applied")
  -- One hunk is left in the preview; accept it too, and the first comment lands above start().
  local left = vim.tbl_filter(function(l)
    return l:match("^@@ ") ~= nil
  end, preview.lines())
  H.eq(1, #left, "one hunk left")
  vim.fn.search("^@@ ")
  vim.cmd("normal a")
  table.insert(expected, 1, "/// Does the work.")
  H.eq(expected, H.lines(buf), "both hunks applied, in the right places")
  H.truthy(preview.current == nil, "preview closed after the last hunk")
end)

H.test("document file with preview off applies at once", function()
  H.setup({ preview = false })
  H.rules({ { reply = H.DOC_REPLY } })
  local root = H.repo()
  local buf = H.open(root)
  vim.cmd("AssistDocumentFile")
  H.truthy(H.done(), "request finished")
  H.truthy(H.wait(2000, function()
    return #H.lines(buf) > 1
  end), "edit applied: " .. vim.inspect(H.messages))
  H.eq(vim.list_extend(vim.deepcopy(H.DOC_APPLIED), { H.SOURCE }), H.lines(buf), "buffer after document file")
  H.truthy(preview.current == nil, "no preview")
end)

H.test("progress: begin/report/end seen, status line shows busy then idle with the model", function()
  H.setup()
  H.rules({ { reply = H.DOC_REPLY, delay = 1 } })
  local root = H.repo()
  H.open(root)
  -- The status line as it reads after each $/progress (LspProgress fires after the plugin's handler).
  local statuses = {}
  local au = vim.api.nvim_create_autocmd("LspProgress", {
    callback = function()
      table.insert(statuses, assist.status())
    end,
  })
  vim.cmd("AssistDocument")
  H.wait_preview()
  vim.api.nvim_del_autocmd(au)
  local seen_busy
  for _, s in ipairs(statuses) do
    if s:match("^assist: busy %d+/%d+ declarations") then
      seen_busy = s
    end
  end
  local kinds = vim.tbl_map(function(v)
    return v.kind
  end, assist.state.progress_seen)
  H.eq("begin", kinds[1], "first progress")
  H.eq("end", kinds[#kinds], "last progress")
  H.truthy(vim.tbl_contains(kinds, "report"), "a report: " .. vim.inspect(kinds))
  H.eq("Writing doc comments", assist.state.progress_seen[1].title, "begin title")
  H.truthy(seen_busy, "status line shows busy N/M declarations: " .. vim.inspect(statuses))
  H.eq("assist: idle local stand-in", assist.status(), "status line after")
end)

H.test("route: :AssistRoute shows kind, backend, model, reasons, tokens and cost", function()
  H.setup()
  H.rules({ { reply = H.DOC_REPLY } })
  local root = H.repo()
  H.open(root)
  vim.cmd("AssistDocument")
  H.wait_preview()
  H.messages = {}
  vim.cmd("AssistRoute")
  local text = H.truthy(H.message_matching("kind docstring"), "route message: " .. vim.inspect(H.messages))
  H.truthy(text:find("backend local, model stand%-in"), text)
  H.truthy(text:find("tokens: %d+ prompt, %d+ completion; cost: %$0%.0000"), text)
  H.truthy(text:find("reasons:\n  kind: local"), text)
end)

H.finish()
