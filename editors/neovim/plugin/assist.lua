-- Defines the :Assist* commands; require("assist").setup{} sets the options (and defines them too).
if vim.g.loaded_assist then
  return
end
vim.g.loaded_assist = true
if vim.fn.has("nvim-0.10") ~= 1 then
  vim.notify("assist: Neovim 0.10 or later is needed", vim.log.levels.ERROR)
  return
end
require("assist").define_commands()
