-- The real local model (no stand-in): smollm2-135m, preview off; the buffer must end up with a
-- valid /// comment above the declaration. Runs with the real HOME (the model is in ~/.cache/assist).
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))
local assist = require("assist")

vim.env.ASSIST_PROVIDERS_LOCAL_BASE_URL = nil
vim.env.ASSIST_PROVIDERS_LOCAL_MODEL = nil

H.test("real model: smollm2-135m documents add with a valid /// comment", function()
  local status = vim.system({ H.bin, "model", "status" }, { text = true }):wait()
  local line = (status.stdout or ""):match("model smollm2%-135m: [^\n]*") or "?"
  H.truthy(not line:match(": not installed"), "the test model is missing: run `assist model install --test-model-only` (" .. line .. ")")
  H.setup({ preview = false, model = "smollm2-135m" })
  local root = H.repo()
  local buf = H.open(root)
  local t0 = vim.uv.now()
  vim.cmd("AssistDocument")
  H.truthy(H.done(150000), "the request finished")
  local secs = (vim.uv.now() - t0) / 1000
  io.stdout:write(string.format("# real model: %.1f s from command to edit\n", secs))
  local lines = H.lines(buf)
  H.eq(H.SOURCE, lines[#lines], "the declaration is last: " .. vim.inspect(lines) .. "\n" .. vim.inspect(H.messages))
  H.truthy(#lines >= 2, "a comment was added: " .. vim.inspect(lines) .. "\n" .. vim.inspect(H.messages))
  for i = 1, #lines - 1 do
    H.truthy(lines[i]:match("^///"), "line " .. i .. " is a /// comment line: " .. vim.inspect(lines))
  end
  H.truthy(lines[1]:match("^/// %S"), "the first line is a summary: " .. lines[1])
  H.eq("smollm2-135m", assist.state.last.route.model, "the route names the test model")
end)

H.finish()
