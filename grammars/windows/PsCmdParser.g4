// One PowerShell command with named parameters. A parameter takes a value list
// (comma-separated, or @(...)) or is a switch. What follows a pipe, a semicolon or a
// closing parenthesis belongs to other commands and is not part of the rule.
parser grammar PsCmdParser;

options { tokenVocab = PsCmdLexer; }

command : cmdlet=WORD element* rest? EOF ;

element
  : PARAM valueList?     # parameter
  | SPLAT                # splatting
  | value                # positional
  ;

valueList : value ( COMMA value )* ;

value
  : WORD
  | DQSTRING
  | SQSTRING
  | VARIABLE
  | AT_PAREN valueList? RPAREN
  | ( SUBEXPR | LPAREN ) inner* RPAREN
  ;

inner : ~( LPAREN | RPAREN | SUBEXPR | AT_PAREN ) | ( SUBEXPR | LPAREN | AT_PAREN ) inner* RPAREN ;

rest : ( PIPE | SEMI | RPAREN ) .*? ;
