// Lexer for iptables-save / ip6tables-save / iptables-restore input, one line at a time.
// No semantic predicates (they would disable the lexer's DFA cache): tokens such as
// ":INPUT" or "*filter" are also accepted as plain values by the parser, and comment
// lines ('#' in column 1) are skipped by the driver before lexing.
lexer grammar IptablesLexer;

TABLE_HEADER : '*' [a-zA-Z_0-9]+ ;
CHAIN_DECL   : ':' ~[ \t\r\n]+ ;
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
