-- nvim-lspconfig style server configuration (Neovim 0.11+ reads `lsp/*.lua`
-- from 'runtimepath'): with editors/vim on the runtimepath,
--   vim.lsp.enable('upc')
-- is all it takes. Older Neovim: require('upc.lsp').setup().
return {
  cmd = { 'upc', 'lsp' },
  filetypes = { 'upstart' },
  root_markers = { '.git' },
}
