-- Neovim's built-in LSP client driving `lockscan server`, headless: what a user of Neovim sees.
--
-- Run by `tests/it/server.rs` (`neovim_checks_unsaved_text_and_applies_a_quick_fix`) as
--   nvim --headless --clean -i NONE -u NONE -c 'luafile tests/data/editor/nvim_test.lua'
-- with LOCKSCAN_BIN (the binary), LOCKSCAN_CRATE (a throwaway crate whose src/lib.rs binds its
-- guard, `let _guard = STATE.lock();`, on line 6, after `/* é🔒 */`) and LOCKSCAN_REPORT (a
-- file this script writes each step it passed to, then `done`). It exits 0 when every step
-- passed and 1 at the first that did not, saying which in the report.
--
-- Works with Neovim 0.7 (Debian 12's, which has `vim.lsp.start_client` but not
-- `vim.lsp.start`) and later.

local report = assert(io.open(assert(os.getenv('LOCKSCAN_REPORT')), 'w'))
local function log(line)
  report:write(line .. '\n')
  report:flush()
end

local function fail(msg)
  log('FAIL: ' .. msg)
  report:close()
  vim.cmd('cquit 1')
end

local function check(cond, msg)
  if not cond then
    error(msg, 2)
  end
end

local TIMEOUT = 30000

local function main()
  local bin = assert(os.getenv('LOCKSCAN_BIN'))
  local crate = assert(os.getenv('LOCKSCAN_CRATE'))
  local file = crate .. '/src/lib.rs'
  local on_disk = table.concat(vim.fn.readfile(file), '\n')

  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].filetype = 'rust'
  local function line(n) -- 0-based
    return vim.api.nvim_buf_get_lines(buf, n, n + 1, false)[1]
  end
  local function set_line(n, text)
    vim.api.nvim_buf_set_lines(buf, n, n + 1, false, { text })
  end
  local function diagnostics()
    return vim.diagnostic.get(buf)
  end

  -- The guard thrown away, in the buffer only: the file on disk stays as it is.
  check(line(5):find('let _guard = STATE.lock();', 1, true), 'unexpected fixture line: ' .. line(5))
  set_line(5, (line(5):gsub('let _guard =', 'let _ =')))

  local exit_code
  local config = {
    name = 'lockscan',
    cmd = { bin, 'server' },
    root_dir = crate,
    on_exit = function(code, _signal)
      exit_code = code
    end,
  }
  local client_id
  if vim.lsp.start then
    client_id = vim.lsp.start(config)
  else
    client_id = vim.lsp.start_client(config)
    vim.lsp.buf_attach_client(buf, client_id)
  end
  check(client_id, 'the client did not start')
  local client = vim.lsp.get_client_by_id(client_id)
  log('ok: client started (' .. tostring(client and client.offset_encoding) .. ')')

  -- 1. Diagnostics for the unsaved text, at the right byte column after the non-ASCII
  -- comment (the server counts UTF-16 units; Neovim converts them back).
  check(vim.wait(TIMEOUT, function() return #diagnostics() > 0 end, 20), 'no diagnostics for the unsaved text')
  local d = diagnostics()[1]
  check(d.source == 'lockscan', 'source: ' .. tostring(d.source))
  check(d.code == 'let_underscore_guard', 'code: ' .. tostring(d.code))
  check(d.lnum == 5, 'line: ' .. d.lnum)
  local let_at = line(5):find('let _', 1, true) - 1
  check(d.col == let_at, 'column ' .. d.col .. ', expected ' .. let_at)
  check(d.severity == vim.diagnostic.severity.ERROR, 'severity: ' .. tostring(d.severity))
  log('ok: diagnostics for unsaved text at line ' .. d.lnum .. ', byte column ' .. d.col)

  -- 2. Hover on the finding: the rule's documentation.
  vim.api.nvim_win_set_cursor(0, { d.lnum + 1, d.col + 2 })
  local hovers = vim.lsp.buf_request_sync(buf, 'textDocument/hover', vim.lsp.util.make_position_params(), TIMEOUT)
  local hover_text = ''
  for _, r in pairs(hovers or {}) do
    if r.result and r.result.contents then
      hover_text = hover_text .. (r.result.contents.value or '')
    end
  end
  check(hover_text:find('What it does', 1, true), 'hover: ' .. hover_text)
  log('ok: hover shows the rule')

  -- 3. Two lines typed above: the finding moves with them.
  vim.api.nvim_buf_set_lines(buf, 0, 0, false, { '// one', '// two' })
  check(vim.wait(TIMEOUT, function()
    local ds = diagnostics()
    return #ds == 1 and ds[1].lnum == 7
  end, 20), 'the finding did not move to line 7')
  log('ok: diagnostics moved with the edit')

  -- 4. Fixed by hand: they clear.
  set_line(7, (line(7):gsub('let _ =', 'let _guard =')))
  check(vim.wait(TIMEOUT, function() return #diagnostics() == 0 end, 20), 'the finding did not clear')
  log('ok: diagnostics cleared when fixed')

  -- 5. Broken again, then fixed by the server's quick fix.
  set_line(7, (line(7):gsub('let _guard =', 'let _ =')))
  check(vim.wait(TIMEOUT, function() return #diagnostics() == 1 end, 20), 'the finding did not come back')
  d = diagnostics()[1]
  vim.api.nvim_win_set_cursor(0, { d.lnum + 1, 0 })
  local params = vim.lsp.util.make_range_params()
  -- The line's diagnostics as `vim.lsp.buf.code_action()` sends them (where this Neovim has
  -- the function it uses; the server also finds the line's findings by itself).
  local context = {}
  if vim.lsp.diagnostic.get_line_diagnostics then
    context = vim.lsp.diagnostic.get_line_diagnostics(buf, d.lnum)
  end
  params.context = { diagnostics = context }
  local results = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', params, TIMEOUT)
  local action
  for _, r in pairs(results or {}) do
    for _, a in ipairs(r.result or {}) do
      if a.title:find('Bind the guard', 1, true) then
        action = a
      end
    end
  end
  check(action, 'no quick fix offered: ' .. vim.inspect(results))
  check(action.kind == 'quickfix', 'kind: ' .. tostring(action.kind))
  vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
  check(line(7):find('/* é🔒 */ let _guard = STATE.lock();', 1, true), 'after the fix: ' .. line(7))
  check(vim.wait(TIMEOUT, function() return #diagnostics() == 0 end, 20), 'the fixed finding did not clear')
  log('ok: quick fix "' .. action.title .. '" applied')

  -- The server wrote nothing: the buffer is modified, the file is as it was.
  check(vim.bo[buf].modified, 'the buffer is no longer modified')
  check(table.concat(vim.fn.readfile(file), '\n') == on_disk, 'the file on disk changed')
  log('ok: nothing written to disk')

  -- 6. The client stops the server: shutdown, exit, exit code 0.
  vim.lsp.stop_client(client_id)
  check(vim.wait(TIMEOUT, function() return exit_code ~= nil end, 20), 'the server did not exit')
  check(exit_code == 0, 'the server exited with ' .. tostring(exit_code))
  log('ok: server exited with 0')
  log('done')
  report:close()
  vim.cmd('qall!')
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  fail(tostring(err))
end
