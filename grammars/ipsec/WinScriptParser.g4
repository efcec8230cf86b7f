parser grammar WinScriptParser;
options { tokenVocab = WinScriptLexer; }

command        : ( netshConsecAdd | newNetIpsecRule ) EOF ;
netshConsecAdd : netsh=WORD context+=WORD+ netshArg* ;
netshArg       : key=WORD EQ netshValue? ;
netshValue     : netshItem ( COMMA netshItem )* ;
netshItem      : WORD | DQSTRING ;
newNetIpsecRule: cmdlet=WORD splat=SPLAT? psArg* ;
// One `Key = value` line of a PowerShell hashtable used for splatting.
hashEntry      : key=WORD EQ psValue EOF ;
psArg          : PARAM psValue? ;
psValue        : psItem ( COMMA psItem )* ;
psItem         : WORD | DQSTRING | SQSTRING | ARRAY_OPEN psItem ( COMMA psItem )* RPAREN ;
