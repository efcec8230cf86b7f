parser grammar IpsecConfParser;
options { tokenVocab = IpsecConfLexer; }

line          : ( sectionHeader | includeLine | versionLine | setting )? EOF ;
sectionHeader : kind=( CONN | CONFIG | CA ) name+=nameToken* ;
nameToken     : word | EQ ;
includeLine   : INCLUDE word+ ;
versionLine   : VERSION word ;
setting       : key=WORD EQ value? ;
value         : ( word | EQ )+ ;
word          : WORD | STRING | CONN | CONFIG | CA | INCLUDE | VERSION ;
