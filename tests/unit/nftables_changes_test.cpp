// nftables frontend: `tcp flags` on the probe packet (the first packet of a TCP
// connection), rule handles from `nft -a` listings and the commands that use them
// (add/insert at a handle or index, replace, delete rule), and `delete element`.
#include <fmt/format.h>

#include "fwm_catch.hpp"

#include "eval/evaluator.h"
#include "frontends/frontend.h"
#include "frontends/nftables/nftables_frontend.h"
#include "port_answer.h"

using namespace fwm;

namespace {

std::unique_ptr<Ruleset> load_text(const std::string& text, const std::string& format = "nftables") {
  auto r = load_ruleset_bytes(format == "nft-json" ? "test.json" : "test.nft", text, {format, ""});
  REQUIRE(r.ruleset);
  return std::move(r.ruleset);
}

test::PortAnswer ports(const Ruleset& rs, int proto, Family f = Family::V4) {
  return test::port_answer(rs, {proto, f});
}

std::vector<const Diagnostic*> diags(const Ruleset& rs, const std::string& id) {
  std::vector<const Diagnostic*> out;
  for (const auto& d : rs.diagnostics)
    if (d.id == id) out.push_back(&d);
  return out;
}

// A policy-drop input chain whose rules accept TCP port 22 under a `tcp flags` test.
std::string flags_rule(const std::string& test) {
  return "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t\t" + test +
         " tcp dport 22 accept\n\t}\n}\n";
}

}  // namespace

TEST_CASE("nftables tcp flags: tests decided on the first packet of a connection (SYN only)", "[nftables][nft-flags]") {
  // Each test: does it match a packet with SYN set and every other flag clear?
  const std::vector<std::pair<std::string, bool>> cases = {
      {"tcp flags syn", true},                               // any of: syn is set
      {"tcp flags syn,ack", true},                           // any of syn, ack
      {"tcp flags syn | ack", true},                         // the same bits written with '|'
      {"tcp flags ack", false},                              // ack is clear
      {"tcp flags fin,rst", false},                          //
      {"tcp flags 0x02", true},                              // a number is a bit set too
      {"tcp flags == syn", true},                            // the whole byte equals SYN
      {"tcp flags == syn,ack", false},                       // SYN+ACK is the server's answer
      {"tcp flags != syn", false},                           //
      {"tcp flags != syn,ack", true},                        //
      {"tcp flags ! syn", false},                            // none of: syn is set
      {"tcp flags ! ack,rst", true},                         //
      {"tcp flags & (syn|ack) == syn", true},                // the --syn test
      {"tcp flags & (fin|syn|rst|ack) == syn", true},        //
      {"tcp flags & (fin|syn|rst|ack) != syn", false},       // the "not a new connection" test
      {"tcp flags & (syn | ack) syn", true},                 // implicit op with a mask: ==
      {"tcp flags & (syn|ack) == syn|ack", false},           //
      {"tcp flags & (syn|ack) == 0", false},                 //
      {"tcp flags & (fin|syn|rst|ack) != 0", true},          //
      {"tcp flags syn / fin,syn,rst,ack", true},             // what nft prints for the & form
      {"tcp flags != syn / syn,ack", false},                 //
      {"tcp flags syn,ack / syn,ack", false},                //
      {"tcp flags ack / fin,ack", false},                    //
      {"tcp flags { syn, syn|ack }", true},                  // a set: exact values
      {"tcp flags { syn | ack, ack }", false},               //
      {"tcp flags != { fin, urg, ecn, cwr }", true},         //
      {"tcp flags & (fin|syn|rst|ack) { syn, ack }", true},  // masked value looked up
      {"tcp flags & (syn|ack) == { ack, syn|ack }", false},  //
      {"tcp flags cwr", false},                              //
      {"tcp flags < ack", true},                             // 0x02 < 0x10
  };
  for (const auto& [test, matches] : cases) {
    INFO(test);
    auto rs = load_text(flags_rule(test));
    REQUIRE(diags(*rs, "FWM090").empty());
    REQUIRE(diags(*rs, "FWM091").empty());
    auto a = ports(*rs, kProtoTcp);
    REQUIRE(a.undetermined.empty());
    REQUIRE(a.accepted == (matches ? PortSet(22, 22) : PortSet()));
    // The flags test implies TCP: no UDP packet is accepted either way.
    REQUIRE(ports(*rs, kProtoUdp).accepted.empty());
  }
}

