parser grammar XfrmParser;
options { tokenVocab = XfrmLexer; }

file      : NL* policy* EOF ;
policy    : selector NL+ direction NL+ ( detail NL+ )* ;
selector  : SRC src=WORD DST dst=WORD field+=WORD* ;
direction : kind=( DIR | SOCKET ) dir=WORD attr+=WORD* ;
detail    : TMPL any* | WORD any* ;
any       : WORD | SRC | DST | DIR | SOCKET | TMPL ;
