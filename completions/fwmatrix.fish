# fish completion for fwmatrix
set -l commands check ports explain diff fix matrix rules
set -l roles all-servers all-internal-servers front-end front-end-cms collocated-mediation mediation director persistent-chat office-web-apps edge-internal edge-external edge-access-external edge-webconf-external reverse-proxy front-end-lb front-end-lb-with-mediation mediation-lb director-lb client ip-phone exchange-um
set -l formats iptables ip6tables nftables nft-json pf windows wfw windows-reg netsh powershell iptables-save ip6tables-save nft
set -l ids FWM001 FWM002 FWM003 FWM010 FWM011 FWM020 FWM021 FWM022 FWM030 FWM031 FWM090 FWM091
set -l packs sfb2015 sfb2015-edge sfb2019-edge

complete -c fwmatrix -f
complete -c fwmatrix -n "not __fish_seen_subcommand_from $commands" -l version -d 'print the version'
complete -c fwmatrix -n "not __fish_seen_subcommand_from $commands" -a check -d 'check configs against the rule pack'
complete -c fwmatrix -n "not __fish_seen_subcommand_from $commands" -a ports -d 'destination ports accepted on a path'
complete -c fwmatrix -n "not __fish_seen_subcommand_from $commands" -a explain -d 'which rule decides each part of a region'
complete -c fwmatrix -n "not __fish_seen_subcommand_from $commands" -a diff -d 'semantic difference of two rulesets'
complete -c fwmatrix -n "not __fish_seen_subcommand_from $commands" -a fix -d 'write the fix of the FWM001 gaps'
complete -c fwmatrix -n "not __fish_seen_subcommand_from $commands" -a matrix -d 'the rule pack requirements'
complete -c fwmatrix -n "not __fish_seen_subcommand_from $commands" -a rules -d 'result ids and their docs'

# Files (- reads standard input) for the commands that read configs.
complete -c fwmatrix -n "__fish_seen_subcommand_from check ports explain diff fix" -F

# check
set -l c "__fish_seen_subcommand_from check"
complete -c fwmatrix -n $c -l format -x -a "$formats" -d 'input format'
complete -c fwmatrix -n $c -l profile -x -a "Domain Private Public" -d 'Windows profile'
complete -c fwmatrix -n $c -l pack -r -a "$packs" -d 'rule pack name or path'
complete -c fwmatrix -n $c -l config -r -F -d 'settings file'
complete -c fwmatrix -n $c -l no-config -d 'ignore .fwmatrix.yaml'
complete -c fwmatrix -n $c -l allow-outside -d 'read includes outside the input tree'
complete -c fwmatrix -n $c -l rules-dir -r -a "(__fish_complete_directories)" -d 'rule pack directory'
complete -c fwmatrix -n $c -l role -x -a "$roles" -d 'roles of the host'
complete -c fwmatrix -n $c -l topology -r -F -d 'topology file'
complete -c fwmatrix -n $c -l ipsec -r -F -d 'IPsec policy file'
complete -c fwmatrix -n $c -l lb-mode -x -a "hardware dns" -d 'load balancing'
complete -c fwmatrix -n $c -l report -x -a "text sarif json markdown html" -d 'report FORMAT or FORMAT=FILE'
complete -c fwmatrix -n $c -s o -l output -r -F -d 'write the report before it to FILE'
complete -c fwmatrix -n $c -l fail-on -x -a "error warning note none" -d 'exit 1 at or above'
complete -c fwmatrix -n $c -l category -x -d 'SARIF category'
complete -c fwmatrix -n $c -l baseline -r -F -d 'earlier SARIF'
complete -c fwmatrix -n $c -l new-only -d 'only findings new against --baseline'
complete -c fwmatrix -n $c -s q -l quiet -d 'only findings and errors'

# ports and explain
set -l pe "__fish_seen_subcommand_from ports explain"
complete -c fwmatrix -n $pe -l format -x -a "$formats" -d 'input format'
complete -c fwmatrix -n $pe -l profile -x -a "Domain Private Public" -d 'Windows profile'
complete -c fwmatrix -n $pe -l allow-outside -d 'read includes outside the input tree'
complete -c fwmatrix -n $pe -l src -x -d 'source address or CIDR'
complete -c fwmatrix -n $pe -l dst -x -d 'destination address or CIDR'
complete -c fwmatrix -n $pe -l sport -x -d 'source port'
complete -c fwmatrix -n $pe -l iface -x -d 'interface'
complete -c fwmatrix -n $pe -l direction -x -a "in out forward" -d 'direction'
complete -c fwmatrix -n "__fish_seen_subcommand_from ports" -l proto -x -a "tcp udp" -d 'protocol'
complete -c fwmatrix -n "__fish_seen_subcommand_from ports" -l json -d 'JSON output'
complete -c fwmatrix -n "__fish_seen_subcommand_from explain" -l proto -x -d 'protocol'
complete -c fwmatrix -n "__fish_seen_subcommand_from explain" -l dport -x -d 'destination port or range'