TEST_CASE("nftables tcp flags: a rule that cannot match a SYN does not decide it", "[nftables][nft-flags]") {
  // The drop for packets that are not a connection's first one does not touch the SYN;
  // the drop of SYN+ACK-only packets neither; the drop of SYNs does.
  auto rs = load_text(
      "table inet filter {\n"
      "\tchain input {\n"
      "\t\ttype filter hook input priority filter; policy accept;\n"
      "\t\ttcp flags & (fin|syn|rst|ack) != syn tcp dport 1000-2000 drop\n"
      "\t\ttcp flags == syn|ack tcp dport 3000 drop\n"
      "\t\ttcp flags syn tcp dport 4000 drop\n"
      "\t}\n"
      "}\n");
  REQUIRE(diags(*rs, "FWM090").empty());
  auto a = ports(*rs, kProtoTcp);
  REQUIRE(a.undetermined.empty());
  REQUIRE(a.accepted == all_ports().subtract(PortSet(4000, 4000)));
}

TEST_CASE("nftables tcp flags: rules of the same token shape keep their own values", "[nftables][nft-flags]") {
  auto rs = load_text(
      "table inet filter {\n"
      "\tchain input {\n"
      "\t\ttype filter hook input priority filter; policy drop;\n"
      "\t\ttcp flags ack tcp dport 1 accept\n"
      "\t\ttcp flags syn tcp dport 2 accept\n"
      "\t\ttcp flags & (syn|ack) == syn tcp dport 3 accept\n"
      "\t\ttcp flags & (fin|ack) == fin tcp dport 4 accept\n"
      "\t\ttcp flags syn / syn,ack tcp dport 5 accept\n"
      "\t\ttcp flags ack / syn,ack tcp dport 6 accept\n"
      "\t}\n"
      "}\n");
  REQUIRE(ports(*rs, kProtoTcp).accepted == PortSet({{2, 3}, {5, 5}}));
}

TEST_CASE("nftables tcp flags: defines, named sets and vmaps", "[nftables][nft-flags]") {
  auto rs = load_text(
      "define NEW = syn\n"
      "define MASK = fin,syn,rst,ack\n"
      "table inet filter {\n"
      "\tset first { type tcp_flag; elements = { syn, syn | ecn | cwr } }\n"
      "\tchain input {\n"
      "\t\ttype filter hook input priority filter; policy drop;\n"
      "\t\ttcp flags $NEW / $MASK tcp dport 1 accept\n"
      "\t\ttcp flags @first tcp dport 2 accept\n"
      "\t\ttcp flags != @first tcp dport 3 accept\n"
      "\t\ttcp dport 4-5 tcp flags vmap { syn|ack : drop, syn : accept }\n"
      "\t\ttcp dport 6 tcp flags vmap { ack : accept, * : drop }\n"
      "\t}\n"
      "}\n");
  REQUIRE(diags(*rs, "FWM090").empty());
  REQUIRE(diags(*rs, "FWM091").empty());
  auto a = ports(*rs, kProtoTcp);
  REQUIRE(a.undetermined.empty());
  REQUIRE(a.accepted == PortSet({{1, 2}, {4, 5}}));
}

TEST_CASE("nftables tcp flags: what is not decided stays undetermined; unknown flags are errors",
          "[nftables][nft-flags]") {
  auto rs = load_text(flags_rule("tcp flags & (syn|ack) vmap { syn : accept }"));  // a masked map key
  REQUIRE_FALSE(diags(*rs, "FWM091").empty());
  REQUIRE(ports(*rs, kProtoTcp).accepted.empty());
  REQUIRE(ports(*rs, kProtoTcp).undetermined == all_ports());  // the verdict of every port depends on it

  rs = load_text(flags_rule("tcp flags ^ syn == 0"));  // an operator other than &
  REQUIRE_FALSE(diags(*rs, "FWM091").empty());
  REQUIRE(ports(*rs, kProtoTcp).undetermined == PortSet(22, 22));

  rs = load_text(flags_rule("tcp flags . tcp dport { syn . 22 }"));  // concatenation
  REQUIRE_FALSE(diags(*rs, "FWM091").empty());
  REQUIRE(ports(*rs, kProtoTcp).undetermined == PortSet(22, 22));

  rs = load_text(flags_rule("tcp flags sin"));
  auto errors = diags(*rs, "FWM090");
  REQUIRE(errors.size() == 1);
  REQUIRE(errors[0]->message.find("'sin' is not a TCP flag") != std::string::npos);
  REQUIRE(errors[0]->span.line == 4);

  rs = load_text(flags_rule("tcp flags & (syn|ack) ! syn"));  // nft: cannot combine negation with binop
  REQUIRE(diags(*rs, "FWM090").size() == 1);
}

