// Lexer for nftables rulesets: what `nft list ruleset` prints and what people write in
// /etc/nftables.conf (block form and command form). No semantic predicates (they would
// disable the lexer's DFA cache). Newlines are tokens: a rule ends at the end of its line
// (or at ';' or '}'); a backslash before the newline continues the line.
//
// Values (numbers, addresses, prefixes, ranges "5060-5061", "10.0.0.1-10.0.0.9", service
// and state names, "eth*", rates "10/second", MAC and IPv6 addresses) are one VALUE token;
// the frontend interprets them by the selector they are compared with, as nft does.
// Keywords that are also plain words elsewhere are accepted as names by the parser.
lexer grammar NftablesLexer;

// Commands and blocks
TABLE       : 'table' ;
CHAIN       : 'chain' ;
RULE        : 'rule' ;
SET         : 'set' ;
MAP         : 'map' ;
VMAP        : 'vmap' ;
FLOWTABLE   : 'flowtable' ;
ELEMENT     : 'element' ;
ELEMENTS    : 'elements' ;
ADD         : 'add' ;
CREATE      : 'create' ;
INSERT      : 'insert' ;
REPLACE     : 'replace' ;
DELETE      : 'delete' ;
DESTROY     : 'destroy' ;
FLUSH       : 'flush' ;
LIST        : 'list' ;
RESET       : 'reset' ;
RENAME      : 'rename' ;
RULESET     : 'ruleset' ;
UPDATE      : 'update' ;
INCLUDE     : 'include' ;
DEFINE      : 'define' ;
REDEFINE    : 'redefine' ;
UNDEFINE    : 'undefine' ;
TYPE        : 'type' ;
TYPEOF      : 'typeof' ;
HOOK        : 'hook' ;
PRIORITY    : 'priority' ;
POLICY      : 'policy' ;
DEVICE      : 'device' ;
DEVICES     : 'devices' ;
FLAGS       : 'flags' ;
TIMEOUT     : 'timeout' ;
EXPIRES     : 'expires' ;
COMMENT     : 'comment' ;
HANDLE      : 'handle' ;
POSITION    : 'position' ;
INDEX       : 'index' ;

// Families
IP          : 'ip' ;
IP6         : 'ip6' ;
INET        : 'inet' ;
ARP         : 'arp' ;
BRIDGE      : 'bridge' ;
NETDEV      : 'netdev' ;

// Selectors
TCP         : 'tcp' ;
UDP         : 'udp' ;
UDPLITE     : 'udplite' ;
SCTP        : 'sctp' ;
DCCP        : 'dccp' ;
TH          : 'th' ;
ICMP        : 'icmp' ;
ICMPV6      : 'icmpv6' ;
ETHER       : 'ether' ;
VLAN        : 'vlan' ;
META        : 'meta' ;
CT          : 'ct' ;
ORIGINAL    : 'original' ;
REPLY       : 'reply' ;
FIB         : 'fib' ;
IIF         : 'iif' ;
IIFNAME     : 'iifname' ;
OIF         : 'oif' ;
OIFNAME     : 'oifname' ;

// Verdicts and statements
ACCEPT      : 'accept' ;
DROP        : 'drop' ;
REJECT      : 'reject' ;
WITH        : 'with' ;
JUMP        : 'jump' ;
GOTO        : 'goto' ;
RETURN      : 'return' ;
CONTINUE    : 'continue' ;
QUEUE       : 'queue' ;
COUNTER     : 'counter' ;
PACKETS     : 'packets' ;
BYTES       : 'bytes' ;
LOG         : 'log' ;
PREFIX      : 'prefix' ;
LEVEL       : 'level' ;
GROUP       : 'group' ;
SNAPLEN     : 'snaplen' ;
LIMIT       : 'limit' ;
RATE        : 'rate' ;
OVER        : 'over' ;
UNTIL       : 'until' ;
BURST       : 'burst' ;
QUOTA       : 'quota' ;
USED        : 'used' ;
NOTRACK     : 'notrack' ;
DNAT        : 'dnat' ;
SNAT        : 'snat' ;
MASQUERADE  : 'masquerade' ;
REDIRECT    : 'redirect' ;
TO          : 'to' ;
METER       : 'meter' ;
OPTION      : 'option' ;
RT          : 'rt' ;

