// Lexer for one netsh command line as found in .bat/.cmd deployment scripts:
//   netsh advfirewall firewall add rule name="SfB SIP" dir=in action=allow protocol=TCP localport=5061
//   netsh adv f a r n=RDP dir=in act=allow prof=any prot=tcp localport=3389
//   netsh advfirewall set allprofiles firewallpolicy blockinbound,allowoutbound
// Words are separated by blanks; options are KEY=VALUE (blanks around '=' allowed);
// values may be double-quoted. cmd.exe variables (%x%) stay part of a word.
lexer grammar NetshLexer;

EQ       : '=' ;
DQSTRING : '"' ~["\r\n]* '"' ;
WORD     : ~[ \t\r\n="]+ ;
WS       : [ \t]+ -> skip ;
NEWLINE  : '\r'? '\n' -> skip ;
