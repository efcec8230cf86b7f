// One logical line of a Windows script: `netsh advfirewall consec add rule k=v ...` or
// `New-NetIPsecRule -Param value ...` (continuations joined by the driver).
lexer grammar WinScriptLexer;

DQSTRING : '"' ~["\r\n]* '"' ;
SQSTRING : '\'' ~['\r\n]* '\'' ;
EQ       : '=' ;
COMMA    : ',' ;
ARRAY_OPEN : '@(' ;
SPLAT    : '@' [A-Za-z_] [A-Za-z0-9_]* ;
RPAREN   : ')' ;
PARAM    : '-' [A-Za-z] [A-Za-z0-9]* ( ':' ~[ \t\r\n]* )? ;
WORD     : ~[ \t\r\n="',()]+ ;
WS       : [ \t]+ -> skip ;
