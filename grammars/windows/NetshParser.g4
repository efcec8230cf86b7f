// One netsh command: leading words (context and command, possibly abbreviated:
// "advfirewall firewall add rule" or "adv f a r"), then KEY=VALUE options, among which
// bare words may stand ("set rule name=X new enable=yes"). The builder
// resolves abbreviations and option names as netsh does (unique prefixes).
parser grammar NetshParser;

options { tokenVocab = NetshLexer; }

command : word+ ( option | word )* EOF ;

word : WORD | DQSTRING ;

option : key=WORD EQ value? ;

value : WORD | DQSTRING ;
