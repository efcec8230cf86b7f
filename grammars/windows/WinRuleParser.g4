// A Windows Firewall rule string: version, then KEY=VALUE fields each closed by '|'.
// Which keys exist and what their values mean is decided by the builder (keys unknown
// to it are kept).
parser grammar WinRuleParser;

options { tokenVocab = WinRuleLexer; }

ruleString : VERSION SEP field* EOF ;

field : KEY EQ VALUE? SEP ;
