parser grammar OpenbsdIpsecParser;
options { tokenVocab = OpenbsdIpsecLexer; }

file        : ( statement? NL )* statement? EOF ;
statement   : macro | flow | other ;
macro       : WORD EQ ( STRING | WORD ) ;
flow        : FLOW satype=WORD? dir=( IN | OUT )? ( PROTO proto=value )?
              ( FROM src=value ( PORT sport=value )? TO dst=value ( PORT dport=value )? )?
              option* ;
option      : TYPE value | key=WORD value? ;
value       : WORD | STRING | list ;
list        : LBRACE value ( COMMA? value )* RBRACE ;
other       : ( WORD | STRING | list | EQ | FROM | TO | PORT | PROTO | TYPE | IN | OUT )+ ;