# diff
set -l d "__fish_seen_subcommand_from diff"
complete -c fwmatrix -n $d -l format -x -a "$formats" -d 'format of both files'
complete -c fwmatrix -n $d -l old-format -x -a "$formats" -d 'format of OLD'
complete -c fwmatrix -n $d -l pack -r -a "$packs" -d 'rule pack name or path'
complete -c fwmatrix -n $d -l rules-dir -r -a "(__fish_complete_directories)" -d 'rule pack directory'
complete -c fwmatrix -n $d -l role -x -a "$roles" -d 'roles of the host'
complete -c fwmatrix -n $d -l lb-mode -x -a "hardware dns" -d 'load balancing'
complete -c fwmatrix -n $d -l report -x -a "text json markdown sarif" -d 'report FORMAT or FORMAT=FILE'
complete -c fwmatrix -n $d -s o -l output -r -F -d 'write the report before it to FILE'
complete -c fwmatrix -n $d -l fail-on -x -a "error warning note none" -d 'exit 1 at or above'
complete -c fwmatrix -n $d -s q -l quiet -d 'only changes and errors'

# fix
set -l f "__fish_seen_subcommand_from fix"
complete -c fwmatrix -n $f -l format -x -a "$formats" -d 'input format'
complete -c fwmatrix -n $f -l pack -r -a "$packs" -d 'rule pack name or path'
complete -c fwmatrix -n $f -l rules-dir -r -a "(__fish_complete_directories)" -d 'rule pack directory'
complete -c fwmatrix -n $f -l role -x -a "$roles" -d 'roles of the host'
complete -c fwmatrix -n $f -l topology -r -F -d 'topology file'
complete -c fwmatrix -n $f -l ipsec -r -F -d 'IPsec policy (not written yet)'
complete -c fwmatrix -n $f -l lb-mode -x -a "hardware dns" -d 'load balancing'
complete -c fwmatrix -n $f -s o -l output -r -F -d 'write the fixed config to FILE'
complete -c fwmatrix -n $f -l in-place -d 'rewrite each file with its fix'
complete -c fwmatrix -n $f -l diff -d 'print a unified diff'
complete -c fwmatrix -n $f -l allow-outside -d 'read includes outside the input tree'
complete -c fwmatrix -n $f -s q -l quiet -d 'only errors'

# the resource limits (check, ports, explain, diff, fix)
set -l l "__fish_seen_subcommand_from check ports explain diff fix"
complete -c fwmatrix -n $l -l max-file-size -x -d 'largest file read (K, M, G)'
complete -c fwmatrix -n $l -l max-line-length -x -d 'longest line (K, M, G)'
complete -c fwmatrix -n $l -l max-include-depth -x -d 'include nesting'
complete -c fwmatrix -n $l -l max-macro-expansion -x -d 'bytes of one pf macro (K, M, G)'
complete -c fwmatrix -n $l -l max-set-combinations -x -d 'rules one nftables rule expands into'
complete -c fwmatrix -n $l -l max-call-depth -x -d 'chain call nesting'
complete -c fwmatrix -n $l -l max-pieces -x -d 'pieces of an evaluated region'
complete -c fwmatrix -n $l -l max-redundancy-checks -x -d 'rules checked for redundancy'

# matrix show
set -l m "__fish_seen_subcommand_from matrix"
complete -c fwmatrix -n "$m; and not __fish_seen_subcommand_from show" -a show -d 'print the normalized requirements'
complete -c fwmatrix -n $m -l pack -r -a "$packs" -d 'rule pack name or path'
complete -c fwmatrix -n $m -l rules-dir -r -a "(__fish_complete_directories)" -d 'rule pack directory'
complete -c fwmatrix -n $m -l role -x -a "$roles" -d 'roles'
complete -c fwmatrix -n $m -l lb-mode -x -a "hardware dns" -d 'load balancing'
complete -c fwmatrix -n $m -l json -d 'JSON output'

# rules
complete -c fwmatrix -n "__fish_seen_subcommand_from rules" -x -a "$ids" -d 'result id'