TEST_CASE("nftables tcp flags: the JSON of nft -j gives the same answers", "[nftables][nft-flags]") {
  // Rules as nft 1.0.6 prints them with -j (see the text forms in the first test case).
  auto json_rule = [](const std::string& match) {
    return "{\"nftables\": [{\"table\": {\"family\": \"inet\", \"name\": \"filter\"}},\n"
           "{\"chain\": {\"family\": \"inet\", \"table\": \"filter\", \"name\": \"input\", \"type\": \"filter\", "
           "\"hook\": \"input\", \"prio\": 0, \"policy\": \"drop\"}},\n"
           "{\"rule\": {\"family\": \"inet\", \"table\": \"filter\", \"chain\": \"input\", \"handle\": 2, "
           "\"expr\": [{\"match\": " +
           match +
           "}, {\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, "
           "\"right\": 22}}, {\"accept\": null}]}}]}\n";
  };
  const std::string flags = "{\"payload\": {\"protocol\": \"tcp\", \"field\": \"flags\"}}";
  const std::vector<std::pair<std::string, bool>> cases = {
      {"{\"op\": \"in\", \"left\": " + flags + ", \"right\": \"syn\"}", true},
      {"{\"op\": \"in\", \"left\": " + flags + ", \"right\": [\"syn\", \"ack\"]}", true},
      {"{\"op\": \"in\", \"left\": " + flags + ", \"right\": \"ack\"}", false},
      {"{\"op\": \"==\", \"left\": " + flags + ", \"right\": \"syn\"}", true},
      {"{\"op\": \"==\", \"left\": " + flags + ", \"right\": [\"syn\", \"ack\"]}", false},
      {"{\"op\": \"!=\", \"left\": " + flags + ", \"right\": 18}", true},
      {"{\"op\": \"!\", \"left\": " + flags + ", \"right\": \"syn\"}", false},
      {"{\"op\": \"==\", \"left\": {\"&\": [" + flags + ", [\"syn\", \"ack\"]]}, \"right\": \"syn\"}", true},
      {"{\"op\": \"!=\", \"left\": {\"&\": [" + flags + ", [\"fin\", \"syn\", \"rst\", \"ack\"]]}, \"right\": \"syn\"}",
       false},
      {"{\"op\": \"==\", \"left\": {\"&\": [" + flags +
           ", {\"|\": [{\"|\": [{\"|\": [\"fin\", \"syn\"]}, \"rst\"]}, \"ack\"]}]}, \"right\": {\"set\": [\"syn\", "
           "\"ack\"]}}",
       true},
      {"{\"op\": \"==\", \"left\": " + flags + ", \"right\": {\"set\": [{\"|\": [\"syn\", \"ack\"]}, \"ack\"]}}",
       false},
  };
  for (const auto& [match, matches] : cases) {
    INFO(match);
    auto rs = load_text(json_rule(match), "nft-json");
    REQUIRE(diags(*rs, "FWM090").empty());
    REQUIRE(diags(*rs, "FWM091").empty());
    auto a = ports(*rs, kProtoTcp);
    REQUIRE(a.undetermined.empty());
    REQUIRE(a.accepted == (matches ? PortSet(22, 22) : PortSet()));
  }
}

namespace {

// What `nft -a list ruleset` prints: a chain that drops SIP over TLS before accepting it.
const std::string kListing =
    "table inet filter { # handle 7\n"
    "\tchain input { # handle 1\n"
    "\t\ttype filter hook input priority filter; policy drop;\n"
    "\t\ttcp dport 22 accept # handle 2\n"
    "\t\ttcp dport 5061 drop # handle 3\n"
    "\t\ttcp dport { 443, 5061 } accept # handle 4\n"
    "\t}\n"
    "}\n";

const nftables::ChainModel& only_chain(const nftables::Model& m) {
  REQUIRE(m.chains.size() == 1);
  return m.chains[0];
}

nftables::Model parse_model(const std::string& text) {
  return nftables::parse(TextFile{"test.nft", text, "utf-8", ""});
}

std::vector<std::string> rule_texts(const nftables::ChainModel& c) {
  std::vector<std::string> out;
  for (const auto& r : c.rules) out.push_back(r.text);
  return out;
}

}  // namespace

