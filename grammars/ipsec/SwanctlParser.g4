parser grammar SwanctlParser;
options { tokenVocab = SwanctlLexer; }

file      : item* EOF ;
item      : section | setting | include ;
section   : name=NAME ( COLON NAME ( COMMA NAME )* )? LBRACE item* RBRACE ;
setting   : key=NAME EQ VALUE_TEXT? ;
include   : INCLUDE ;
