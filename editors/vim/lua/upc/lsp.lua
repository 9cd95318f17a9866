-- Neovim set-up for `upc lsp` (diagnostics, hover, completion, go to
-- definition, references, symbols, formatting and quick fixes for Upstart
-- job files).
--
--   require('upc.lsp').setup()                       -- defaults
--   require('upc.lsp').setup({ cmd = { '/path/to/upc', 'lsp' },
--                              assume_events = { 'my-outside-event' } })
--
-- Works on Neovim 0.7 and later: 0.11+ registers the server with
-- vim.lsp.config/vim.lsp.enable, 0.8+ starts it with vim.lsp.start, 0.7
-- with vim.lsp.start_client (one client per workspace folder).

local M = {}

M.defaults = {
  name = 'upc',
  cmd = { 'upc', 'lsp' },
  filetypes = { 'upstart' },
  -- The job set is the folder of the job file (/etc/init), or the
  -- repository it is in.
  root_markers = { '.git' },
  assume_events = {},
}

local function root_dir(fname, markers)
  local dir = vim.fn.fnamemodify(fname, ':p:h')
  for _, marker in ipairs(markers) do
    local found = vim.fn.finddir(marker, dir .. ';')
    if found == '' then
      found = vim.fn.findfile(marker, dir .. ';')
    end
    if found ~= '' then
      return vim.fn.fnamemodify(found, ':p:h:h')
    end
  end
  return dir
end

--- The client configuration for one buffer.
function M.config(opts, bufnr)
  local fname = vim.api.nvim_buf_get_name(bufnr or 0)
  local root = root_dir(fname, opts.root_markers)
  return {
    name = opts.name,
    cmd = opts.cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    init_options = { assumeEvents = opts.assume_events },
  }
end

local clients = {}

--- Starts (or reuses) the server for a buffer.
function M.start(opts, bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local config = M.config(opts, bufnr)
  if vim.lsp.start then
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  local id = clients[config.root_dir]
  if not id or vim.lsp.client_is_stopped(id) then
    id = vim.lsp.start_client(config)
    clients[config.root_dir] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

function M.setup(user)
  local opts = vim.tbl_deep_extend('force', {}, M.defaults, user or {})
  if vim.lsp.config and vim.lsp.enable then
    vim.lsp.config(opts.name, {
      cmd = opts.cmd,
      filetypes = opts.filetypes,
      root_markers = opts.root_markers,
      init_options = { assumeEvents = opts.assume_events },
    })
    vim.lsp.enable(opts.name)
    return
  end
  local group = vim.api.nvim_create_augroup('upc_lsp', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = opts.filetypes,
    callback = function(args)
      M.start(opts, args.buf)
    end,
  })
end

return M
