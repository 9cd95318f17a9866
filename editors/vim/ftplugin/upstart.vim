" Upstart job files: comments, formatting with `upc fmt`, and `upc check`
" as the compiler (:make fills the quickfix list).
if exists("b:did_ftplugin")
  finish
endif
let b:did_ftplugin = 1

setlocal comments=:# commentstring=#\ %s
setlocal formatoptions-=t formatoptions+=croql
setlocal iskeyword+=-

" `gq` and :UpcFmt format with upc's formatter (text in, text out).
setlocal formatprg=upc\ fmt\ -
command! -buffer UpcFmt let s:view = winsaveview() | silent %!upc fmt - | call winrestview(s:view)

" :make checks the job file; errors land in the quickfix list.
setlocal makeprg=upc\ check\ --format\ short\ %
setlocal errorformat=%f:%l:%c:\ %t%*[a-z]%m

let b:undo_ftplugin = "setlocal comments< commentstring< formatoptions< iskeyword< formatprg< makeprg< errorformat<"
      \ . " | delcommand UpcFmt"
