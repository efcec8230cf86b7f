// swanctl.conf / strongswan.conf: sections `name { ... }`, settings `key = value` up to
// the end of the line, `#` comments, `include` lines.
lexer grammar SwanctlLexer;

INCLUDE  : 'include' [ \t]+ ~[ \t\r\n{}=#] ~[\r\n#]* ;
LBRACE   : '{' ;
RBRACE   : '}' ;
COLON    : ':' ;
COMMA    : ',' ;
EQ       : '=' -> pushMode(VALUE_MODE) ;
COMMENT  : '#' ~[\r\n]* -> skip ;
NAME     : ~[ \t\r\n{}:,=#"]+ ;
WS       : [ \t\r\n]+ -> skip ;

mode VALUE_MODE;
VALUE_TEXT    : ~[\r\n#{}]+ ;
VALUE_COMMENT : '#' ~[\r\n]* -> skip ;
VALUE_RBRACE  : '}' -> type(RBRACE), popMode ;
VALUE_END     : '\r'? '\n' -> skip, popMode ;
