// Lexer for one PowerShell command invocation with named parameters, the form
// deployment scripts use for firewall rules:
//   New-NetFirewallRule -DisplayName "SfB SIP" -Direction Inbound -Protocol TCP `
//       -LocalPort 5061,5062-5076 -Action Allow -Profile Domain,Private | Out-Null
// The driver joins backtick continuations and hands over the text from the cmdlet name
// on. Strings: "..." (with `x escapes and "" for a quote) and '...' ('' for a quote).
lexer grammar PsCmdLexer;

PARAM    : '-' [A-Za-z_] [A-Za-z0-9_]* ':'? ;
DQSTRING : '"' ( '`' . | '""' | ~["`] )* '"' ;
SQSTRING : '\'' ( '\'\'' | ~['] )* '\'' ;
VARIABLE : '$' ( '{' ~[}]* '}' | [A-Za-z0-9_:?]+ ) ( '.' [A-Za-z0-9_]+ )* ;
SPLAT    : '@' [A-Za-z_] [A-Za-z0-9_]* ;
AT_PAREN : '@(' ;
SUBEXPR  : '$(' ;
LPAREN   : '(' ;
RPAREN   : ')' ;
COMMA    : ',' ;
PIPE     : '|' ;
SEMI     : ';' ;
COMMENT  : '#' ~[\r\n]* -> skip ;
WORD     : ( ~[ \t\r\n,()|;"'$@`#-] | '-' ~[A-Za-z_ \t\r\n,()|;"'`] ) ~[ \t\r\n,()|;"'`]* ;
WS       : ( [ \t\r\n]+ | '`' [ \t]* '\r'? '\n' ) -> skip ;
