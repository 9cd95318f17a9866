" Upstart job files: /etc/init/*.conf and *.override (system and user
" sessions), and debian/*.upstart packaging files.
autocmd BufNewFile,BufRead */etc/init/*.conf,*/etc/init/*.override setfiletype upstart
autocmd BufNewFile,BufRead */.init/*.conf,*/.init/*.override setfiletype upstart
autocmd BufNewFile,BufRead */.config/upstart/*.conf,*/.config/upstart/*.override setfiletype upstart
autocmd BufNewFile,BufRead */usr/share/upstart/sessions/*.conf setfiletype upstart
autocmd BufNewFile,BufRead *.upstart,*/debian/upstart setfiletype upstart
autocmd BufNewFile,BufRead *.override setfiletype upstart
