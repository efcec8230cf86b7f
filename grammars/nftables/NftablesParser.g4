// nftables rulesets, parsed one item at a time: the driver keeps the block structure
// (table { chain { ... } }) and calls the entry rule for the block it is in:
//   topItem    at file level (block openers, command forms, define, include)
//   tableItem  inside table { }
//   chainItem  inside chain { }   (base-chain declaration, policy, one rule)
//   setItem    inside set/map { }
//   otherItem  inside flowtable, counter, quota, ct helper ... { } (read, not analysed)
// Every item ends with a newline, ';', '}' (which closes the block) or the end of input;
// each parse tree is dropped after the driver has read it.
//
// A rule is a sequence of statements. Statements the analysis models (matches on a
// selector, verdicts, vmaps, reject, counter, log, limit, quota, comment, nat) have their
// own shape; any other word, operator or braced group is an `otherTerm`, which the
// frontend reports as an unmodelled (undetermined) condition instead of failing.
//
// No token labels (`x=VALUE`): the driver reuses the parse tree of an item for later
// items of the same token shape and re-points its contexts and leaves, not label fields
// (tests/unit/nftables_item_trees_test.cpp checks). Rule labels (`name=identifier`) are fine.
parser grammar NftablesParser;

options { tokenVocab = NftablesLexer; }

// ---------------------------------------------------------------- items

topItem
  : blockVerb? TABLE family? name=identifier LBRACE                           # tableOpen
  | blockVerb? CHAIN family? table=identifier name=identifier LBRACE          # chainOpenCmd
  | blockVerb? setKind family? table=identifier name=identifier LBRACE        # setOpenCmd
  | blockVerb? FLOWTABLE family? table=identifier name=identifier LBRACE      # flowtableOpenCmd
  | command end                                                               # commandItem
  | definition end                                                            # defineItem
  | INCLUDE path=string end                                                   # includeItem
  | end                                                                       # emptyTopItem
  ;

tableItem
  : CHAIN name=identifier LBRACE                                              # chainOpen
  | setKind name=identifier LBRACE                                            # setOpen
  | FLOWTABLE name=identifier LBRACE                                          # flowtableOpen
  | objectKind name=identifier LBRACE                                         # objectOpen
  | FLAGS identifier (COMMA identifier)* end                                  # tableFlags
  | COMMENT string end                                                        # tableComment
  | definition end                                                            # tableDefine
  | INCLUDE path=string end                                                   # tableInclude
  | end                                                                       # emptyTableItem
  ;

chainItem
  : TYPE chainType=identifier HOOK hook=identifier deviceSpec? PRIORITY priority=priorityExpr deviceSpec? end  # chainTypeDecl
  | POLICY (ACCEPT | DROP | VARREF) end                                       # chainPolicy
  | COMMENT string end                                                        # chainComment
  | deviceSpec end                                                            # chainDevices
  | definition end                                                            # chainDefine
  | INCLUDE path=string end                                                   # chainInclude
  | ruleBody end                                                                  # chainRule
  | end                                                                       # emptyChainItem
  ;

setItem
  : TYPE typeWord (DOT typeWord)* (COLON typeWord (DOT typeWord)*)? end       # setType
  | FLAGS identifier (COMMA identifier)* end                                  # setFlags
  | ELEMENTS ASSIGN setExpr end                                               # setElements
  | TIMEOUT VALUE end                                                         # setTimeout
  | genericTerm+ end                                                          # setOther
  | end                                                                       # emptySetItem
  ;

otherItem
  : genericTerm+ end                                                          # otherBlockStatement
  | end                                                                       # emptyOtherItem
  ;

end : NL | SEMI | RBRACE | EOF ;

// ---------------------------------------------------------------- commands

blockVerb : ADD | CREATE ;
setKind : SET | MAP ;
objectKind : COUNTER | QUOTA | LIMIT | CT identifier | VALUE ;

