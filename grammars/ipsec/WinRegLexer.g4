// One line of a .reg export (regedit): header, [key] sections, "name"=value entries.
// Hex values may continue over lines ending in '\'; the driver joins them.
lexer grammar WinRegLexer;

HEADER   : 'Windows Registry Editor Version' ~[\r\n]* | 'REGEDIT4' ;
SECTION  : '[' ~[\]\r\n]* ']' ;
STRING   : '"' ( '\\' . | ~["\\\r\n] )* '"' ;
AT       : '@' ;
EQ       : '=' ;
DELETE   : '-' ;
DWORD    : 'dword:' [0-9a-fA-F]+ ;
HEX      : 'hex' ( '(' [0-9a-fA-F]+ ')' )? ':' ~[\r\n]* ;
COMMENT  : ';' ~[\r\n]* -> skip ;
WS       : [ \t]+ -> skip ;
