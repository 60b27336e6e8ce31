-- :'<,'>AssistRefactor on a selection; :AssistAsk streaming into the read-only answer buffer.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))
local assist = require("assist")
local preview = require("assist.preview")

H.standin({})

local MATH = table.concat({
  "public func add(_ a: Int, _ b: Int) -> Int { a + b }",
  "",
  "public func sub(_ a: Int, _ b: Int) -> Int { a - b }",
  "",
}, "\n")

H.test("refactor: the selected lines are rewritten, shown as a preview, accepted", function()
  H.setup()
  H.rules({ { reply = "```swift\npublic func sub(_ x: Int, _ y: Int) -> Int { x - y }\n```\n" } })
  local root = H.repo({ ["Sources/Math.swift"] = MATH })
  local buf = H.open(root)
  vim.cmd("3,3AssistRefactor rename a to x and b to y")
  local lines = H.wait_preview()
  H.truthy(vim.tbl_contains(lines, "-public func sub(_ a: Int, _ b: Int) -> Int { a - b }"), vim.inspect(lines))
  H.truthy(vim.tbl_contains(lines, "+public func sub(_ x: Int, _ y: Int) -> Int { x - y }"), vim.inspect(lines))
  H.truthy(not vim.tbl_contains(lines, "-public func add(_ a: Int, _ b: Int) -> Int { a + b }"), "add untouched in the diff")
  local reqs = H.standin_requests()
  H.truthy(#reqs >= 1 and reqs[#reqs].prompt:find("rename a to x and b to y", 1, true), "instruction sent to the model")
  vim.cmd("normal A")
  H.eq({
    "public func add(_ a: Int, _ b: Int) -> Int { a + b }",
    "",
    "public func sub(_ x: Int, _ y: Int) -> Int { x - y }",
  }, H.lines(buf), "buffer after accepting the refactor")
  H.eq("refactor", assist.state.last.route.kind, "route kind")
end)

H.test("refactor: a visual selection ('<,'>) is the range", function()
  H.setup({ preview = false })
  H.rules({ { reply = "```swift\npublic func add(_ x: Int, _ y: Int) -> Int { x + y }\n```\n" } })
  local root = H.repo({ ["Sources/Math.swift"] = MATH })
  local buf = H.open(root)
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  vim.cmd("normal! V")
  vim.cmd("normal! \27") -- leave visual mode: '< and '> are set
  vim.cmd("'<,'>AssistRefactor rename a to x and b to y")
  H.truthy(H.done(), "request finished")
  H.truthy(H.wait(2000, function()
    return H.lines(buf)[1]:find("_ x: Int") ~= nil
  end), "applied: " .. vim.inspect(H.messages))
  H.eq({
    "public func add(_ x: Int, _ y: Int) -> Int { x + y }",
    "",
    "public func sub(_ a: Int, _ b: Int) -> Int { a - b }",
  }, H.lines(buf), "only the selected line changed")
end)

H.test("refactor: a failure shows the daemon's reasons", function()
  H.setup()
  H.rules({ { reply = "no code here" } })
  local root = H.repo({ ["Sources/Math.swift"] = MATH })
  local buf = H.open(root)
  vim.cmd("1AssistRefactor make it faster")
  H.truthy(H.done(), "request finished")
  local msg = H.truthy(H.message_matching("assist/refactor failed", vim.log.levels.ERROR), vim.inspect(H.messages))
  H.truthy(msg:find("cascade"), "reasons listed: " .. msg)
  H.eq(vim.split(MATH, "\n", { plain = true, trimempty = false }), vim.list_extend(H.lines(buf), { "" }), "buffer untouched")
  H.truthy(preview.current == nil, "no preview")
  H.eq("assist: error", assist.status(), "status line after a failure")
end)

H.test("ask: the answer streams into a read-only buffer", function()
  H.setup()
  H.rules({ { reply = "It adds two integers and returns their sum.", gap = 0.15 } })
  local root = H.repo()
  local src = H.open(root)
  local partial_seen
  vim.cmd("AssistAsk What does add do?")
  local abuf = vim.fn.bufnr("assist://answer")
  H.truthy(abuf > 0, "answer buffer exists")
  H.truthy(vim.fn.bufwinid(abuf) ~= -1, "answer buffer shown in a window")
  H.eq(src, vim.api.nvim_get_current_buf(), "the cursor stays in the source window")
  -- While the request runs, the buffer holds part of the answer.
  H.wait(20000, function()
    local text = table.concat(H.lines(abuf), "\n")
    if assist.state.inflight and text:find("It adds") and not text:find("their sum%.") then
      partial_seen = text
    end
    return assist.state.inflight == nil and assist.state.phase ~= "starting"
  end)
  H.truthy(partial_seen, "a partial answer was shown while streaming")
  H.truthy(assist.state.answer_pieces >= 3, "several pieces: " .. assist.state.answer_pieces)
  H.eq({ "# What does add do?", "", "It adds two integers and returns their sum." }, H.lines(abuf), "final answer")
  H.eq(false, vim.bo[abuf].modifiable, "answer buffer not modifiable")
  H.eq(true, vim.bo[abuf].readonly, "answer buffer read-only")
  H.truthy(not pcall(vim.api.nvim_buf_set_lines, abuf, 0, -1, false, { "x" }), "writing to it fails")
  H.eq({ H.SOURCE }, H.lines(src), "source untouched")
  H.truthy(preview.current == nil, "no preview without a change")
end)

H.test("ask: a proposed change comes as a preview", function()
  H.setup()
  H.rules({ {
    reply = "Renamed.\n\nSources/Math.swift\n<<<<<<< SEARCH\npublic func add(_ a: Int, _ b: Int) -> Int { a + b }\n=======\npublic func sum(_ a: Int, _ b: Int) -> Int { a + b }\n>>>>>>> REPLACE\n",
  } })
  local root = H.repo()
  local src = H.open(root)
  vim.cmd("AssistAsk Rename add to sum in this file")
  local lines = H.wait_preview()
  H.truthy(vim.tbl_contains(lines, "+public func sum(_ a: Int, _ b: Int) -> Int { a + b }"), vim.inspect(lines))
  H.eq({ H.SOURCE }, H.lines(src), "source untouched before accepting")
  vim.cmd("normal A")
  H.eq({ "public func sum(_ a: Int, _ b: Int) -> Int { a + b }" }, H.lines(src), "after accept all")
end)

H.finish()
