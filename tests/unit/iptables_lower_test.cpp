// iptables lowering of large models on two threads: the ruleset and the diagnostics of
// one pass, in the same order.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "frontends/iptables/iptables_frontend.h"

using namespace fwm;

namespace {

// kube-proxy-like rules with, in both halves, constructs reported once per file with a
// count, rules that fail, commands that are not applied, undeclared chains, a built-in
// chain the file never declares, jumped to before and after its first rule, and (when
// `edits`) an insert and a flush.
std::string dump(int services, bool edits) {
  std::string text = "*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n";
  for (int s = 0; s < services; ++s) text += fmt::format(":KUBE-SVC-{} - [0:0]\n:KUBE-SEP-{} - [0:0]\n", s, s);
  text += "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000\n";
  for (int s = 0; s < services; ++s) {
    text += fmt::format("-A KUBE-SERVICES -d 10.96.{}.{}/32 -p tcp -m tcp --dport {} -j KUBE-SVC-{}\n", s / 256 % 256,
                        s % 256, 80 + s % 5, s);
    text += fmt::format("-A KUBE-SVC-{} -m statistic --mode random --probability 0.5 -j KUBE-SEP-{}\n", s, s);
    text +=
        fmt::format("-A KUBE-SEP-{} -p tcp -j DNAT --to-destination 10.244.{}.{}:8080\n", s, s / 256 % 256, s % 256);
    if (s % 7 == 0) text += "-A KUBE-SERVICES -m mark --mark 0x1 -j RETURN\n";
    if (s % 500 == 0) text += "-A KUBE-SERVICES -p tcp --dport 99999 -j ACCEPT\n";
    if (s % 600 == 0) text += "-D KUBE-SERVICES 1\n";
    if (s % 700 == 0) text += "-A NOPE -j ACCEPT\n";
    if (s == 10) text += "-A KUBE-SERVICES -j LATE\n";
    if (s == 100) text += "-A KUBE-SERVICES -p udp -j OUTPUT\n";
    if (s == services / 2 + 100) text += "-A OUTPUT -j KUBE-SERVICES\n";
    if (s == services / 2 + 200) text += "-A KUBE-SERVICES -p icmp -j OUTPUT\n";
    if (edits && s == services / 2 + 300) text += "-I KUBE-SERVICES 2 -p tcp --dport 1 -j ACCEPT\n";
    if (edits && s == services / 2 + 400) text += "-F KUBE-MARK-MASQ\n";
    if (s == services - 100) text += "-A PREROUTING -m rpfilter --invert -j DROP\n";
    if (s == services - 50) text += "-N LATE\n";
  }
  return text + "COMMIT\n";
}

}  // namespace

TEST_CASE("iptables: a large model lowered on two threads gives the ruleset of one pass", "[iptables]") {
  // Without -I and -F each thread lowers its own chains; with them, halves of the file.
  bool edits = GENERATE(false, true);
  INFO((edits ? "with -I and -F" : "appends only"));
  TextFile file;
  file.path = "threads.rules";
  file.text = dump(7000, edits);
  Ruleset one = iptables::lower(iptables::parse(file), file.path, false);
  Ruleset two = iptables::lower(iptables::parse(file), file.path, true);
  std::size_t rules = 0;
  REQUIRE(one.chains.size() == two.chains.size());
  for (std::size_t c = 0; c < one.chains.size(); ++c) {
    const Chain &x = one.chains[c], &y = two.chains[c];
    INFO("chain " << x.name);
    REQUIRE(x.name == y.name);
    REQUIRE(x.rules.size() == y.rules.size());
    for (std::size_t i = 0; i < x.rules.size(); ++i) {
      const Rule &a = x.rules[i], &b = y.rules[i];
      REQUIRE(a.text == b.text);
      REQUIRE(a.span.line == b.span.line);
      REQUIRE(a.action.kind == b.action.kind);
      REQUIRE(a.action.target_chain == b.action.target_chain);
      REQUIRE(a.match.unknowns == b.match.unknowns);
      REQUIRE(a.normalized == b.normalized);
      REQUIRE((a.chain == b.chain && a.index == b.index));
      ++rules;
    }
  }
  REQUIRE(rules > 21000);
  REQUIRE(one.diagnostics.size() == two.diagnostics.size());
  for (std::size_t i = 0; i < one.diagnostics.size(); ++i) {
    const Diagnostic &a = one.diagnostics[i], &b = two.diagnostics[i];
    INFO(a.message);
    REQUIRE(a.id == b.id);
    REQUIRE(a.message == b.message);
    REQUIRE(a.span.line == b.span.line);
    REQUIRE(a.span.column == b.span.column);
  }
  // The counts of constructs used in both halves add up; the jump to OUTPUT before its
  // first rule is not a jump, the one after it is.
  auto message = [&](const std::string& part) {
    for (const auto& d : two.diagnostics)
      if (d.message.find(part) != std::string::npos) return d.message;
    return std::string();
  };
  CHECK(message("statistic").find("(7000 rules use it)") != std::string::npos);
  CHECK(message("-m mark").find("(1000 rules use it)") != std::string::npos);
  CHECK_FALSE(message("is read but not applied").empty());
  CHECK_FALSE(message("chain 'NOPE' is not declared").empty());
  const Chain* services = nullptr;
  for (const auto& c : two.chains)
    if (c.name == "nat KUBE-SERVICES") services = &c;
  REQUIRE(services);
  int jumps_to_output = 0, unknown_output = 0;
  for (const auto& r : services->rules) {
    if (r.text.find("-j OUTPUT") == std::string::npos) continue;
    if (r.action.kind == ActionKind::Jump) ++jumps_to_output;
    if (r.action.kind == ActionKind::Unknown) ++unknown_output;
  }
  CHECK(jumps_to_output == 1);
  CHECK(unknown_output == 1);
  CHECK((services->rules[1].text.find("--dport 1 ") != std::string::npos) == edits);  // the insert
}