command
  : ruleVerb? RULE family? table=identifier chain=identifier rulePosition? ruleBody   # ruleCommand
  | blockVerb? TABLE family? name=identifier                                      # tableCommand
  | blockVerb? CHAIN family? table=identifier name=identifier                     # chainCommand
  | (ADD | CREATE | DELETE | DESTROY) ELEMENT family? table=identifier set=identifier setExpr   # elementCommand
  | FLUSH RULESET family?                                                         # flushRuleset
  | (FLUSH | DELETE | DESTROY) TABLE family? name=identifier                      # dropTable
  | (FLUSH | DELETE | DESTROY) CHAIN family? table=identifier name=identifier     # dropChain
  | (DELETE | DESTROY) RULE family? table=identifier chain=identifier HANDLE VALUE   # deleteRule
  | (DELETE | DESTROY | FLUSH | LIST | RESET | RENAME) genericTerm*               # otherCommand
  | (ADD | CREATE) (COUNTER | QUOTA | LIMIT | CT | VALUE) genericTerm*            # objectCommand
  ;

ruleVerb : ADD | INSERT | REPLACE | CREATE ;
rulePosition : (POSITION | HANDLE | INDEX) VALUE ;

family : IP | IP6 | INET | ARP | BRIDGE | NETDEV ;

definition
  : (DEFINE | REDEFINE) name=identifier ASSIGN (verdict | rhs)                 # define
  | UNDEFINE name=identifier                                                   # undefine
  ;

deviceSpec
  : DEVICE (string | identifier | VARREF)
  | DEVICES ASSIGN (setExpr | VARREF)
  ;

priorityExpr : MINUS? (VALUE | VARREF | identifier) ((PLUS | MINUS) VALUE)? ;

typeWord : identifier ;

// ---------------------------------------------------------------- rules

ruleBody : statement+ ;

// `tcp option maxseg size set rt mtu`, `tcp option maxseg size 1460`, `tcp option sack-perm
// exists`: an option and its field (or exists / missing), then a value or `set`;
// `tcp option @255,8,8 255`: a raw option (its number, offset and length in bits).
// `ct event set new,destroy`: a statement's value may be a list (parser_bison.y:
// list_stmt_expr).
statement
  : TCP OPTION field field (SET valueExpr | relOp? rhs)?   # tcpOptionStatement
  | TCP OPTION AT VALUE COMMA VALUE COMMA VALUE (SET valueExpr | relOp? rhs)   # tcpRawOptionStatement
  | selectorExpr (relOp | OVER)? rhs                 # matchStatement
  | selectorExpr VMAP vmapOperand                     # vmapStatement
  | selectorExpr MAP vmapOperand                      # mapLookupStatement
  | VMAP vmapOperand                                  # keylessVmapStatement
  | selectorExpr SET valueExpr (COMMA valueExpr)*     # setValueStatement
  | verdict                                           # verdictStatement
  | REJECT (WITH rejectWord+)?                        # rejectStatement
  | COUNTER (PACKETS VALUE BYTES VALUE | BYTES VALUE PACKETS VALUE | VALUE objectRef)?   # counterStatement
  | LOG logOption*                                    # logStatement
  | LIMIT (RATE OVER? VALUE+ (BURST VALUE (PACKETS | BYTES | VALUE)?)? | VALUE objectRef)   # limitStatement
  | QUOTA (VALUE string | (OVER | UNTIL)? VALUE+ (USED VALUE+)? | VALUE objectRef)   # quotaStatement
  | COMMENT string                                    # commentStatement
  | NOTRACK                                           # notrackStatement
  | natKind natArg*                                   # natStatement
  | (ADD | UPDATE | DELETE) SETREF (dynsetBody | setExpr)?   # setUpdateStatement
  | METER identifier (VALUE VALUE)? dynsetBody        # meterStatement
  | VALUE VALUE relOp? rhs                             # unknownSelectorStatement
  | otherTerm                                         # otherStatement
  ;

selectorExpr : selector (DOT (selector | plainAtom))* (binOp atom)* ;
plainAtom : VALUE | MINUS VALUE | string ;

