" ALE linter for Upstart job files: `upc check --format short`, reading the
" buffer from stdin (so unsaved changes are checked), one line per
" diagnostic: PATH:LINE:COL: severity[CODE]: message
call ale#Set('upstart_upc_executable', 'upc')
call ale#Set('upstart_upc_options', '')

function! ale_linters#upstart#upc#GetCommand(buffer) abort
    return '%e check --format short --no-graph'
    \   . ale#Pad(ale#Var(a:buffer, 'upstart_upc_options'))
    \   . ' -'
endfunction

function! ale_linters#upstart#upc#Handle(buffer, lines) abort
    let l:pattern = '\v^[^:]+:(\d+):(\d+): (error|warning|note)\[([A-Z0-9]+)\]: (.*)$'
    let l:output = []

    for l:match in ale#util#GetMatches(a:lines, l:pattern)
        call add(l:output, {
        \   'lnum': l:match[1] + 0,
        \   'col': l:match[2] + 0,
        \   'type': l:match[3] is# 'error' ? 'E' : (l:match[3] is# 'warning' ? 'W' : 'I'),
        \   'code': l:match[4],
        \   'text': l:match[5],
        \})
    endfor

    return l:output
endfunction

call ale#linter#Define('upstart', {
\   'name': 'upc',
\   'executable': {b -> ale#Var(b, 'upstart_upc_executable')},
\   'command': function('ale_linters#upstart#upc#GetCommand'),
\   'callback': 'ale_linters#upstart#upc#Handle',
\   'output_stream': 'stdout',
\})
