// Lexer for iptables-save / ip6tables-save / iptables-restore input, one line at a time.
// Tokens that only make sense at the start of a line use a position predicate, so that
// values such as ":1023" or "*" inside a rule stay plain words.
lexer grammar IptablesLexer;

TABLE_HEADER : {getCharPositionInLine() == 0}? '*' [a-zA-Z_0-9]+ ;
CHAIN_DECL   : {getCharPositionInLine() == 0}? ':' ~[ \t\r\n]+ ;
LINE_COMMENT : {getCharPositionInLine() == 0}? '#' ~[\r\n]* ;
COMMIT       : 'COMMIT' ;
COUNTERS     : '[' [0-9]+ ':' [0-9]+ ']' ;
NOT          : '!' ;
LONG_OPT     : '--' [a-zA-Z0-9] [a-zA-Z0-9_-]* ( '=' ~[ \t\r\n"]* )? ;
SHORT_OPT    : '-' [a-zA-Z0-9] ;
DQSTRING     : '"' ( '\\' . | ~["\\\r\n] )* '"' ;
SQSTRING     : '\'' ~['\r\n]* '\'' ;
WORD         : ~[ \t\r\n"'!] ~[ \t\r\n"]* ;
WS           : [ \t]+ -> skip ;
NEWLINE      : '\r'? '\n' -> skip ;