TEST_CASE("nftables handles: '# handle N' comments of nft -a are the rules' handles", "[nftables][nft-handles]") {
  auto m = parse_model(kListing +
                       "add rule inet filter input tcp dport 80 accept # handle 9\n"
                       "add rule inet filter input tcp dport 81 accept\n");
  const auto& c = only_chain(m);
  REQUIRE(c.rules.size() == 5);
  REQUIRE(c.rules[0].handle == std::optional<std::uint64_t>(2));
  REQUIRE(c.rules[1].handle == std::optional<std::uint64_t>(3));
  REQUIRE(c.rules[2].handle == std::optional<std::uint64_t>(4));
  REQUIRE(c.rules[3].handle == std::optional<std::uint64_t>(9));  // nft -a -e echoes added rules like this
  REQUIRE_FALSE(c.rules[4].handle);                               // the kernel's choice: not guessed
  auto not_handles = parse_model(
      "table ip t {\n\tchain c {\n"
      "\t\ttcp dport 1 accept comment \"# handle 5\"\n"  // in a string: not a comment
      "\t\ttcp dport 2 accept # handles 6\n"
      "\t\ttcp dport 3 accept # handle 7x\n"
      "\t\ttcp dport 4 accept; tcp dport 5 accept # handle 8\n"
      "\t\ttcp dport 6 accept comment \"caf\xc3\xa9 \xe2\x82\xac\" # handle 9\n"  // non-ASCII before the comment
      "\t}\n}\n");
  const auto& c2 = only_chain(not_handles);
  REQUIRE(c2.rules.size() == 6);
  REQUIRE(c2.rules[5].handle == std::optional<std::uint64_t>(9));
  for (std::size_t i = 0; i < 4; ++i) REQUIRE_FALSE(c2.rules[i].handle);
  REQUIRE(c2.rules[4].handle == std::optional<std::uint64_t>(8));  // only the rule the comment follows
}

TEST_CASE("nftables handles: add/insert at a handle or index, replace and delete rule", "[nftables][nft-handles]") {
  auto m = parse_model(kListing +
                       "add rule inet filter input handle 2 tcp dport 100 accept\n"       // after handle 2
                       "insert rule inet filter input handle 4 tcp dport 101 accept\n"    // before handle 4
                       "add rule inet filter input position 3 tcp dport 102 accept\n"     // position = handle
                       "insert rule inet filter input index 0 tcp dport 103 accept\n"     // before index 0
                       "add rule inet filter input index 6 tcp dport 104 accept\n"        // after the last one
                       "replace rule inet filter input handle 3 tcp dport 5061 accept\n"  //
                       "delete rule inet filter input handle 2\n");
  REQUIRE(m.diagnostics.empty());
  const auto& c = only_chain(m);
  REQUIRE(rule_texts(c) == std::vector<std::string>{
                               "insert rule inet filter input index 0 tcp dport 103 accept",
                               "add rule inet filter input handle 2 tcp dport 100 accept",
                               "replace rule inet filter input handle 3 tcp dport 5061 accept",
                               "add rule inet filter input position 3 tcp dport 102 accept",
                               "insert rule inet filter input handle 4 tcp dport 101 accept",
                               "tcp dport { 443, 5061 } accept",
                               "add rule inet filter input index 6 tcp dport 104 accept",
                           });
  REQUIRE(c.rules[2].handle == std::optional<std::uint64_t>(3));  // a replaced rule keeps its handle
  // Commands of the same token shape, each with its own handle (the parser reuses the
  // tree of the first for the second).
  auto twice = parse_model(kListing +
                           "delete rule inet filter input handle 4\n"
                           "delete rule inet filter input handle 2\n"
                           "add rule inet filter input handle 3 tcp dport 1 accept\n"
                           "add rule inet filter input handle 1 tcp dport 2 accept\n");
  REQUIRE(rule_texts(only_chain(twice)) == std::vector<std::string>{
                                               "tcp dport 5061 drop",
                                               "add rule inet filter input handle 3 tcp dport 1 accept",
                                               "add rule inet filter input handle 1 tcp dport 2 accept",
                                           });
  REQUIRE(twice.diagnostics.size() == 1);
  REQUIRE(twice.diagnostics[0].message.find("handle 1 ") != std::string::npos);
  // The replaced drop no longer blocks 5061.
  auto rs = load_text(kListing + "replace rule inet filter input handle 3 tcp dport 5061 accept\n");
  REQUIRE(ports(*rs, kProtoTcp).accepted == PortSet({{22, 22}, {443, 443}, {5061, 5061}}));
  rs = load_text(kListing + "delete rule inet filter input handle 3\n");
  REQUIRE(ports(*rs, kProtoTcp).accepted == PortSet({{22, 22}, {443, 443}, {5061, 5061}}));
  rs = load_text(kListing);  // without the change: 5061 is dropped first
  REQUIRE(ports(*rs, kProtoTcp).accepted == PortSet({{22, 22}, {443, 443}}));
}

