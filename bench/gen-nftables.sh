#!/usr/bin/env bash
# gen-nftables.sh N [SEED] > ruleset.nft
# Writes an nftables ruleset with about N rules in the shape kube-proxy's nftables mode
# and hand-written hosts produce: a nat table (service chains chosen by numgen vmaps,
# endpoint chains with dnat), a filter table with per-service rules in regular chains,
# named interval sets, and the host's own Skype for Business Front End rules.
set -euo pipefail
n=${1:?usage: gen-nftables.sh N [SEED]}
seed=${2:-42}
awk -v n="$n" -v seed="$seed" '
# The i-th address after base (two octets); past 65536 it carries into the second octet,
# so that no two services or endpoints share an address (kube-proxy never writes that).
function ip(base, i,   o) { split(base, o, "."); return o[1] "." (o[2] + int(i / 65536)) "." int(i / 256) % 256 "." i % 256 }
BEGIN {
  srand(seed)
  ports[0] = 80; ports[1] = 443; ports[2] = 8080; ports[3] = 53; ports[4] = 9090; ports[5] = 6379; ports[6] = 5432; ports[7] = 3000
  services = int(n / 6); if (services < 1) services = 1
  print "flush ruleset"
  print "table ip kube-nat {"
  for (s = 0; s < services; s++) {
    print "\tchain sep-" s "-a {"
    print "\t\tip saddr " ip("10.244", 2 * s) " meta mark set 0x4000"
    print "\t\tmeta l4proto tcp dnat to " ip("10.244", 2 * s) ":8080"
    print "\t}"
    print "\tchain sep-" s "-b {"
    print "\t\tmeta l4proto tcp dnat to " ip("10.244", 2 * s + 1) ":8080"
    print "\t}"
    print "\tchain svc-" s " {"
    print "\t\tnumgen random mod 2 vmap { 0 : goto sep-" s "-a, 1 : goto sep-" s "-b }"
    print "\t}"
  }
  print "\tchain prerouting {"
  print "\t\ttype nat hook prerouting priority dstnat; policy accept;"
  for (s = 0; s < services; s++)
    print "\t\tip daddr " ip("10.96", s) " tcp dport " ports[s % 8] " counter packets 0 bytes 0 jump svc-" s " comment \"ns" s % 50 "/svc-" s "\""
  print "\t}"
  print "}"
  print "table inet filter {"
  print "\tset blocked {"; print "\t\ttype ipv4_addr"; print "\t\tflags interval"
  printf "\t\telements = { 198.51.100.0/24"
  for (i = 1; i < 64; i++) printf ", 203.0.%d.0/28", i
  print " }"; print "\t}"
  print "\tchain services {"
  for (s = 0; s < services; s++) {
    if (s % 7 == 0) print "\t\tip daddr " ip("10.96", s) " tcp dport " ports[s % 8] " counter packets 0 bytes 0 reject with icmp type host-unreachable comment \"no endpoints\""
    else print "\t\tip daddr " ip("10.96", s) " tcp dport " ports[s % 8] " ct state new counter packets 0 bytes 0 accept"
  }
  print "\t}"
  print "\tchain sfb {"
  print "\t\ttcp dport { 80, 135, 443-445, 448, 4443, 5060-5065, 5071-5073, 5075-5076, 5080, 5086-5087 } accept"
  print "\t\ttcp dport { 8057-8058, 8060-8061, 8080, 8404 } accept"
  print "\t\tmeta l4proto { tcp, udp } th dport 49152-65535 accept"
  print "\t\tudp dport 1434 accept"
  print "\t}"
  print "\tchain input {"
  print "\t\ttype filter hook input priority filter; policy drop;"
  print "\t\tiif \"lo\" accept"
  print "\t\tct state established,related accept"
  print "\t\tip saddr @blocked drop"
  print "\t\tip saddr 10.0.0.0/8 jump sfb"
  print "\t\tip6 saddr fd00::/8 jump sfb"
  print "\t\tjump services"
  for (i = 0; i < services; i++)
    print "\t\tip saddr " ip("172.16", i) " tcp dport " 10000 + i % 5000 " counter packets 0 bytes 0 accept"
  print "\t}"
  print "\tchain forward {"
  print "\t\ttype filter hook forward priority filter; policy drop;"
  print "\t\tjump services"
  print "\t}"
  print "}"
}'
