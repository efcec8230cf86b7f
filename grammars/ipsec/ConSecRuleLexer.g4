// A connection security rule as the registry stores it (MS-GPFAS 2.2.6.2 style):
// "v2.31|Action=DoNotSecure|Name=...|EP1Port=49152-57500|...|".
lexer grammar ConSecRuleLexer;

VERSION : 'v' [0-9]+ '.' [0-9]+ ;
PIPE    : '|' ;
FIELD   : ~[|\r\n]+ ;