TEST_CASE("nftables handles: unknown handles are not guessed, bad indexes are errors", "[nftables][nft-handles]") {
  auto m = parse_model(kListing +
                       "add rule inet filter input handle 99 tcp dport 100 accept\n"
                       "insert rule inet filter input handle 1 tcp dport 101 accept\n"  // the chain's handle
                       "replace rule inet filter input handle 98 tcp dport 5061 accept\n"
                       "delete rule inet filter input handle 97\n"
                       "add rule inet filter input index 5 tcp dport 102 accept\n"  // 5 rules: 0..4
                       "replace rule inet filter input index 1 tcp dport 103 accept\n"
                       "delete rule inet filter nochain handle 2\n"
                       "destroy rule inet filter input handle 96\n");
  const auto& c = only_chain(m);
  REQUIRE(rule_texts(c) == std::vector<std::string>{
                               "insert rule inet filter input handle 1 tcp dport 101 accept",
                               "tcp dport 22 accept",
                               "tcp dport 5061 drop",
                               "tcp dport { 443, 5061 } accept",
                               "add rule inet filter input handle 99 tcp dport 100 accept",
                           });
  std::vector<std::string> seen;
  for (const auto& d : m.diagnostics) seen.push_back(fmt::format("{} {}:{}", d.id, d.span.line, d.span.column));
  REQUIRE(seen == std::vector<std::string>{"FWM091 9:28", "FWM091 10:31", "FWM091 11:32", "FWM091 12:38",
                                           "FWM090 13:28", "FWM090 14:1", "FWM090 15:1", "FWM091 16:39"});
  REQUIRE(m.diagnostics[0].message.find("appended at the end of the chain instead") == std::string::npos);
  REQUIRE(m.diagnostics[0].message.find("added at the end of the chain instead") != std::string::npos);
  REQUIRE(m.diagnostics[1].message.find("inserted at the start of the chain instead") != std::string::npos);
  REQUIRE(m.diagnostics[2].message.find("not applied") != std::string::npos);
  REQUIRE(m.diagnostics[4].message.find("no rule has index 5") != std::string::npos);
}

TEST_CASE("nftables delete element removes elements with exactly that key", "[nftables][nft-elements]") {
  const std::string sets =
      "table inet filter {\n"
      "\tset sip { type inet_service; flags interval; elements = { 5060-5061, 443 } }\n"
      "\tset seen { type ipv4_addr; flags dynamic; }\n"
      "\tmap ports { type inet_service : verdict; elements = { 22 : accept, 80 : accept } }\n"
      "\tchain input {\n"
      "\t\ttype filter hook input priority filter; policy drop;\n"
      "\t\ttcp dport @sip accept\n"
      "\t\ttcp dport vmap @ports\n"
      "\t}\n"
      "}\n";
  auto m = parse_model(sets +
                       "delete element inet filter sip { 5060-5061 }\n"
                       "delete element inet filter ports { 22 }\n"
                       "delete element inet filter sip { 5060, 443 }\n"  // 5060 is not an element (5060-5061 was)
                       "delete element inet filter seen { 10.0.0.1 }\n"
                       "destroy element inet filter sip { 9999 }\n");
  std::vector<std::string> seen;
  for (const auto& d : m.diagnostics) seen.push_back(fmt::format("{} {}:{}", d.id, d.span.line, d.span.column));
  REQUIRE(seen == std::vector<std::string>{"FWM090 13:34", "FWM091 14:35"});
  REQUIRE(m.diagnostics[0].message.find("has no element 5060") != std::string::npos);
  auto rs = load_text(sets + "delete element inet filter sip { 5060-5061 }\ndelete element inet filter ports { 22 }\n");
  REQUIRE(ports(*rs, kProtoTcp).accepted == PortSet({{80, 80}, {443, 443}}));
  rs = load_text(sets);
  REQUIRE(ports(*rs, kProtoTcp).accepted == PortSet({{22, 22}, {80, 80}, {443, 443}, {5060, 5061}}));
}

