// `ip xfrm policy` output: a selector line, a dir/socket line, then indented details
// (templates, lifetimes with -s).
lexer grammar XfrmLexer;

SRC     : 'src' ;
DST     : 'dst' ;
DIR     : 'dir' ;
SOCKET  : 'socket' ;
TMPL    : 'tmpl' ;
NL      : '\r'? '\n' ;
WS      : [ \t]+ -> skip ;
WORD    : ~[ \t\r\n]+ ;
