#!/usr/bin/env python3
# A copy of ../shared/bench/gen_chains_by_source.py (the shape issue 23 measures), so that
# bench/chains-by-source-bench.sh runs in a clone without ../shared.
"""Deterministic large rulesets for benchmarks: the shape of a host with many per-source rules.

iptables: N rules spread over N/100 user chains (each called from INPUT), every rule matching a /24
source and a destination port range or multiport list, with ACCEPT, DROP and RETURN mixed; INPUT policy
DROP. nftables: one input chain of N rules, each a /24 source and an anonymous port set.
Usage: gen_chains_by_source.py iptables|nft N OUT
"""
import random
import sys


def iptables(path, n):
    rnd = random.Random(1)
    chains = [f"KUBE-SVC-{i:05d}" for i in range(max(1, n // 100))]
    with open(path, "w") as f:
        f.write("*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n")
        for c in chains:
            f.write(f":{c} - [0:0]\n")
        for i in range(n):
            c = rnd.choice(["INPUT"] + chains)
            a = rnd.randint(1, 65000); b = a + rnd.randint(0, 500)
            src = f"10.{rnd.randint(0,255)}.{rnd.randint(0,255)}.0/24"
            p = rnd.choice(["tcp", "udp"])
            if rnd.random() < 0.3:
                f.write(f'-A {c} -s {src} -p {p} -m multiport --dports {a},{b}:{b+10} -m comment --comment "svc {i}" -j ACCEPT\n')
            else:
                f.write(f"-A {c} -s {src} -p {p} -m {p} --dport {a}:{b} -j {rnd.choice(['ACCEPT','DROP','RETURN'])}\n")
        for c in chains:
            f.write(f"-A INPUT -j {c}\n")
        f.write("COMMIT\n")


def nft(path, n):
    rnd = random.Random(2)
    with open(path, "w") as f:
        f.write("table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n")
        for i in range(n):
            a = rnd.randint(1, 65000); b = a + rnd.randint(0, 500)
            p = rnd.choice(["tcp", "udp"])
            f.write(f"\t\tip saddr 10.{rnd.randint(0,255)}.{rnd.randint(0,255)}.0/24 {p} dport {{ {a}-{b}, {b+20} }} {rnd.choice(['accept','drop'])}\n")
        f.write("\t}\n}\n")


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("iptables", "nft"):
        sys.exit(__doc__)
    (iptables if sys.argv[1] == "iptables" else nft)(sys.argv[3], int(sys.argv[2]))