// Operators and punctuation
NEQ         : '!=' ;
EQ          : '==' ;
LE          : '<=' ;
GE          : '>=' ;
LSHIFT      : '<<' ;
RSHIFT      : '>>' ;
LT          : '<' ;
GT          : '>' ;
NOT         : '!' ;
AMP         : '&' ;
PIPE        : '|' ;
CARET       : '^' ;
// nft's scanner reads these words as the operators ("ne" is NEQ, "or" is '|'); the
// frontend reads them as the symbols.
NEQ_WORD    : 'ne' ;
EQ_WORD     : 'eq' ;
LE_WORD     : 'le' ;
GE_WORD     : 'ge' ;
LT_WORD     : 'lt' ;
GT_WORD     : 'gt' ;
LSHIFT_WORD : 'lshift' ;
RSHIFT_WORD : 'rshift' ;
AND_WORD    : 'and' ;
OR_WORD     : 'or' ;
XOR_WORD    : 'xor' ;
LBRACE      : '{' ;
RBRACE      : '}' ;
LPAREN      : '(' ;
RPAREN      : ')' ;
LBRACK      : '[' ;
RBRACK      : ']' ;
COMMA       : ',' ;
COLON       : ':' ;
SEMI        : ';' ;
DOT         : '.' ;
ASSIGN      : '=' ;
PLUS        : '+' ;
MINUS       : '-' ;
SLASH       : '/' ;
STAR        : '*' ;

// A variable's name is what nft's scanner reads as a string (scanner.l: letters, digits,
// '_', '.', '/', '-'): `$lan-if`, `$net/v4`.
VARREF      : '$' [a-zA-Z_] [a-zA-Z0-9_./-]* ;
SETREF      : '@' [a-zA-Z_] [a-zA-Z0-9_./\\-]* ;
// A lone '@' (`tcp option @255,8,8`: nft's AT token, a raw option of its number).
AT          : '@' ;
STRING      : '"' ( '\\' . | ~["\\\r\n] )* '"' ;
SQSTRING    : '\'' ~['\r\n]* '\'' ;
VALUE
  : [a-zA-Z0-9_] ( [a-zA-Z0-9_./\\*-]* [a-zA-Z0-9_/\\*] )?
  | ADDRESS_WITH_COLONS
  ;
// IPv6 and MAC addresses: at least two colons, so that "22:accept" is three tokens; as in
// nft's scanner (scanner.l: ip6addr, macaddr), never three colons in a row and no single
// colon at the end: "aaaa:::accept" is "aaaa::", ':', "accept" (v677 is `({hex4}:){7}:`)
// and "::dddd: drop" is "::dddd", ':', "drop".
fragment ADDRESS_WITH_COLONS
  : HEX_DIGIT* ':' ( ':' ADDRESS_REST? | HEX_DIGIT+ ':' ( ':' ADDRESS_REST? | ADDRESS_REST ) ) ( '/' [0-9]+ )? ;
fragment ADDRESS_REST : ADDRESS_CHAR ( ADDRESS_CHAR | ':' ADDRESS_CHAR | ':' ':' ADDRESS_CHAR )* ( ':' ':' )? ;
fragment ADDRESS_CHAR : [0-9a-fA-F.] ;
fragment HEX_DIGIT : [0-9a-fA-F] ;

LINE_CONT   : '\\' [ \t]* '\r'? '\n' -> skip ;
COMMENT_TXT : '#' ~[\r\n]* -> skip ;
WS          : [ \t]+ -> skip ;
NL          : '\r'? '\n' ;
// Anything else is a token of its own, so that the parser reports it with its position.
OTHER       : . ;
