// setkey(8) command files (KAME / ipsec-tools): commands end with ';' and may span lines.
lexer grammar SetkeyLexer;

SEMI       : ';' ;
SPDADD     : 'spdadd' ;
SPDUPDATE  : 'spdupdate' ;
SPDDELETE  : 'spddelete' ;
POLICY_OPT : '-P' ;
DQSTRING   : '"' ~["]* '"' ;
COMMENT    : '#' ~[\r\n]* -> skip ;
WORD       : ~[ \t\r\n;"#]+ ;
WS         : [ \t\r\n]+ -> skip ;
