// Lexer for the Windows Firewall registry rule string ("v2.xx" format, MS-GPFAS
// 2.2.2.19): the value of each entry under FirewallPolicy\FirewallRules, in .wfw hives
// and .reg exports alike.
//   v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=17|LPort=3478|Name=SfB media|
// Every field ends with '|', lists are repeated keys. Modes keep keys and values apart:
// a value may hold any character but '|' ('=' included, as in SDDL strings).
lexer grammar WinRuleLexer;

VERSION : 'v' [0-9]+ '.' [0-9]+ ;
SEP     : '|' -> mode(FIELD_KEY) ;
TRAILING_WS : [ \t\r\n]+ -> skip ;

mode FIELD_KEY;
KEY     : [A-Za-z0-9_]+ ;
EQ      : '=' -> mode(FIELD_VALUE) ;
KEY_WS  : [ \t\r\n]+ -> skip ;

mode FIELD_VALUE;
VALUE   : ~[|]+ ;
VALUE_END : '|' -> type(SEP), mode(FIELD_KEY) ;