selector
  : RT (IP | IP6)? field                                                      # rtSelector
  | (IP | IP6 | TCP | UDP | UDPLITE | SCTP | DCCP | TH | ICMP | ICMPV6 | ETHER | VLAN | ARP) field   # payloadSelector
  | META field                                                                # metaSelector
  | (IIF | IIFNAME | OIF | OIFNAME)                                           # interfaceSelector
  | CT (ORIGINAL | REPLY)? ctKey                                              # ctSelector
  | FIB field (DOT field)* field                                              # fibSelector
  | SETREF COMMA VALUE COMMA VALUE                                            # rawSelector
  ;

// A ct key is a field other than a direction: `ct original zone set 1` is no `ct original`
// match (parser_bison.y: ct_expr, ct_dir).
ctKey
  : VALUE | OPTION | PRIORITY | LEVEL | PREFIX | IIF | IIFNAME | OIF | OIFNAME | TIMEOUT | EXPIRES | BYTES | PACKETS
  | HANDLE | INDEX | FLAGS | DEVICE | GROUP
  | IP | IP6 | INET | ARP | BRIDGE | NETDEV | TCP | UDP | UDPLITE | SCTP | DCCP | ICMP | ICMPV6 | ETHER | VLAN
  | TYPE | DNAT | SNAT | REDIRECT | RESET | DESTROY
  ;
field : VALUE | keywordAsValue | OPTION | PRIORITY | LEVEL | PREFIX | IIF | IIFNAME | OIF | OIFNAME | TIMEOUT | EXPIRES | BYTES | PACKETS | HANDLE | INDEX | FLAGS | DEVICE | GROUP ;

relOp : NEQ | EQ | LT | GT | LE | GE | NOT | NEQ_WORD | EQ_WORD | LT_WORD | GT_WORD | LE_WORD | GE_WORD ;
binOp : AMP | PIPE | CARET | LSHIFT | RSHIFT | AND_WORD | OR_WORD | XOR_WORD | LSHIFT_WORD | RSHIFT_WORD ;

rhs : rhsItem ((COMMA | SLASH | PIPE) rhsItem)* ;
rhsItem : concatValue ;

concatValue : rangeValue (DOT rangeValue)* ;
rangeValue : atom (MINUS atom)? ;

atom
  : VALUE
  | MINUS VALUE
  | STAR
  | string
  | VARREF
  | SETREF
  | setExpr
  | LPAREN valueExpr RPAREN
  | keywordAsValue
  ;

valueExpr : valueTerm ((binOp | DOT) valueTerm)* (MAP vmapOperand)? ;
objectRef : string | VARREF | valueExpr ;
valueTerm : selector | atom ;

setExpr : LBRACE NL* (setElement (NL* COMMA NL* setElement)* NL* COMMA?)? NL* RBRACE ;
setElement : key=elementKey elementOption* (COLON (verdict | data=elementKey) elementOption*)? ;
elementKey : concatValue | keyExpr | atom (PIPE atom)+ ;
keyExpr : keyPart (DOT keyPart)* ;
keyPart : VALUE? selector (binOp atom)* | rangeValue ;
elementOption
  : TIMEOUT VALUE
  | EXPIRES VALUE
  | COUNTER (PACKETS VALUE BYTES VALUE)?
  | COMMENT string
  | LIMIT RATE OVER? VALUE+ (BURST VALUE (PACKETS | BYTES | VALUE)?)?
  ;

vmapOperand : setExpr | SETREF | VARREF ;

// The element a rule adds to a set or meter (`update @s { ip saddr limit rate over 10/second }`,
// `meter m { ip saddr ct count over 3 }`): a key, then element options and the stateful
// statements nft runs on the element (parser_bison.y: set_elem_expr_stmt, meter_stmt).
dynsetBody : LBRACE NL* elementKey (elementOption | dynsetStmt)* NL* RBRACE ;
dynsetStmt
  : CT field OVER? VALUE
  | QUOTA (OVER | UNTIL)? VALUE+ (USED VALUE+)?
  | LIMIT RATE OVER? VALUE+ (BURST VALUE (PACKETS | BYTES | VALUE)?)?
  ;

