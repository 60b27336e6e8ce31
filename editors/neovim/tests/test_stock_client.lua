-- Neovim's own LSP client, without the plugin (the configuration editors/README.md shows): the
-- daemon's docstring code action is resolved (codeAction/resolve) and applied by vim.lsp.buf.code_action,
-- with the daemon's progress seen through LspProgress.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))

H.standin({ { reply = H.DOC_REPLY } })

H.test("stock client: vim.lsp.config + code action 'Document add(_:_:)' resolves and applies the comment", function()
  local root = H.repo()
  vim.lsp.config("assist-stock", { cmd = { H.bin, "serve" }, filetypes = { "swift" }, root_markers = { ".git" } })
  vim.lsp.enable("assist-stock")
  local progress = {}
  vim.api.nvim_create_autocmd("LspProgress", {
    callback = function(ev)
      local value = ev.data and ev.data.params and ev.data.params.value
      if value then table.insert(progress, value.kind) end
    end,
  })
  vim.cmd("edit " .. vim.fn.fnameescape(vim.fs.joinpath(root, "Sources/Math.swift")))
  local buf = vim.api.nvim_get_current_buf()
  if vim.bo[buf].filetype ~= "swift" then vim.bo[buf].filetype = "swift" end
  local client
  H.truthy(H.wait(15000, function()
    client = vim.lsp.get_clients({ name = "assist-stock", bufnr = buf })[1]
    return client ~= nil and client.initialized
  end), "the daemon did not attach")
  H.truthy(client.server_capabilities.codeActionProvider.resolveProvider, "the daemon announces codeAction/resolve")
  vim.api.nvim_win_set_cursor(0, { 1, 12 })
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(action) return action.title == "Document add(_:_:)" end,
  })
  H.truthy(H.wait(30000, function()
    return #H.lines(buf) > 1
  end), "the edit was not applied: " .. vim.inspect(H.lines(buf)) .. " " .. vim.inspect(H.messages))
  local expected = vim.list_extend(vim.deepcopy(H.DOC_APPLIED), { H.SOURCE })
  H.eq(expected, H.lines(buf), "the buffer after the code action")
  H.truthy(H.wait(5000, function()
    return vim.tbl_contains(progress, "begin") and vim.tbl_contains(progress, "end")
  end), "progress under the daemon's token: " .. vim.inspect(progress))
  vim.lsp.enable("assist-stock", false)
  client:stop(true)
  H.wait(5000, function() return client:is_stopped() end)
end)

H.finish()
