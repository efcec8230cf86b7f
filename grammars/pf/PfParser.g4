// pf.conf statements. The driver feeds one top-level statement at a time (a logical
// line, or several lines while a '{' is open), after macro expansion, and parses it with
// `chunk`. Lists `{ a, b c }` take commas or blanks (and newlines) between items and nest.
parser grammar PfParser;

options { tokenVocab = PfLexer; }

chunk : NEWLINE* ( statement ( NEWLINE+ statement )* )? NEWLINE* EOF ;

statement
  : macroDef
  | optionStmt
  | tableDef
  | anchorRule
  | loadAnchor
  | includeStmt
  | antispoofRule
  | filterRule
  | natRule
  | rdrRule
  | binatRule
  | scrubRule
  | hookRule
  | queueStmt
  | etherRule
  | limiterDef
  ;

// ---- macros, options, tables --------------------------------------------------------
macroDef : name=WORD EQ value+=macroPart+ ;
macroPart : STRING | word | LBRACE | RBRACE | COMMA | SLASH | DASH | LT | GT | NOT ;

optionStmt
  : SET SKIP_ ON ifList                                  # setSkip
  | SET name=word setArg*                                # setOther
  ;
setArg : word | LBRACE setListItem* RBRACE | LPAREN setListItem* RPAREN ;
setListItem : word | COMMA | NEWLINE | SLASH | LPAREN setListItem* RPAREN ;

tableDef : TABLE LT name=word GT tableOpt* ;
tableOpt
  : PERSIST | CONST | COUNTERS
  | FILE path=word
  | LBRACE NEWLINE* ( tableEntry ( COMMA? NEWLINE* tableEntry )* )? COMMA? NEWLINE* RBRACE
  ;
tableEntry : NOT? host ;

// ---- anchors, include, antispoof ----------------------------------------------------
anchorRule
  : ANCHOR anchorName? direction? QUICK? onIf? af? protoSpec? hosts? filterOpt*
    ( LBRACE NEWLINE* ( statement ( NEWLINE+ statement )* )? NEWLINE* RBRACE )?
  ;
anchorName : STRING | WORD ;
loadAnchor : LOAD ANCHOR anchorName FROM path=word ;
includeStmt : INCLUDE path=word ;   // pfctl: a quoted or bare string
antispoofRule : ANTISPOOF logOpt? QUICK? logOpt? FOR ifList af? ( LABEL word )? ( RIDENTIFIER word )? ;

// FreeBSD translation/scrub/dummynet hooks: `nat-anchor "x/*"`, ...
hookRule
  : kind=( NAT_ANCHOR | RDR_ANCHOR | BINAT_ANCHOR | SCRUB_ANCHOR | DUMMYNET_ANCHOR )
    anchorName? direction? onIf? af? protoSpec? hosts? filterOpt*
  ;

// ---- filter rules -------------------------------------------------------------------
filterRule
  : action direction? logQuick onIf? routeOpt? af? protoSpec? hosts? filterOpt*
  ;
action
  : PASS
  | MATCH
  | BLOCK blockMode?
  ;
blockMode
  : DROP
  | RETURN
  | RETURN_RST ( LPAREN word+ RPAREN )?
  | RETURN_ICMP ( LPAREN word ( COMMA word )? RPAREN )?
  | RETURN_ICMP6 ( LPAREN word RPAREN )?
  ;
direction : IN | OUT ;
logQuick : ( logOpt QUICK? | QUICK logOpt? )? ;
logOpt : LOG ( LPAREN logItem ( COMMA logItem )* RPAREN )? ;   // `log-all` is gone (pfail52)
logItem : word+ ;

onIf : ON ifList | ON word word ;   // second form: `on rdomain 1`
ifList : ifItem | LBRACE NEWLINE* ifItem ( COMMA? NEWLINE* ifItem )* COMMA? NEWLINE* RBRACE ;
ifItem : NOT? word | NOT? LPAREN word RPAREN ;

af : INET | INET6 ;

protoSpec : PROTO ( protoItem | LBRACE NEWLINE* protoItem ( COMMA? NEWLINE* protoItem )* COMMA? NEWLINE* RBRACE ) ;
protoItem : word ;

hosts
  : ALL
  | FROM hostPortSpec osSpec? ( TO hostPortSpec )?
  | TO hostPortSpec
  ;
hostPortSpec
  : hostSpec portSpec?
  | portSpec
  ;
hostSpec : hostItem ;
hostItem
  : NOT? host                                  # singleHost
  | LBRACE NEWLINE* hostItem ( COMMA? NEWLINE* hostItem )* COMMA? NEWLINE* RBRACE   # nestedHosts
  ;
