// One line of iptables-save output (or an iptables-restore file).
//   *filter                      table header
//   :INPUT DROP [0:0]            chain declaration: policy ('-' for user chains), counters
//   [5:300] -A INPUT ... -j X    command with its rule specification
//   COMMIT
// Comment lines ('#' first) are skipped before parsing.
// A rule specification is a getopt-style list of options, each optionally negated with
// '!' before it (or, in old scripts, after it), followed by its values. Which option takes
// how many values depends on the match module or target it belongs to: the builder
// interprets them (as iptables itself does), the grammar fixes the shape.
parser grammar IptablesParser;

options { tokenVocab = IptablesLexer; }

line
  : ( tableHeader | chainDecl | commitLine | command )? EOF
  ;

tableHeader : TABLE_HEADER ;

chainDecl : CHAIN_DECL policy=value counters? ;

commitLine : COMMIT ;

command : counters? element+ ;

counters : COUNTERS ;

element
  : NOT? option NOT? value*     # optionElement
  | NOT                         # danglingNot
  ;

option : SHORT_OPT | LONG_OPT ;

value : WORD | DQSTRING | SQSTRING | COUNTERS | COMMIT | CHAIN_DECL | TABLE_HEADER ;