verdict
  : ACCEPT
  | DROP
  | CONTINUE
  | RETURN
  | (JUMP | GOTO) (identifier | VARREF)
  | (JUMP | GOTO) LBRACE
  | QUEUE
  ;

rejectWord : VALUE | TCP | ICMP | ICMPV6 | TYPE | RESET ;

logOption
  : PREFIX (string | VARREF)
  | LEVEL VALUE
  | GROUP VALUE
  | SNAPLEN VALUE
  | FLAGS (VALUE | IP | TCP | ETHER) (COMMA? VALUE)*
  ;

natKind : DNAT | SNAT | MASQUERADE | REDIRECT ;
natArg : TO | IP | IP6 | VALUE | COLON | MINUS | COMMA | LBRACK | RBRACK | string | VARREF | SETREF | setExpr | selector | MAP | DOT ;

// Words the analysis does not model; with the statements above they make up any rule.
otherTerm
  : VALUE | string | VARREF | SETREF | setExpr
  | SET | MAP | TYPE | PRIORITY | DEVICE | FLAGS | TIMEOUT | EXPIRES | TO | WITH | OVER | UNTIL | RATE | BURST
  | PACKETS | BYTES | PREFIX | LEVEL | GROUP | SNAPLEN | ORIGINAL | REPLY | INDEX | HANDLE | POSITION | ELEMENT
  | USED | RESET | METER | OPTION | RT
  | ARP | BRIDGE | INET | NETDEV | TABLE | CHAIN | RULE | FLOWTABLE
  | relOp | binOp | COLON | DOT | COMMA | SLASH | MINUS | PLUS | STAR | ASSIGN
  | LPAREN | RPAREN | LBRACK | RBRACK
  | (IP | IP6) TO
  ;

// Anything inside a block or command that is read but not analysed.
genericTerm : ~(NL | SEMI | LBRACE | RBRACE) | braced ;
braced : LBRACE (~(LBRACE | RBRACE) | braced)* RBRACE ;

keywordAsValue
  : IP | IP6 | INET | ARP | BRIDGE | NETDEV | TCP | UDP | UDPLITE | SCTP | DCCP | ICMP | ICMPV6 | ETHER | VLAN
  | ORIGINAL | REPLY | TYPE | DNAT | SNAT | REDIRECT | RESET | DESTROY
  ;

identifier
  : VALUE | string
  | TABLE | CHAIN | RULE | SET | MAP | VMAP | FLOWTABLE | ELEMENT | ELEMENTS | ADD | CREATE | INSERT | REPLACE
  | DELETE | DESTROY | FLUSH | LIST | RESET | RENAME | RULESET | UPDATE | INCLUDE | DEFINE | REDEFINE | UNDEFINE
  | TYPE | TYPEOF | HOOK | PRIORITY | POLICY | DEVICE | DEVICES | FLAGS | TIMEOUT | EXPIRES | COMMENT | HANDLE
  | POSITION | INDEX | TCP | UDP | UDPLITE | SCTP | DCCP | TH | ICMP | ICMPV6 | ETHER | VLAN | META | CT
  | ORIGINAL | REPLY | FIB | IIF | IIFNAME | OIF | OIFNAME | ACCEPT | DROP | REJECT | WITH | JUMP | GOTO | RETURN
  | CONTINUE | QUEUE | COUNTER | PACKETS | BYTES | LOG | PREFIX | LEVEL | GROUP | SNAPLEN | LIMIT | RATE | OVER
  | UNTIL | BURST | QUOTA | USED | NOTRACK | DNAT | SNAT | MASQUERADE | REDIRECT | TO | METER | OPTION | RT
  | NEQ_WORD | EQ_WORD | LT_WORD | GT_WORD | LE_WORD | GE_WORD | AND_WORD | OR_WORD | XOR_WORD | LSHIFT_WORD | RSHIFT_WORD
  ;

string : STRING | SQSTRING ;
