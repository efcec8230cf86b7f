// OpenBSD ipsec.conf(5): macros, flows, ike/sa statements; a backslash continues a line.
lexer grammar OpenbsdIpsecLexer;

CONT     : '\\' '\r'? '\n' -> skip ;
NL       : '\r'? '\n' ;
COMMENT  : '#' ~[\r\n]* -> skip ;
WS       : [ \t]+ -> skip ;
LBRACE   : '{' ;
RBRACE   : '}' ;
COMMA    : ',' ;
EQ       : '=' ;
STRING   : '"' ~["\r\n]* '"' ;
FLOW     : 'flow' ;
FROM     : 'from' ;
TO       : 'to' ;
PORT     : 'port' ;
PROTO    : 'proto' ;
TYPE     : 'type' ;
IN       : 'in' ;
OUT      : 'out' ;
WORD     : ~[ \t\r\n{},="#\\]+ ;
