parser grammar NetshShowParser;
options { tokenVocab = NetshShowLexer; }

line     : ( labelled | text )? EOF ;
labelled : label=LABEL COLON value=VALUE? ;
text     : LABEL ;
