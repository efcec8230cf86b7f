parser grammar ConSecRuleParser;
options { tokenVocab = ConSecRuleLexer; }

rule_   : VERSION PIPE ( field? PIPE )* field? EOF ;
field   : FIELD | VERSION ;