host
  : ANY                                        # anyHost
  | SELF                                       # selfHost
  | NO_ROUTE                                   # noRouteHost
  | URPF_FAILED                                # urpfHost
  | ROUTE word                                 # routeLabelHost
  | LT word GT                                 # tableHost
  | LPAREN word ( COMMA word )? RPAREN ( SLASH word )?   # dynamicIfHost
  | word DASH word                             # rangeHost
  | word ( SLASH word )?                       # addressHost
  ;

portSpec : PORT ( portItem | portList ) ;
portList : LBRACE NEWLINE* portItem ( COMMA? NEWLINE* portItem )* COMMA? NEWLINE* RBRACE ;
portItem
  : op=( EQ | NEQ | LT | LE | GT | GE ) word        # unaryPort
  | lo=word op=( XRANGE | OUTRANGE ) hi=word         # binaryPort
  | word                                             # plainPort
  | portList                                         # nestedPorts
  ;

osSpec : OS ( word | LBRACE NEWLINE* word ( COMMA? NEWLINE* word )* COMMA? NEWLINE* RBRACE ) ;

filterOpt
  : ( USER | GROUP ) idList                          # userOpt
  | FLAGS ( ANY | word? SLASH word )                 # flagsOpt
  | ( ICMP_TYPE | ICMP6_TYPE ) icmpList              # icmpOpt
  | TOS word                                         # tosOpt
  | stateKind STATE stateOpts?                       # stateOpt
  | NO STATE                                         # noStateOpt
  | FRAGMENT ( REASSEMBLE | NO REASSEMBLE | word )?  # fragmentOpt
  | ( ALLOW_OPTS | NO_DF | RANDOM_ID | ONCE | DIVERT_REPLY | PREFER_IPV6_NEXTHOP ) # flagOpt
  | ( LABEL | TAG | PROBABILITY | RTABLE | MIN_TTL | MAX_MSS | SET_TOS | MAX_PKT_RATE | MAX_PKT_SIZE | RIDENTIFIER | SCHEDULE ) word ( SLASH word )? # valueOpt
  | NOT? TAGGED word                                 # taggedOpt
  | PRIO ( word | LPAREN word ( COMMA? word )* RPAREN )  # prioOpt
  | SET setItem                                      # setOpt
  | SET LPAREN setItem ( COMMA? setItem )* RPAREN     # setListOpt
  | ( STATE | SOURCE ) LIMITER ( STRING | WORD WORD? ) ( LPAREN word* RPAREN )?  # limiterOpt   // "name" or `id 1`
  | QUEUE ( word | LPAREN word ( COMMA? word )* RPAREN )  # queueOpt
  | ( DNPIPE | DNQUEUE ) ( word | LPAREN word ( COMMA? word )* RPAREN )  # dummynetOpt
  | L3                                               # l3Opt
  | REASSEMBLE word                                  # reassembleOpt
  | NOT? RECEIVED_ON ifList                          # receivedOnOpt
  | SCRUB LPAREN ( scrubItem ( COMMA? scrubItem )* )? RPAREN   # scrubOpt
  | kind=( NAT_TO | RDR_TO | BINAT_TO ) redirHosts ( PORT redirPort )? poolOpt*  # translateOpt
  | AF_TO af FROM redirHosts ( TO redirHosts )? poolOpt*  # afToOpt
  | ( ROUTE_TO | REPLY_TO | DUP_TO ) routeTarget poolOpt*  # routeOpt2
  | FASTROUTE                                        # fastrouteOpt
  | DIVERT_TO word ( PORT word )?                     # divertToOpt
  | DIVERT_PACKET PORT word                          # divertPacketOpt
  ;

setItem : ( PRIO | TOS | QUEUE | word ) ( word | LPAREN word ( COMMA? word )* RPAREN ) ;

routeOpt : ( ROUTE_TO | REPLY_TO | DUP_TO ) routeTarget poolOpt* PREFER_IPV6_NEXTHOP? | FASTROUTE ;
routeTarget
  : LPAREN word word? ( SLASH word )? RPAREN
  | LBRACE NEWLINE* routeTarget ( COMMA? NEWLINE* routeTarget )* COMMA? NEWLINE* RBRACE
  | hostSpec
  ;

idList : idItem | LBRACE NEWLINE* idItem ( COMMA? NEWLINE* idItem )* COMMA? NEWLINE* RBRACE ;
idItem : ( op=( EQ | NEQ | LT | LE | GT | GE ) )? word ( ( XRANGE | OUTRANGE ) word )? ;
icmpList : icmpItem | LBRACE NEWLINE* icmpItem ( COMMA? NEWLINE* icmpItem )* COMMA? NEWLINE* RBRACE ;
icmpItem : word ( CODE word )? ;

