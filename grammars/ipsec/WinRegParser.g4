parser grammar WinRegParser;
options { tokenVocab = WinRegLexer; }

line   : ( HEADER | SECTION | entry )? EOF ;
entry  : name=( STRING | AT ) EQ value=( STRING | DWORD | HEX | DELETE ) ;
