" Vim syntax file
" Language:    Upstart job files (Upstart 1.13, as checked by upc)
" Filenames:   /etc/init/*.conf, *.override
"
" Stanza keywords count only at the start of a line, second keywords only
" after their first one; `script` ... `end script` bodies are shell.

if exists("b:current_syntax")
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

" The body of a script block is shell.
let s:sh_syntax = exists("b:current_syntax") ? b:current_syntax : ""
syntax include @upstartShell syntax/sh.vim
unlet! b:current_syntax

syntax case match

syntax match upstartComment "#.*$" contains=upstartTodo,@Spell
syntax keyword upstartTodo contained TODO FIXME XXX NOTE

" Values.
syntax region upstartString start=+"+ skip=+\\.+ end=+"+ contains=upstartVariable oneline
syntax region upstartString start=+'+ skip=+\\.+ end=+'+ oneline
syntax match upstartVariable "\$\w\+\|\${[^}]*}" contained
syntax match upstartNumber "\<-\?\d\+\>" contained

" Stanzas that take plain arguments.
syntax match upstartStanza "^\s*\zs\%(instance\|description\|author\|version\|usage\|env\|export\|emits\|task\|respawn\|manual\|debug\|umask\|nice\|chroot\|chdir\|setuid\|setgid\|cgroup\)\>" nextgroup=upstartArgs skipwhite
syntax match upstartArgs ".*" contained contains=upstartString,upstartVariable,upstartNumber,upstartComment

" Stanzas with a closed set of values.
syntax match upstartStanza "^\s*\zsexpect\>" nextgroup=upstartExpectValue skipwhite
syntax keyword upstartExpectValue contained fork daemon stop none
syntax match upstartStanza "^\s*\zsconsole\>" nextgroup=upstartConsoleValue skipwhite
syntax keyword upstartConsoleValue contained log none output owner
syntax match upstartStanza "^\s*\zslimit\>" nextgroup=upstartResource skipwhite
syntax keyword upstartResource contained as core cpu data fsize memlock msgqueue nice nofile nproc rss rtprio sigpending stack nextgroup=upstartLimitValues skipwhite
syntax match upstartLimitValues ".*" contained contains=upstartUnlimited,upstartNumber,upstartComment
syntax keyword upstartUnlimited contained unlimited never

" Two-word stanzas.
syntax match upstartStanza "^\s*\zsrespawn\s\+limit\>" nextgroup=upstartLimitValues skipwhite
syntax match upstartStanza "^\s*\zsnormal\s\+exit\>" nextgroup=upstartSignals skipwhite
syntax match upstartStanza "^\s*\zs\%(kill\|reload\)\s\+signal\>" nextgroup=upstartSignals skipwhite
syntax match upstartStanza "^\s*\zskill\s\+timeout\>" nextgroup=upstartArgs skipwhite
syntax match upstartStanza "^\s*\zsoom\%(\s\+score\)\?\>" nextgroup=upstartLimitValues skipwhite
syntax match upstartStanza "^\s*\zsapparmor\s\+\%(load\|switch\)\>" nextgroup=upstartArgs skipwhite
syntax match upstartSignals ".*" contained contains=upstartSignal,upstartNumber,upstartComment
syntax match upstartSignal contained "\<\%(SIG\)\?\%(HUP\|INT\|QUIT\|ILL\|TRAP\|ABRT\|IOT\|BUS\|FPE\|KILL\|USR1\|SEGV\|USR2\|PIPE\|ALRM\|TERM\|STKFLT\|CHLD\|CLD\|CONT\|STOP\|TSTP\|TTIN\|TTOU\|URG\|XCPU\|XFSZ\|VTALRM\|PROF\|WINCH\|IO\|POLL\|PWR\|SYS\)\>"

" Processes: `exec` command lines (shell-ish, left plain) and script blocks.
syntax match upstartStanza "^\s*\zs\%(\%(pre\|post\)-\%(start\|stop\)\s\+\)\?exec\>" nextgroup=upstartCommand skipwhite
syntax match upstartCommand ".*" contained contains=upstartString,upstartVariable,upstartComment
syntax region upstartScript matchgroup=upstartStanza start="^\s*\%(\%(pre\|post\)-\%(start\|stop\)\s\+\)\?script\>.*$" end="^\s*end\s\+script\>" contains=@upstartShell keepend

" Event expressions: `start on` / `stop on`, going on while a `(` is open.
syntax match upstartStanza "^\s*\zs\%(start\|stop\)\s\+on\>" nextgroup=upstartExpression skipwhite
syntax region upstartExpression start="\S" end="$" contained contains=upstartParens,upstartOperator,upstartJobEvent,upstartEventArg,upstartString,upstartVariable,upstartComment
syntax region upstartParens matchgroup=upstartParen start="(" end=")" contained contains=upstartParens,upstartOperator,upstartJobEvent,upstartEventArg,upstartString,upstartVariable,upstartComment
syntax keyword upstartOperator contained and or
syntax keyword upstartJobEvent contained starting started stopping stopped
syntax match upstartEventArg contained "\<[A-Za-z_][A-Za-z0-9_]*!\?=[^ \t()]*" contains=upstartString,upstartVariable

highlight default link upstartComment Comment
highlight default link upstartTodo Todo
highlight default link upstartStanza Statement
highlight default link upstartString String
highlight default link upstartVariable Identifier
highlight default link upstartNumber Number
highlight default link upstartExpectValue Constant
highlight default link upstartConsoleValue Constant
highlight default link upstartResource Type
highlight default link upstartUnlimited Constant
highlight default link upstartSignal Constant
highlight default link upstartOperator Operator
highlight default link upstartJobEvent Special
highlight default link upstartEventArg Identifier
highlight default link upstartParen Delimiter

let b:current_syntax = "upstart"

let &cpo = s:cpo_save
unlet s:cpo_save