stateKind : KEEP | MODULATE | SYNPROXY ;
stateOpts : LPAREN stateItem ( COMMA stateItem )* RPAREN ;
stateItem : ( word | LT word GT | SLASH | LPAREN word* RPAREN )+ ;
scrubItem : ( word | REASSEMBLE | FRAGMENT | NO_DF | RANDOM_ID | MIN_TTL | MAX_MSS | SET_TOS ) word? ;

redirHosts
  : redirHost
  | LBRACE NEWLINE* redirHost ( COMMA? NEWLINE* redirHost )* COMMA? NEWLINE* RBRACE
  ;
redirHost : host ;
redirPort : word ( DASH word )? ;
poolOpt : BITMASK | RANDOM | SOURCE_HASH word? | ROUND_ROBIN | LEAST_STATES | STICKY_ADDRESS | STATIC_PORT
        | MAP_E_PORTSET word SLASH word SLASH word | ENDPOINT_INDEPENDENT ;

// ---- legacy translation (FreeBSD, old OpenBSD), scrub, queues, ethernet ------------
natRule
  : NO? NAT PASS? logOpt? onIf? af? protoSpec? hosts? tagOpts ( ARROW redirHosts ( PORT redirPort )? poolOpt* )?
  ;
rdrRule
  : NO? RDR PASS? logOpt? onIf? af? protoSpec? hosts? tagOpts ( ARROW redirHosts ( PORT redirPort )? poolOpt* )?
  ;
binatRule
  : NO? BINAT PASS? logOpt? onIf? af? protoSpec? hosts? tagOpts ( ARROW redirHosts )?
  ;
tagOpts : ( TAG word | NOT? TAGGED word )* ;

scrubRule : SCRUB direction? logQuick onIf? af? protoSpec? hosts? filterOpt* ;

queueStmt : ( ALTQ | QUEUE | OLDQUEUE ) looseItem* ;
etherRule : ETHER looseItem* ;
// FreeBSD state and source limiters: `state limiter "name" id 1 limit 1000 rate 1/10`.
limiterDef : ( STATE | SOURCE ) LIMITER looseItem* ;
looseItem : ~( NEWLINE | LBRACE | RBRACE | LPAREN | RPAREN ) | LBRACE ( looseItem | NEWLINE )* RBRACE | LPAREN ( looseItem | NEWLINE )* RPAREN ;

// A name: any string or keyword (pf lets tables, interfaces and labels use them).
word
  : WORD | STRING
  | PASS | BLOCK | MATCH | DROP | RETURN | RETURN_RST | RETURN_ICMP | RETURN_ICMP6 | IN | OUT | LOG | QUICK
  | ON | INET | INET6 | PROTO | FROM | TO | ALL | ANY | SELF | NO_ROUTE | URPF_FAILED | ROUTE | PORT | OS
  | TABLE | PERSIST | CONST | COUNTERS | FILE | SET | SKIP_ | ANCHOR | NAT_ANCHOR | RDR_ANCHOR | BINAT_ANCHOR
  | SCRUB_ANCHOR | DUMMYNET_ANCHOR | LOAD | INCLUDE | ANTISPOOF | FOR | NAT | RDR | BINAT | NO | SCRUB | ALTQ
  | QUEUE | OLDQUEUE | ETHER | USER | GROUP | FLAGS | ICMP_TYPE | ICMP6_TYPE | CODE | TOS | KEEP | MODULATE
  | SYNPROXY | STATE | FRAGMENT | ALLOW_OPTS | LABEL | TAG | TAGGED | PROBABILITY | RTABLE | PRIO | ONCE
  | MAX_PKT_RATE | RECEIVED_ON | NAT_TO | RDR_TO | BINAT_TO | AF_TO | ROUTE_TO | REPLY_TO | DUP_TO | FASTROUTE
  | DIVERT_TO | DIVERT_REPLY | DIVERT_PACKET | RIDENTIFIER | DNPIPE | DNQUEUE | SCHEDULE | MIN_TTL | MAX_MSS
  | NO_DF | RANDOM_ID | REASSEMBLE | SET_TOS | STATIC_PORT | BITMASK | RANDOM | SOURCE_HASH | ROUND_ROBIN
  | LEAST_STATES | STICKY_ADDRESS | MAP_E_PORTSET | L3 | LOG_ALL | ENDPOINT_INDEPENDENT | MAX_PKT_SIZE
  | PREFER_IPV6_NEXTHOP | LIMITER | SOURCE
  ;
