// strongSwan / libreswan ipsec.conf, one line at a time (the driver knows whether the
// line is indented: indented lines are parameters of the current section).
lexer grammar IpsecConfLexer;

CONN     : 'conn' ;
CONFIG   : 'config' ;
CA       : 'ca' ;
INCLUDE  : 'include' ;
VERSION  : 'version' ;
EQ       : '=' ;
STRING   : '"' ~["\r\n]* '"' ;
COMMENT  : '#' ~[\r\n]* -> skip ;
WORD     : ~[ \t\r\n="#] ~[ \t\r\n="]* ;
WS       : [ \t]+ -> skip ;
NEWLINE  : '\r'? '\n' -> skip ;
