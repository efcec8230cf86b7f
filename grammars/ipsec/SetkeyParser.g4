parser grammar SetkeyParser;
options { tokenVocab = SetkeyLexer; }

file        : command* EOF ;
command     : spdadd | other ;
// spdadd [-46n] src_range dst_range upperspec [label] policy ;
// spddelete [-46n] src_range dst_range upperspec -P direction [policy] ;
spdadd      : cmd=( SPDADD | SPDUPDATE | SPDDELETE ) flags+=flag* src=WORD dst=WORD upper+=WORD+ POLICY_OPT policy+=WORD+ SEMI ;
flag        : WORD ;
other       : WORD ( WORD | DQSTRING | POLICY_OPT )* SEMI ;
