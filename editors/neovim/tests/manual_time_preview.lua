-- Manual timing (not run by ./test): seconds from :AssistDocument to the preview shown, with the
-- daemon's default model (qwen2.5-coder-0.5b) and the real HOME. Run:
--   ASSIST_BIN=/path/to/assist "$(editors/neovim/install)" --headless -u NONE -l editors/neovim/tests/manual_time_preview.lua
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))
local preview = require("assist.preview")

H.test("time from :AssistDocument to the preview, default model", function()
  H.setup({ preview = true })
  for run = 1, 2 do
    local root = H.repo({ ["Sources/Math.swift"] = H.SOURCE .. "\n" })
    H.open(root)
    local t0 = vim.uv.hrtime()
    vim.cmd("AssistDocument")
    H.truthy(H.wait(300000, function()
      return preview.current ~= nil or (require("assist").state.phase == "error")
    end), "timed out")
    local secs = (vim.uv.hrtime() - t0) / 1e9
    H.truthy(preview.current, "no preview: " .. vim.inspect(H.messages))
    io.stdout:write(string.format("# run %d: %.2f s from command to preview; model %s\n", run, secs,
      require("assist").state.last.route.model))
    io.stdout:write("#   " .. table.concat(preview.lines(), "\n#   ") .. "\n")
    H.reset()
  end
end)

H.finish()