TEST_CASE("nftables handles: nft -j rules keep their handles; JSON add/insert/replace/delete rule and element",
          "[nftables][nft-handles]") {
  auto dport_rule = [](const std::string& verb, const std::string& position, int port, const char* verdict) {
    std::string rule = "{\"family\": \"inet\", \"table\": \"filter\", \"chain\": \"input\", " + position +
                       "\"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", "
                       "\"field\": \"dport\"}}, \"right\": " +
                       std::to_string(port) + "}}, {\"" + verdict + "\": null}]}";
    return verb.empty() ? "{\"rule\": " + rule + "}" : "{\"" + verb + "\": {\"rule\": " + rule + "}}";
  };
  const std::string head =
      "{\"nftables\": [{\"table\": {\"family\": \"inet\", \"name\": \"filter\", \"handle\": 3}},\n"
      "{\"set\": {\"family\": \"inet\", \"table\": \"filter\", \"name\": \"sip\", \"type\": \"inet_service\", "
      "\"elem\": [5062, 5063]}},\n"
      "{\"chain\": {\"family\": \"inet\", \"table\": \"filter\", \"name\": \"input\", \"type\": \"filter\", "
      "\"hook\": \"input\", \"prio\": 0, \"policy\": \"drop\"}},\n" +
      dport_rule("", "\"handle\": 2, ", 22, "accept") + ",\n" + dport_rule("", "\"handle\": 3, ", 5061, "drop") +
      ",\n" + dport_rule("", "\"handle\": 4, ", 5061, "accept") + ",\n" +
      "{\"rule\": {\"family\": \"inet\", \"table\": \"filter\", \"chain\": \"input\", \"handle\": 5, \"expr\": "
      "[{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, "
      "\"right\": \"@sip\"}}, {\"accept\": null}]}}";
  auto m = nftables::parse_json(TextFile{
      "test.json",
      head + ",\n" + dport_rule("insert", "\"handle\": 3, ", 100, "accept") + ",\n" +
          dport_rule("insert", "\"index\": 0, ", 101, "accept") + ",\n" +
          dport_rule("add", "\"handle\": 2, ", 102, "accept") + ",\n" +  // nft 1.0.6: appended
          dport_rule("replace", "\"handle\": 2, ", 23, "accept") + ",\n" +
          "{\"delete\": {\"rule\": {\"family\": \"inet\", \"table\": \"filter\", \"chain\": \"input\", \"handle\": "
          "3}}},\n"
          "{\"delete\": {\"rule\": {\"family\": \"inet\", \"table\": \"filter\", \"chain\": \"input\", \"handle\": "
          "9}}},\n"
          "{\"delete\": {\"element\": {\"family\": \"inet\", \"table\": \"filter\", \"name\": \"sip\", \"elem\": "
          "[5062]}}},\n"
          "{\"delete\": {\"element\": {\"family\": \"inet\", \"table\": \"filter\", \"name\": \"sip\", \"elem\": "
          "[5064]}}}\n"
          "]}\n",
      "utf-8", ""});
  const auto& c = only_chain(m);
  std::vector<std::optional<std::uint64_t>> handles;
  for (const auto& r : c.rules) handles.push_back(r.handle);
  using H = std::optional<std::uint64_t>;
  // 101 (index 0), 23 (replaced handle 2), 100 (before handle 3), [5061 drop: deleted], 5061 accept, @sip, 102
  REQUIRE(handles == std::vector<H>{H(), H(2), H(), H(4), H(5), H()});
  REQUIRE(c.rules[1].text == "tcp dport 23 accept");
  std::vector<std::string> seen;
  for (const auto& d : m.diagnostics) seen.push_back(d.id);
  REQUIRE(seen == std::vector<std::string>{"FWM091", "FWM091", "FWM090"});  // add at handle, handle 9, 5064
  REQUIRE(m.diagnostics[0].message.find("appended at the end") != std::string::npos);
  REQUIRE(m.diagnostics[2].message.find("has no element 5064") != std::string::npos);
  REQUIRE(m.diagnostics[2].span.line == 15);
  auto rs = nftables::lower(m, "test.json", "nft-json");
  REQUIRE(ports(rs, kProtoTcp).accepted == PortSet({{23, 23}, {100, 102}, {5061, 5061}, {5063, 5063}}));
}
