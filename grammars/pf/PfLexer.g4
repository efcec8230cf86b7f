// Lexer for pf.conf (OpenBSD, FreeBSD, macOS) and `pfctl -sr` output. The driver has
// already joined '\'-continued lines, removed comments and expanded $macros (pfctl
// does both in its lexer), so this lexer sees plain statements.
// Strings follow pfctl's rule: they start with a letter, digit, '_' or ':' and run
// while the character is not blank and not one of ( ) { } < > ! = / # , " '.
// Keywords are their own tokens; the parser accepts them as names where a name may be.
lexer grammar PfLexer;

// statements and actions
PASS        : 'pass' ;
BLOCK       : 'block' ;
MATCH       : 'match' ;
DROP        : 'drop' ;
RETURN      : 'return' ;
RETURN_RST  : 'return-rst' ;
RETURN_ICMP : 'return-icmp' ;
RETURN_ICMP6: 'return-icmp6' ;
IN          : 'in' ;
OUT         : 'out' ;
LOG         : 'log' ;
LOG_ALL     : 'log-all' ;
QUICK       : 'quick' ;
ON          : 'on' ;
INET        : 'inet' ;
INET6       : 'inet6' ;
PROTO       : 'proto' ;
FROM        : 'from' ;
TO          : 'to' ;
ALL         : 'all' ;
ANY         : 'any' ;
SELF        : 'self' ;
NO_ROUTE    : 'no-route' ;
URPF_FAILED : 'urpf-failed' ;
ROUTE       : 'route' ;
PORT        : 'port' ;
OS          : 'os' ;
TABLE       : 'table' ;
PERSIST     : 'persist' ;
CONST       : 'const' ;
COUNTERS    : 'counters' ;
FILE        : 'file' ;
SET         : 'set' ;
SKIP_       : 'skip' ;
ANCHOR      : 'anchor' ;
NAT_ANCHOR  : 'nat-anchor' ;
RDR_ANCHOR  : 'rdr-anchor' ;
BINAT_ANCHOR: 'binat-anchor' ;
SCRUB_ANCHOR: 'scrub-anchor' ;
DUMMYNET_ANCHOR : 'dummynet-anchor' ;
LOAD        : 'load' ;
INCLUDE     : 'include' ;
ANTISPOOF   : 'antispoof' ;
FOR         : 'for' ;
NAT         : 'nat' ;
RDR         : 'rdr' ;
BINAT       : 'binat' ;
NO          : 'no' ;
SCRUB       : 'scrub' ;
ALTQ        : 'altq' ;
QUEUE       : 'queue' ;
OLDQUEUE    : 'oldqueue' ;
ETHER       : 'ether' ;
// filter options
USER        : 'user' ;
GROUP       : 'group' ;
FLAGS       : 'flags' ;
ICMP_TYPE   : 'icmp-type' ;
ICMP6_TYPE  : 'icmp6-type' ;
CODE        : 'code' ;
TOS         : 'tos' ;
KEEP        : 'keep' ;
MODULATE    : 'modulate' ;
SYNPROXY    : 'synproxy' ;
STATE       : 'state' ;
FRAGMENT    : 'fragment' ;
ALLOW_OPTS  : 'allow-opts' ;
LABEL       : 'label' ;
TAG         : 'tag' ;
TAGGED      : 'tagged' ;
PROBABILITY : 'probability' ;
RTABLE      : 'rtable' ;
PRIO        : 'prio' ;
ONCE        : 'once' ;
MAX_PKT_RATE: 'max-pkt-rate' ;
RECEIVED_ON : 'received-on' ;
NAT_TO      : 'nat-to' ;
RDR_TO      : 'rdr-to' ;
BINAT_TO    : 'binat-to' ;
AF_TO       : 'af-to' ;
ROUTE_TO    : 'route-to' ;
REPLY_TO    : 'reply-to' ;
DUP_TO      : 'dup-to' ;
FASTROUTE   : 'fastroute' ;
DIVERT_TO   : 'divert-to' ;
DIVERT_REPLY: 'divert-reply' ;
DIVERT_PACKET: 'divert-packet' ;
RIDENTIFIER : 'ridentifier' ;
DNPIPE      : 'dnpipe' ;
DNQUEUE     : 'dnqueue' ;
SCHEDULE    : 'schedule' ;
MIN_TTL     : 'min-ttl' ;
MAX_MSS     : 'max-mss' ;
NO_DF       : 'no-df' ;
RANDOM_ID   : 'random-id' ;
REASSEMBLE  : 'reassemble' ;
SET_TOS     : 'set-tos' ;
STATIC_PORT : 'static-port' ;
BITMASK     : 'bitmask' ;
RANDOM      : 'random' ;
SOURCE_HASH : 'source-hash' ;
ROUND_ROBIN : 'round-robin' ;
LEAST_STATES: 'least-states' ;
STICKY_ADDRESS : 'sticky-address' ;
MAP_E_PORTSET : 'map-e-portset' ;
L3          : 'l3' ;
ENDPOINT_INDEPENDENT : 'endpoint-independent' ;
MAX_PKT_SIZE: 'max-pkt-size' ;
PREFER_IPV6_NEXTHOP : 'prefer-ipv6-nexthop' ;
LIMITER     : 'limiter' ;
SOURCE      : 'source' ;

ARROW       : '->' ;
NEQ         : '!=' ;
LE          : '<=' ;
GE          : '>=' ;
XRANGE      : '><' ;
OUTRANGE    : '<>' ;
NOT         : '!' ;
EQ          : '=' ;
LT          : '<' ;
GT          : '>' ;
LBRACE      : '{' ;
RBRACE      : '}' ;
LPAREN      : '(' ;
RPAREN      : ')' ;
COMMA       : ',' ;
SLASH       : '/' ;
DASH        : '-' ;

STRING      : '"' ~["\r\n]* '"' | '\'' ~['\r\n]* '\'' ;
WORD        : [A-Za-z0-9_:] ~[ \t\r\n(){}<>!=/#,"']* ;
// `pfctl -vvsr` prefixes rules with their number and adds counter lines: neither is
// part of the rule.
RULE_NUMBER : '@' [0-9]+ ( '(' [0-9]+ ')' )? -> skip ;
COUNTER_LINE: '[' ~[\]\r\n]* ']' -> skip ;
NEWLINE     : '\r'? '\n' ;
WS          : [ \t\r]+ -> skip ;
// Anything else ('$' of an undefined macro, '*', ...) becomes a token the parser rejects
// with a position instead of a lexer error.
OTHER       : . ;
