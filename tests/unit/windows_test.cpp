// Windows Firewall frontend: rule strings, every export form, Windows precedence and
// profiles, and the equivalence of all forms for one Front End rule set.
#include <hivex.h>
#include <iconv.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "checks/analysis.h"
#include "eval/anomalies.h"
#include "eval/evaluator.h"
#include "frontends/frontend.h"
#include "frontends/windows/windows_frontend.h"
#include "fwm_catch.hpp"
#include "matrix/pack.h"
#include "port_answer.h"
#include "test_support.h"

using namespace fwm;

namespace {

LoadResult load_text(const std::string& name, const std::string& text, const std::string& format = "",
                     const std::string& profile = "") {
  LoadOptions options;
  options.format = format;
  options.profile = profile;
  return load_ruleset_bytes(name, text, options);
}

test::PortAnswer answer(const Ruleset& rs, int proto, Family f = Family::V4, const char* src = nullptr,
                        Direction dir = Direction::In) {
  return test::port_answer(rs, {proto, f, src, nullptr, dir});
}

std::size_t count_diags(const Ruleset& rs, const char* id) {
  return static_cast<std::size_t>(
      std::count_if(rs.diagnostics.begin(), rs.diagnostics.end(), [&](const Diagnostic& d) { return d.id == id; }));
}

std::string reg_file(const std::vector<std::string>& rules, const std::string& extra_keys = "") {
  std::string out = "Windows Registry Editor Version 5.00\r\n\r\n" + extra_keys +
                    "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\"
                    "FirewallPolicy\\FirewallRules]\r\n";
  int i = 0;
  for (const auto& r : rules) out += "\"Rule-" + std::to_string(++i) + "\"=\"" + r + "\"\r\n";
  return out;
}

std::string utf16le_bom(const std::string& ascii) {
  std::string out = "\xFF\xFE";
  for (char c : ascii) {
    out += c;
    out += '\0';
  }
  return out;
}

// ---- a minimal registry hive, then filled through libhivex ------------------------

void put32(std::string& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void put16(std::string& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<char>(v & 0xff);
  b[at + 1] = static_cast<char>(v >> 8);
}

// A regf file with one hbin holding the root key (nk), its security cell (sk) and a free
// cell: the smallest hive libhivex opens for writing.
std::string minimal_hive() {
  std::string b(0x2000, '\0');
  b.replace(0, 4, "regf");
  put32(b, 0x04, 1);       // sequence 1
  put32(b, 0x08, 1);       // sequence 2 (equal: cleanly written)
  put32(b, 0x14, 1);       // major version
  put32(b, 0x18, 3);       // minor version
  put32(b, 0x1C, 0);       // primary file
  put32(b, 0x20, 1);       // direct memory load format
  put32(b, 0x24, 0x20);    // root key cell, relative to the first hbin
  put32(b, 0x28, 0x1000);  // size of the hbins
  put32(b, 0x2C, 1);       // clustering factor
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < 0x1FC; i += 4) {
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k)
      v |= static_cast<std::uint32_t>(static_cast<unsigned char>(b[i + static_cast<std::size_t>(k)])) << (8 * k);
    sum ^= v;
  }
  put32(b, 0x1FC, sum);
  const std::size_t hbin = 0x1000;
  b.replace(hbin, 4, "hbin");
  put32(b, hbin + 4, 0);       // offset of this hbin
  put32(b, hbin + 8, 0x1000);  // its size
  // Root nk at relative 0x20: 80 bytes of header + name "ROOT", cell of 88 bytes.
  const std::size_t nk = hbin + 0x20;
  put32(b, nk, static_cast<std::uint32_t>(-88));
  b.replace(nk + 4, 2, "nk");
  put16(b, nk + 6, 0x2C);  // root key, no delete, ASCII name
  put32(b, nk + 20, 0);    // parent
  put32(b, nk + 32, 0xFFFFFFFF);
  put32(b, nk + 36, 0xFFFFFFFF);
  put32(b, nk + 44, 0xFFFFFFFF);
  put32(b, nk + 48, 0x20 + 88);  // sk cell
  put32(b, nk + 52, 0xFFFFFFFF);
  put16(b, nk + 76, 4);
  b.replace(nk + 80, 4, "ROOT");
  // sk cell: a self-relative security descriptor with no owner, group or ACLs.
  const std::size_t sk = nk + 88;
  put32(b, sk, static_cast<std::uint32_t>(-48));
  b.replace(sk + 4, 2, "sk");
  put32(b, sk + 8, 0x20 + 88);   // next (itself)
  put32(b, sk + 12, 0x20 + 88);  // previous (itself)
  put32(b, sk + 16, 1);          // reference count
  put32(b, sk + 20, 20);         // descriptor size
  b[sk + 24] = 1;                // revision
  put16(b, sk + 26, 0x8004);     // self-relative, DACL present (null DACL)
  // The rest of the hbin is one free cell.
  const std::size_t free_cell = sk + 48;
  put32(b, free_cell, static_cast<std::uint32_t>(hbin + 0x1000 - free_cell));
  return b;
}

std::string utf16z(const std::string& ascii) {
  std::string out;
  for (char c : ascii) {
    out += c;
    out += '\0';
  }
  out += std::string(2, '\0');
  return out;
}

struct HiveValue {
  std::string name;
  std::string rule;  // REG_SZ when non-empty
  std::uint32_t dword = 0;
};

// Writes a .wfw-like hive: root\FirewallPolicy\{FirewallRules,DomainProfile,...}.
std::string write_hive(const std::string& path, const std::map<std::string, std::vector<HiveValue>>& keys) {
  {
    std::ofstream out(path, std::ios::binary);
    out << minimal_hive();
  }
  hive_h* h = hivex_open(path.c_str(), HIVEX_OPEN_WRITE);
  if (!h) return std::string("hivex_open: ") + std::strerror(errno);
  hive_node_h policy = hivex_node_add_child(h, hivex_root(h), "FirewallPolicy");
  if (!policy) return std::string("add FirewallPolicy: ") + std::strerror(errno);
  for (const auto& [key, values] : keys) {
    hive_node_h node = hivex_node_add_child(h, policy, key.c_str());
    if (!node) return "add " + key + ": " + std::strerror(errno);
    std::vector<std::string> data;
    std::vector<hive_set_value> set;
    data.reserve(values.size());
    for (const auto& v : values) {
      if (!v.rule.empty()) {
        data.push_back(utf16z(v.rule));
      } else {
        std::string d(4, '\0');
        put32(d, 0, v.dword);
        data.push_back(d);
      }
      hive_set_value sv;
      sv.key = const_cast<char*>(v.name.c_str());
      sv.t = v.rule.empty() ? hive_t_REG_DWORD : hive_t_REG_SZ;
      sv.len = data.back().size();
      sv.value = data.back().data();
      set.push_back(sv);
    }
    if (hivex_node_set_values(h, node, set.size(), set.data(), 0) != 0)
      return "set values of " + key + ": " + std::strerror(errno);
  }
  if (hivex_commit(h, path.c_str(), 0) != 0) return std::string("hivex_commit: ") + std::strerror(errno);
  hivex_close(h);
  return "";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "fwm-win-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  REQUIRE(mkdtemp(buf.data()) != nullptr);
  return buf.data();
}

// ---- the Front End rule set in every form -----------------------------------------

struct FeRule {
  const char* name;
  const char* proto;
  const char* ports;
};
const FeRule kFrontEnd[] = {
    {"SfB Web and DCOM", "TCP", "80,135,443,444,445,448,4443"},
    {"SfB SIP services", "TCP", "5060-5065,5071-5073,5075-5076,5080"},
    {"SfB PSOM web mobility", "TCP", "5086-5087,8057-8058,8060-8061,8080,8404"},
    {"SfB media TCP", "TCP", "49152-65535"},
    {"SfB media UDP", "UDP", "49152-57500"},  // partial: 57501-65535 missing
    {"SQL Browser", "UDP", "1434"},
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto pos = s.find(',', start);
    out.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

std::string fe_rule_string(const FeRule& r) {
  std::string s = std::string("v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=") +
                  (std::string(r.proto) == "TCP" ? "6" : "17") + "|";
  for (const auto& p : split_commas(r.ports))
    s += (p.find('-') != std::string::npos ? "LPort2_10=" : "LPort=") + p + "|";
  return s + "RA4=10.0.0.0/255.0.0.0|Name=" + r.name + "|EmbedCtxt=Skype for Business Server|";
}

std::map<std::string, std::string> front_end_forms() {
  std::map<std::string, std::string> forms;
  std::vector<std::string> strings;
  for (const auto& r : kFrontEnd) strings.push_back(fe_rule_string(r));
  forms["fe.reg"] = utf16le_bom(reg_file(strings));
  std::string show = "\r\n";
  std::string netsh = "@echo off\r\n";
  std::string ps;
  std::string json = "[\n";
  std::string csv =
      "\"Name\",\"DisplayName\",\"Enabled\",\"Direction\",\"Action\",\"Profile\",\"Protocol\","
      "\"LocalPort\",\"RemotePort\",\"LocalAddress\",\"RemoteAddress\",\"Program\",\"Service\"\r\n";
  auto pad = [](std::string label) { return (label + ":").append(38 - label.size() - 1, ' '); };
  bool first = true;
  for (const auto& r : kFrontEnd) {
    show += pad("Rule Name") + r.name + "\r\n" + std::string(70, '-') + "\r\n" + pad("Enabled") + "Yes\r\n" +
            pad("Direction") + "In\r\n" + pad("Profiles") + "Domain,Private,Public\r\n" + pad("Grouping") +
            "Skype for Business Server\r\n" + pad("LocalIP") + "Any\r\n" + pad("RemoteIP") + "10.0.0.0/8\r\n" +
            pad("Protocol") + r.proto + "\r\n" + pad("LocalPort") + r.ports + "\r\n" + pad("RemotePort") + "Any\r\n" +
            pad("Edge traversal") + "No\r\n" + pad("Program") + "Any\r\n" + pad("Service") + "Any\r\n" +
            pad("InterfaceTypes") + "Any\r\n" + pad("Security") + "NotRequired\r\n" + pad("Rule source") +
            "Local Setting\r\n" + pad("Action") + "Allow\r\n\r\n";
    netsh += std::string("netsh advfirewall firewall add rule name=\"") + r.name +
             "\" dir=in action=allow protocol=" + r.proto + " localport=" + r.ports + " remoteip=10.0.0.0/8\r\n";
    ps += std::string("New-NetFirewallRule -DisplayName \"") + r.name + "\" -Direction Inbound `\r\n  -Protocol " +
          r.proto + " -LocalPort " + r.ports + " -RemoteAddress 10.0.0.0/8 -Action Allow | Out-Null\r\n";
    json += std::string(first ? "" : ",\n") + "  {\"Name\": \"" + r.name + "\", \"DisplayName\": \"" + r.name +
            "\", \"Enabled\": 1, \"Direction\": 1, \"Action\": 2, \"Profile\": 0, \"Protocol\": \"" + r.proto +
            "\", \"LocalPort\": [\"" + r.ports +
            "\"], \"RemotePort\": \"Any\", \"LocalAddress\": \"Any\", "
            "\"RemoteAddress\": \"10.0.0.0/255.0.0.0\", \"Program\": \"Any\", \"Service\": \"Any\"}";
    csv += std::string("\"") + r.name + "\",\"" + r.name + "\",\"True\",\"Inbound\",\"Allow\",\"Any\",\"" + r.proto +
           "\",\"" + r.ports + "\",\"Any\",\"Any\",\"10.0.0.0/8\",\"Any\",\"Any\"\r\n";
    first = false;
  }
  show += "Ok.\r\n";
  json += "\n]\n";
  forms["fe-show.txt"] = show;
  forms["fe.cmd"] = netsh;
  forms["fe.ps1"] = ps;
  forms["fe.json"] = json;
  forms["fe.csv"] = csv;
  return forms;
}

}  // namespace

TEST_CASE("rule string: repeated keys, ranges, profiles and unknown keys", "[windows]") {
  windows::WinRule rule;
  std::vector<Diagnostic> diags;
  SourceSpan where{"x.reg", 3, 10, 3, 10};
  REQUIRE(
      windows::parse_rule_string("v2.31|Action=Block|Active=FALSE|Dir=Out|Protocol=17|Profile=Domain|"
                                 "Profile=Public|LPort=3478|LPort2_10=49152-57500|RA4=LocalSubnet|"
                                 "Name=SfB media|Frobnicate=7|",
                                 rule, diags, where));
  CHECK(diags.empty());
  CHECK(rule.action == windows::WinAction::Block);
  CHECK_FALSE(rule.enabled);
  CHECK(rule.direction == Direction::Out);
  CHECK(rule.protocol == 17);
  CHECK(rule.profiles == (windows::kDomain | windows::kPublic));
  CHECK(rule.local_ports == std::vector<std::string>{"3478", "49152-57500"});
  CHECK(rule.remote_addrs == std::vector<std::string>{"LocalSubnet4"});
  CHECK(rule.name == "SfB media");
  REQUIRE(rule.conditions.size() == 1);  // the unknown key is kept as an undecidable condition
  CHECK(rule.conditions[0].find("Frobnicate=7") != std::string::npos);

  windows::WinRule bad;
  REQUIRE_FALSE(windows::parse_rule_string("v2.31|Action=Allow|LPort=80", bad, diags, where));
  REQUIRE(diags.size() == 1);
  CHECK(diags[0].id == "FWM090");
  CHECK(diags[0].span.line == 3);
  CHECK(diags[0].message.find("closed by '|'") != std::string::npos);
  diags.clear();
  REQUIRE_FALSE(windows::parse_rule_string("v2.31|Action=Permit|", bad, diags, where));
  CHECK(diags[0].message.find("Action=Permit") != std::string::npos);
  CHECK(diags[0].span.column == 10 + 6);
}

TEST_CASE("block rules beat allow rules whatever their order; disabled rules are ignored", "[windows]") {
  auto r = load_text("x.reg", reg_file({
                                  "v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=17|LPort2_10=49152-57500|",
                                  "v2.31|Action=Block|Active=TRUE|Dir=In|Protocol=17|LPort2_10=50000-50100|",
                                  "v2.31|Action=Allow|Active=FALSE|Dir=In|Protocol=6|LPort=5061|",
                                  "v2.31|Action=Allow|Active=TRUE|Dir=Out|Protocol=6|LPort=444|",
                              }));
  REQUIRE(r.ruleset);
  CHECK(r.more_variants.empty());  // all profiles alike: one ruleset
  const Ruleset& rs = *r.ruleset;
  CHECK(rs.format == "windows");
  PortSet expect(49152, 49999);
  expect.add(50101, 57500);
  CHECK(answer(rs, kProtoUdp).accepted == expect);
  CHECK(answer(rs, kProtoUdp, Family::V6).accepted == expect);
  CHECK(answer(rs, kProtoTcp).accepted.empty());  // disabled 5061, outbound 444, default block
  CHECK(answer(rs, kProtoTcp, Family::V4, nullptr, Direction::Out).accepted == all_ports());  // default allow out
}

TEST_CASE("profile settings: default action, firewall off, block all incoming", "[windows]") {
  std::string base =
      "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\";
  std::string keys = base + "DomainProfile]\r\n\"EnableFirewall\"=dword:00000001\r\n\r\n" + base +
                     "StandardProfile]\r\n\"DoNotAllowExceptions\"=dword:00000001\r\n\r\n" + base +
                     "PublicProfile]\r\n\"EnableFirewall\"=dword:00000000\r\n\r\n";
  auto r = load_text("p.reg", reg_file({"v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=5061|"}, keys));
  REQUIRE(r.ruleset);
  auto all = r.all();
  REQUIRE(all.size() == 3);
  std::map<std::string, const Ruleset*> by;
  for (auto* rs : all) by[rs->variant] = rs;
  REQUIRE(by.count("Domain profile"));
  REQUIRE(by.count("Private profile"));
  REQUIRE(by.count("Public profile"));
  CHECK(answer(*by["Domain profile"], kProtoTcp).accepted == PortSet(5061, 5061));
  CHECK(answer(*by["Private profile"], kProtoTcp).accepted.empty());        // shields up: allow rules ignored
  CHECK(answer(*by["Public profile"], kProtoTcp).accepted == all_ports());  // firewall off
  const Rule& off = by["Public profile"]->chains[0].rules.at(0);
  CHECK(off.span.line > 1);
  CHECK(off.text.find("EnableFirewall") != std::string::npos);
  // --profile keeps one.
  auto one = load_text("p.reg", reg_file({"v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=5061|"}, keys), "",
                       "private");
  REQUIRE(one.ruleset);
  CHECK(one.more_variants.empty());
  CHECK(one.ruleset->variant == "Private profile");
  CHECK_FALSE(load_text("p.reg", reg_file({}, keys), "", "office").error.empty());
}

TEST_CASE("keywords, programs and authenticated bypass are undetermined, never guessed", "[windows]") {
  auto r =
      load_text("k.reg", reg_file({
                             "v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=RPC|",
                             "v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=5061|LPort=RPC-EPMap|",
                             "v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=17|LPort=3478|RA4=LocalSubnet|",
                             "v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=17|LPort=5000|App=C:\\x\\app.exe|",
                             "v2.31|Action=ByPass|Active=TRUE|Dir=In|Protocol=6|LPort=9000|",
                             "v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=17|LPort=6000|"
                             "App=C:\\Program Files\\Skype for Business Server 2015\\Server\\Core\\MediaRelaySvc.exe|",
                         }));
  REQUIRE(r.ruleset);
  const Ruleset& rs = *r.ruleset;
  auto tcp = answer(rs, kProtoTcp);
  CHECK(tcp.accepted == PortSet(5061, 5061));  // the exact part of the mixed rule
  CHECK(tcp.undetermined.contains(135));
  CHECK(tcp.undetermined.contains(9000));
  CHECK(tcp.undetermined.contains(40000));  // RPC: any dynamic port
  auto udp = answer(rs, kProtoUdp);
  CHECK(udp.accepted == PortSet(6000, 6000));  // SfB program: assumed, with a note
  CHECK(udp.undetermined.contains(3478));
  CHECK(udp.undetermined.contains(5000));
  CHECK(count_diags(rs, "FWM091") >= 5);
  bool sfb_note = false;
  for (const auto& d : rs.diagnostics)
    if (d.message.find("assumed to be the Skype for Business Server") != std::string::npos) sfb_note = true;
  CHECK(sfb_note);
}

TEST_CASE(".reg input: UTF-16LE with BOM and CRLF, group policy beats local settings, Defaults ignored", "[windows]") {
  std::string local =
      "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\"
      "FirewallPolicy\\PublicProfile]\r\n\"DefaultInboundAction\"=dword:00000000\r\n\r\n";
  std::string gpo =
      "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\PublicProfile]\r\n"
      "\"DefaultInboundAction\"=dword:00000001\r\n\r\n";
  std::string defaults =
      "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Defaults\\"
      "FirewallPolicy\\FirewallRules]\r\n\"D\"=\"v2.31|Action=Allow|Dir=In|Protocol=6|LPort=1|\"\r\n\r\n";
  auto r = load_text("u.reg", utf16le_bom(reg_file({"v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=80|"},
                                                   gpo + defaults + local)));
  REQUIRE(r.ruleset);
  REQUIRE(r.all().size() == 1);  // the GPO block default stands: profiles alike
  CHECK(answer(*r.ruleset, kProtoTcp).accepted == PortSet(80, 80));
  // Errors are located.
  auto bad = load_text("b.reg",
                       "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\X\\FirewallRules]\r\n"
                       "\"A\"=\"v2.31|Action=Allow|Dir=Sideways|\"\r\n\"B\"=dword:1\r\n");
  REQUIRE(bad.ruleset);
  REQUIRE(count_diags(*bad.ruleset, "FWM090") == 2);
  CHECK(bad.ruleset->diagnostics[0].span.line == 4);
  CHECK(bad.ruleset->diagnostics[0].message.find("Dir=Sideways") != std::string::npos);
  CHECK(bad.ruleset->diagnostics[1].message.find("REG_SZ") != std::string::npos);
}

TEST_CASE("group policy without local merge, connection security rules noted", "[windows]") {
  std::string text =
      "Windows Registry Editor Version 5.00\r\n\r\n"
      "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\DomainProfile]\r\n"
      "\"AllowLocalPolicyMerge\"=dword:00000000\r\n\r\n"
      "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\FirewallRules]\r\n"
      "\"G\"=\"v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=5061|\"\r\n\r\n"
      "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\ConSecRules]\r\n"
      "\"C\"=\"v2.31|Action=DoNotSecure|Active=TRUE|Protocol=17|EP1Port2_10=49152-57500|\"\r\n\r\n"
      "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\"
      "FirewallRules]\r\n"
      "\"L\"=\"v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=444|\"\r\n";
  auto r = load_text("gpo.reg", text);
  REQUIRE(r.ruleset);
  std::map<std::string, const Ruleset*> by;
  for (auto* rs : r.all()) by[rs->variant] = rs;
  REQUIRE(by.count("Domain profile"));
  REQUIRE(by.count("Private, Public profiles"));
  CHECK(answer(*by["Domain profile"], kProtoTcp).accepted == PortSet(5061, 5061));
  PortSet both(444, 444);
  both.add(5061, 5061);
  CHECK(answer(*by["Private, Public profiles"], kProtoTcp).accepted == both);
  bool consec = false, merge = false;
  for (const auto& d : r.ruleset->diagnostics) {
    if (d.message.find("1 connection security (IPsec) rule") != std::string::npos && d.span.line == 10) consec = true;
    if (d.message.find("AllowLocalPolicyMerge=0") != std::string::npos && d.span.line == 4) merge = true;
  }
  CHECK(consec);
  CHECK(merge);
}

TEST_CASE("netsh show rule: English, Traditional Chinese and German labels; unknown language fails clearly",
          "[windows]") {
  auto pad = [](const std::string& label) {
    std::string s = label + ":";
    while (s.size() < 38) s += ' ';
    return s;
  };
  std::string zh = "\r\n" + pad("規則名稱") + "SfB SIP\r\n" + std::string(70, '-') + "\r\n" + pad("已啟用") + "是\r\n" +
                   pad("方向") + "輸入\r\n" + pad("設定檔") + "網域,私人\r\n" + pad("本機 IP") + "任何\r\n" +
                   pad("遠端 IP") + "任何\r\n" + pad("通訊協定") + "TCP\r\n" + pad("本機連接埠") + "5061\r\n" +
                   pad("遠端連接埠") + "任何\r\n" + pad("邊緣周遊") + "否\r\n" + pad("程式") + "任何\r\n" +
                   pad("服務") + "任何\r\n" + pad("動作") + "允許\r\n\r\n確定。\r\n";
  auto r = load_text("zh.txt", zh);
  REQUIRE(r.ruleset);
  REQUIRE(r.all().size() == 2);  // Domain+Private differ from Public
  for (auto* rs : r.all()) {
    bool public_only = rs->variant == "Public profile";
    CHECK(answer(*rs, kProtoTcp).accepted == (public_only ? PortSet() : PortSet(5061, 5061)));
  }
  std::string de = pad("Regelname") + "SfB SIP\n" + std::string(70, '-') + "\n" + pad("Aktiviert") + "Ja\n" +
                   pad("Richtung") + "Eingehend\n" + pad("Profile") + "Domäne,Privat,Öffentlich\n" + pad("Protokoll") +
                   "TCP\n" + pad("Lokaler Port") + "5061\n" + pad("Programm") + "Beliebig\n" + pad("Dienst") +
                   "Beliebig\n" + pad("Aktion") + "Blockieren\n\nOK.\n";
  auto d = load_text("de.txt", de);
  REQUIRE(d.ruleset);
  REQUIRE(d.ruleset->chains[0].rules.size() == 1);
  CHECK(d.ruleset->chains[0].rules[0].action.kind == ActionKind::Deny);
  std::string fr = pad("Nom de la règle") + "SfB SIP\n" + std::string(70, '-') + "\n" + pad("Activé") + "Oui\n";
  auto f = load_text("fr.txt", fr, "netsh");
  REQUIRE(f.ruleset);
  REQUIRE(count_diags(*f.ruleset, "FWM090") == 1);
  CHECK(f.ruleset->diagnostics[0].message.find("Nom de la règle") != std::string::npos);
  CHECK(f.ruleset->diagnostics[0].message.find("Regelname") != std::string::npos);
  // Non-verbose output has no Program/Service: the rules could be scoped to a program.
  std::string brief = pad("Rule Name") + "X\n" + std::string(70, '-') + "\n" + pad("Enabled") + "Yes\n" +
                      pad("Direction") + "In\n" + pad("Profiles") + "Domain,Private,Public\n" + pad("Protocol") +
                      "TCP\n" + pad("LocalPort") + "5061\n" + pad("Action") + "Allow\n\nOk.\n";
  auto b = load_text("brief.txt", brief);
  REQUIRE(b.ruleset);
  CHECK(answer(*b.ruleset, kProtoTcp).undetermined == PortSet(5061, 5061));
}

TEST_CASE("netsh scripts: abbreviations, delete, profile state and policy, variables", "[windows]") {
  std::string script =
      "@echo off\r\n"
      "rem netsh advfirewall firewall add rule name=ignored dir=in action=allow protocol=tcp localport=1\r\n"
      "netsh advfirewall set allprofiles firewallpolicy blockinbound,allowoutbound\r\n"
      "netsh advfirewall firewall delete rule name=all\r\n"
      "netsh adv f a r n=SIP dir=in act=allow prot=tcp localport=5061 prof=domain,private\r\n"
      "netsh advfirewall firewall add rule name=Old dir=in action=allow protocol=tcp localport=22\r\n"
      "netsh advfirewall firewall delete rule name=Old\r\n"
      "netsh advfirewall firewall add rule name=Later dir=in action=allow protocol=tcp localport=8080 enable=no\r\n"
      "netsh advfirewall firewall set rule name=Later new enable=yes\r\n"
      "netsh advfirewall firewall set rule group=\"Remote Desktop\" new enable=yes\r\n"
      "netsh advfirewall firewall add rule name=\"Media\" dir=in action=allow protocol=udp localport=%MEDIA%\r\n"
      "netsh advfirewall set publicprofile state off\r\n"
      "netsh advfirewall firewall add rule name=Bad dir=in action=allow protocol=icmpv4 localport=5\r\n"
      "netsh advfirewall firewall add rule name=Worse dir=up action=allow\r\n"
      "netsh firewall add portopening TCP 5061 SfB\r\n";
  auto r = load_text("s.cmd", script);
  REQUIRE(r.ruleset);
  std::map<std::string, const Ruleset*> by;
  for (auto* rs : r.all()) by[rs->variant] = rs;
  REQUIRE(by.size() == 2);
  REQUIRE(by.count("Domain, Private profiles"));
  const Ruleset& domain = *by["Domain, Private profiles"];
  PortSet sip_and_later(5061, 5061);
  sip_and_later.add(8080, 8080);                                 // enabled by "set rule ... new enable=yes"
  CHECK(answer(domain, kProtoTcp).accepted == sip_and_later);    // 22 deleted
  CHECK(answer(domain, kProtoUdp).undetermined == all_ports());  // %MEDIA%
  CHECK(answer(*by["Public profile"], kProtoTcp).accepted == all_ports());
  const Ruleset& first = *r.ruleset;
  bool group_not_applied = false;
  for (const auto& d : first.diagnostics)
    if (d.id == "FWM091" && d.message.find("set rule") != std::string::npos && d.span.line == 10)
      group_not_applied = true;
  CHECK(group_not_applied);
  CHECK(count_diags(first, "FWM090") == 2);
  bool icmp_ports = false, bad_dir = false;
  for (const auto& d : first.diagnostics) {
    if (d.message.find("ports only with TCP or UDP") != std::string::npos && d.span.line == 13) icmp_ports = true;
    if (d.message.find("dir=up") != std::string::npos && d.span.line == 14) bad_dir = true;
  }
  CHECK(icmp_ports);
  CHECK(bad_dir);
  bool legacy = false;
  for (const auto& d : first.diagnostics)
    if (d.id == "FWM091" && d.message.find("Windows XP context") != std::string::npos && d.span.line == 15)
      legacy = true;
  CHECK(legacy);
}

TEST_CASE("PowerShell scripts: continuation lines, value lists, defaults, Set-NetFirewallProfile", "[windows]") {
  std::string script =
      "# SfB rules\r\n"
      "Set-NetFirewallProfile -Profile Domain,Private,Public -DefaultInboundAction Block -Enabled True\r\n"
      "New-NetFirewallRule -DisplayName 'SfB SIP' `\r\n"
      "    -Protocol TCP -LocalPort 5061,\"5062-5076\" -Action Allow `\r\n"
      "    -Profile Domain, Private | Out-Null\r\n"
      "$x += (New-NetFirewallRule -DisplayName \"Block 5070\" -Direction Inbound -Protocol TCP -LocalPort 5070 "
      "-Action Block).PrimaryStatus\r\n"
      "New-NetFirewallRule -DisplayName Media -Protocol UDP -LocalPort $MediaPorts -Action Allow\r\n"
      "New-NetFirewallRule -DisplayName Oops -Protocol TCP -LocalPort 80 -Acton Allow\r\n"
      "New-NetFirewallRule -DisplayName Off -Protocol TCP -LocalPort 81 -Enabled:$false\r\n"
      "New-NetFirewallRule @ruleParams -Protocol UDP -LocalPort 3478\r\n";
  auto r = load_text("s.ps1", script);
  REQUIRE(r.ruleset);
  const Ruleset* domain = nullptr;
  for (auto* rs : r.all())
    if (rs->variant.find("Domain") != std::string::npos) domain = rs;
  REQUIRE(domain);
  PortSet expect(5061, 5069);
  expect.add(5071, 5076);
  CHECK(answer(*domain, kProtoTcp).accepted == expect);  // 81 is disabled ($false is a constant)
  CHECK(answer(*domain, kProtoTcp).undetermined.empty());
  CHECK(answer(*domain, kProtoUdp).undetermined == all_ports());
  CHECK(answer(*domain, kProtoUdp, Family::V4, nullptr, Direction::Out).undetermined.contains(3478));  // splatted
  REQUIRE(count_diags(*r.ruleset, "FWM090") == 1);
  for (const auto& d : r.ruleset->diagnostics)
    if (d.id == "FWM090") {
      CHECK(d.span.line == 8);
      CHECK(d.message.find("-Acton") != std::string::npos);
    }
  // The rule spans its continuation lines.
  auto sip_it = std::find_if(domain->chains[0].rules.begin(), domain->chains[0].rules.end(),
                             [](const Rule& rule) { return rule.text.find("'SfB SIP'") != std::string::npos; });
  REQUIRE(sip_it != domain->chains[0].rules.end());
  const Rule& sip = *sip_it;
  CHECK(sip.span.line == 3);
  CHECK(sip.span.end_line == 5);
}

TEST_CASE("PowerShell exports: CSV with ';' and #TYPE, lost values, JSON enums, Format-List", "[windows]") {
  std::string csv =
      "#TYPE System.Management.Automation.PSCustomObject\r\n"
      "\"Name\";\"DisplayName\";\"Enabled\";\"Direction\";\"Action\";\"Profile\";\"Protocol\";"
      "\"LocalPort\";\"RemotePort\";\"LocalAddress\";\"RemoteAddress\";\"Program\";\"Service\"\r\n"
      "\"a\";\"SIP \"\"TLS\"\"\";\"True\";\"Inbound\";\"Allow\";\"Any\";\"TCP\";\"5061\";\"Any\";\"Any\";"
      "\"Any\";\"Any\";\"Any\"\r\n"
      "\"b\";\"Media\";\"True\";\"Inbound\";\"Allow\";\"Any\";\"UDP\";\"System.Object[]\";\"Any\";\"Any\";"
      "\"Any\";\"Any\";\"Any\"\r\n";
  auto c = load_text("x.csv", csv);
  REQUIRE(c.ruleset);
  CHECK(answer(*c.ruleset, kProtoTcp).accepted == PortSet(5061, 5061));
  CHECK(answer(*c.ruleset, kProtoUdp).undetermined == all_ports());
  std::string json =
      "{\"Name\":\"a\",\"DisplayName\":\"SIP\",\"Enabled\":1,\"Direction\":1,\"Action\":4,"
      "\"Profile\":1,\"Protocol\":\"TCP\",\"LocalPort\":[\"5061\",\"5062\"],\"RemotePort\":\"Any\","
      "\"LocalAddress\":\"Any\",\"RemoteAddress\":\"Any\",\"Program\":\"Any\",\"Service\":\"Any\"}";
  auto j = load_text("x.json", json);
  REQUIRE(j.ruleset);
  REQUIRE(j.all().size() == 2);
  for (auto* rs : j.all()) {
    if (rs->variant != "Domain profile") continue;
    REQUIRE(rs->chains[0].rules.size() == 1);
    CHECK(rs->chains[0].rules[0].action.kind == ActionKind::Deny);
    CHECK(*rs->chains[0].rules[0].match.dport == PortSet(5061, 5062));
  }
  auto bad = load_text("bad.json", "[{\"Name\": \"a\",\n \"Enabled\": }]");
  REQUIRE(bad.ruleset);
  REQUIRE(count_diags(*bad.ruleset, "FWM090") == 1);
  CHECK(bad.ruleset->diagnostics[0].span.line == 2);
  std::string fl =
      "\r\nDisplayName : Remote Desktop\r\nDirection   : Inbound\r\nAction      : Allow\r\n"
      "Enabled     : True\r\nProfile     : Any\r\n\r\n";
  auto f = load_text("fl.txt", fl);
  REQUIRE(f.ruleset);
  CHECK(answer(*f.ruleset, kProtoTcp).undetermined == all_ports());  // no port filter in the export
  auto cols = load_text("cols.csv", "Name,Protocol,LocalPort,RemoteAddress\r\nx,TCP,80,Any\r\n");
  REQUIRE(cols.ruleset);
  REQUIRE(count_diags(*cols.ruleset, "FWM090") == 1);
  CHECK(cols.ruleset->diagnostics[0].message.find("enabled, direction, action") != std::string::npos);
}

TEST_CASE(".wfw hive written with libhivex reads like the .reg export", "[windows]") {
  std::string dir = temp_dir();
  std::string path = dir + "/server.wfw";
  std::vector<HiveValue> rules;
  int i = 0;
  for (const auto& r : kFrontEnd) rules.push_back({"SfB-" + std::to_string(++i), fe_rule_string(r), 0});
  std::string err = write_hive(path, {{"FirewallRules", rules},
                                      {"PublicProfile", {{"EnableFirewall", "", 0}}},
                                      {"DomainProfile", {{"EnableFirewall", "", 1}, {"DefaultInboundAction", "", 1}}}});
  REQUIRE(err.empty());
  auto r = load_ruleset(path, {});
  REQUIRE(r.error.empty());
  REQUIRE(r.ruleset);
  CHECK(detect_format(read_text_file(path)) == "windows");
  std::map<std::string, const Ruleset*> by;
  for (auto* rs : r.all()) by[rs->variant] = rs;
  REQUIRE(by.count("Public profile"));
  REQUIRE(by.count("Domain, Private profiles"));
  CHECK(answer(*by["Public profile"], kProtoUdp).accepted == all_ports());
  PortSet media(1434, 1434);
  media.add(49152, 57500);
  CHECK(answer(*by["Domain, Private profiles"], kProtoUdp, Family::V4, "10.1.2.3").accepted == media);
  // A damaged hive is a located error, not a crash.
  std::string bytes = slurp(path);
  bytes[0x1000] = 'X';
  auto broken = load_ruleset_bytes("broken.wfw", bytes, {});
  REQUIRE(broken.ruleset);
  CHECK(count_diags(*broken.ruleset, "FWM090") == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("the same Front End rules give the same findings in every input form", "[windows]") {
  auto pack = find_pack("sfb2015", "");
  REQUIRE(pack.pack);
  AnalysisRequest request;
  request.pack = &*pack.pack;
  request.roles = {"front-end"};
  auto forms = front_end_forms();
  std::string dir = temp_dir();
  std::vector<HiveValue> rules;
  int i = 0;
  for (const auto& r : kFrontEnd) rules.push_back({"SfB-" + std::to_string(++i), fe_rule_string(r), 0});
  REQUIRE(write_hive(dir + "/fe.wfw", {{"FirewallRules", rules}}).empty());
  forms["fe.wfw"] = slurp(dir + "/fe.wfw");
  std::filesystem::remove_all(dir);
  std::optional<std::set<std::string>> reference;
  std::string reference_name;
  for (const auto& [name, bytes] : forms) {
    INFO(name);
    auto r = load_ruleset_bytes(name, bytes, {});
    REQUIRE(r.error.empty());
    REQUIRE(r.ruleset);
    CHECK(r.all().size() == 1);
    CHECK(count_diags(*r.ruleset, "FWM090") == 0);
    std::vector<std::string> notes;
    std::set<std::string> keys;
    for (const auto& f : analyze(*r.ruleset, request, notes)) keys.insert(semantic_key(f));
    CHECK_FALSE(keys.empty());  // the partial media range is found
    bool media_gap = false;
    for (const auto& k : keys)
      if (k.rfind("FWM001|srv.front-end.57501-65535", 0) == 0) media_gap = true;
    CHECK(media_gap);
    if (!reference) {
      reference = keys;
      reference_name = name;
    } else {
      INFO("compared with " << reference_name);
      CHECK(keys == *reference);
    }
  }
}

TEST_CASE("fwmatrix check reports the same findings for server.wfw and every other form", "[windows]") {
  auto forms = front_end_forms();
  std::string dir = temp_dir();
  std::vector<HiveValue> rules;
  int i = 0;
  for (const auto& r : kFrontEnd) rules.push_back({"SfB-" + std::to_string(++i), fe_rule_string(r), 0});
  REQUIRE(write_hive(dir + "/server.wfw", {{"FirewallRules", rules}}).empty());
  std::vector<std::string> paths = {dir + "/server.wfw"};
  for (const auto& [name, bytes] : forms) {
    std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
    paths.push_back(dir + "/" + name);
  }
  // Findings without their location (file, line): the same lines for every form.
  auto findings = [](const std::string& out) {
    std::multiset<std::string> lines;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
      auto pos = line.find(": error FWM");
      if (pos == std::string::npos) pos = line.find(": warning FWM");
      if (pos == std::string::npos) pos = line.find(": note FWM");
      if (pos != std::string::npos) lines.insert(line.substr(pos));
    }
    return lines;
  };
  std::optional<std::multiset<std::string>> reference;
  for (const auto& path : paths) {
    INFO(path);
    auto result = fwm::test::run_fwmatrix("check " + fwm::test::shell_quote(path) + " --role front-end");
    CHECK(result.exit_code == 1);
    auto lines = findings(result.out);
    CHECK(std::count_if(lines.begin(), lines.end(), [](const std::string& l) {
            return l.find("FWM001: UDP 57501-65535 is denied") != std::string::npos;
          }) == 1);
    if (!reference)
      reference = lines;
    else
      CHECK(lines == *reference);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("netsh show text in a console code page: Big5 (950) and 850", "[windows]") {
  auto pad = [](const std::string& label) {
    std::string s = label + ":";
    while (s.size() < 38) s += ' ';
    return s;
  };
  std::string zh = pad("規則名稱") + "SfB\r\n" + std::string(70, '-') + "\r\n" + pad("已啟用") + "是\r\n" +
                   pad("方向") + "輸入\r\n" + pad("設定檔") + "網域,私人,公用\r\n" + pad("通訊協定") + "TCP\r\n" +
                   pad("本機連接埠") + "5061\r\n" + pad("程式") + "任何\r\n" + pad("服務") + "任何\r\n" + pad("動作") +
                   "允許\r\n\r\n確定。\r\n";
  // UTF-8 -> Big5 with iconv, as cmd.exe on a zh-TW Windows writes it.
  iconv_t cd = iconv_open("CP950", "UTF-8");
  REQUIRE(cd != reinterpret_cast<iconv_t>(-1));
  std::string big5(zh.size() * 2, '\0');
  char* in = zh.data();
  std::size_t in_left = zh.size(), out_left = big5.size();
  char* out = big5.data();
  REQUIRE(iconv(cd, &in, &in_left, &out, &out_left) != static_cast<std::size_t>(-1));
  iconv_close(cd);
  big5.resize(big5.size() - out_left);
  auto r = load_text("zh950.txt", big5);
  REQUIRE(r.ruleset);
  CHECK(count_diags(*r.ruleset, "FWM090") == 0);
  CHECK(answer(*r.ruleset, kProtoTcp).accepted == PortSet(5061, 5061));
  // German from cmd.exe: code page 850 ("Domäne" is 0x84, "Öffentlich" 0x99).
  std::string de = pad("Regelname") + "SfB\r\n" + std::string(70, '-') + "\r\n" + pad("Aktiviert") + "Ja\r\n" +
                   pad("Richtung") + "Eingehend\r\n" + pad("Profile") +
                   "Dom\x84ne,Privat,\x99"
                   "ffentlich\r\n" +
                   pad("Protokoll") + "TCP\r\n" + pad("Lokaler Port") + "5061\r\n" + pad("Programm") + "Beliebig\r\n" +
                   pad("Dienst") + "Beliebig\r\n" + pad("Aktion") + "Zulassen\r\n\r\nOK.\r\n";
  auto d = load_text("de850.txt", de);
  REQUIRE(d.ruleset);
  CHECK(count_diags(*d.ruleset, "FWM090") == 0);
  CHECK(d.all().size() == 1);
  CHECK(answer(*d.ruleset, kProtoTcp).accepted == PortSet(5061, 5061));
}

TEST_CASE("netsh show allprofiles followed by show rule: profile state and policy are read", "[windows]") {
  auto pad = [](const std::string& label, bool colon = true) {
    std::string s = label + (colon ? ":" : "");
    while (s.size() < 38) s += ' ';
    return s;
  };
  std::string sep = std::string(70, '-') + "\r\n";
  std::string text =
      "\r\nDomain Profile Settings: \r\n" + sep + pad("State", false) + "ON\r\n" + pad("Firewall Policy", false) +
      "BlockInbound,AllowOutbound\r\n" + pad("LocalFirewallRules", false) + "N/A (GPO-store only)\r\n\r\nLogging:\r\n" +
      pad("LogAllowedConnections", false) + "Disable\r\n" + "\r\nPrivate Profile Settings: \r\n" + sep +
      pad("State", false) + "ON\r\n" + pad("Firewall Policy", false) + "AllowInbound,AllowOutbound\r\n" +
      "\r\nPublic Profile Settings: \r\n" + sep + pad("State", false) + "OFF\r\n" + "Ok.\r\n\r\n" + pad("Rule Name") +
      "SIP\r\n" + sep + pad("Enabled") + "Yes\r\n" + pad("Direction") + "In\r\n" + pad("Profiles") +
      "Domain,Private,Public\r\n" + pad("Protocol") + "TCP\r\n" + pad("LocalPort") + "5061\r\n" + pad("Program") +
      "Any\r\n" + pad("Service") + "Any\r\n" + pad("Action") + "Allow\r\n\r\nOk.\r\n";
  auto r = load_text("all.txt", text);
  REQUIRE(r.ruleset);
  CHECK(count_diags(*r.ruleset, "FWM090") == 0);
  std::map<std::string, const Ruleset*> by;
  for (auto* rs : r.all()) by[rs->variant] = rs;
  REQUIRE(by.size() == 3);
  CHECK(answer(*by["Domain profile"], kProtoTcp).accepted == PortSet(5061, 5061));
  CHECK(answer(*by["Private profile"], kProtoTcp).accepted == all_ports());  // AllowInbound
  CHECK(answer(*by["Public profile"], kProtoTcp).accepted == all_ports());   // State OFF
  CHECK(by["Public profile"]->chains[0].rules.at(0).span.line == 18);        // "State OFF"
}

TEST_CASE("anomalies follow Windows precedence: covered by blocks = shadowed, by its own action = redundant",
          "[windows]") {
  auto r = load_text("a.reg", reg_file({
                                  "v2.31|Action=Block|Active=TRUE|Dir=In|Protocol=6|LPort2_10=100-200|",
                                  "v2.31|Action=Block|Active=TRUE|Dir=In|Protocol=6|LPort=150|",
                                  "v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=120|",
                                  "v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort2_10=1000-2000|",
                                  "v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=1500|",
                              }));
  REQUIRE(r.ruleset);
  auto report = find_anomalies(*r.ruleset);
  std::set<int> shadowed, redundant;
  for (const auto& s : report.shadowed) shadowed.insert(s.rule->span.line);
  for (const auto& s : report.redundant) redundant.insert(s.rule->span.line);
  // Lines: 4 block 100-200, 5 block 150, 6 allow 120, 7 allow 1000-2000, 8 allow 1500.
  CHECK(shadowed == std::set<int>{6});  // the allow can never decide: a block covers it
  CHECK(redundant.count(5));            // a block inside another block
  CHECK(redundant.count(8));            // an allow inside another allow
  CHECK_FALSE(shadowed.count(5));
  CHECK_FALSE(shadowed.count(8));
  for (const auto& s : report.redundant)
    if (s.rule->span.line == 5) {
      REQUIRE(s.instead.rule);
      CHECK(s.instead.rule->span.line == 4);
    }
}

// ---- issue 25: later commands, store precedence, real-world syntax -----------------

namespace {

bool has_diag(const Ruleset& rs, const char* id, int line, const std::string& text) {
  return std::any_of(rs.diagnostics.begin(), rs.diagnostics.end(), [&](const Diagnostic& d) {
    return d.id == id && (line == 0 || d.span.line == line) && d.message.find(text) != std::string::npos;
  });
}

std::size_t rule_count(const Ruleset& rs) {
  std::size_t n = 0;
  for (const auto& c : rs.chains) n += c.rules.size();
  return n;
}

}  // namespace

// Enable-/Disable-/Remove-/Set-NetFirewallRule (PowerShell NetSecurity reference): the
// rules are selected "with the Name parameter (default), the DisplayName parameter,
// rule properties [-Group, -DisplayGroup, -Direction, -Action ...], or by associated
// filters or objects" (a pipeline); -Name, -DisplayName, -Group and -DisplayGroup accept
// wildcards; -Name is at position 0. Applied in script order.
TEST_CASE("PowerShell scripts: later Set-/Enable-/Disable-/Remove-NetFirewallRule apply in order", "[windows]") {
  std::string script =
      "New-NetFirewallRule -Name SIP -DisplayName 'SfB SIP' -Group 'SfB' -Protocol TCP -LocalPort 5061 -Action "
      "Allow\r\n"
      "New-NetFirewallRule -DisplayName 'SfB Web' -Group 'SfB' -Protocol TCP -LocalPort 443 -Action Allow\r\n"
      "New-NetFirewallRule -DisplayName 'Legacy 8080' -Protocol TCP -LocalPort 8080 -Action Allow\r\n"
      "New-NetFirewallRule -DisplayName 'Media' -Protocol UDP -LocalPort 3478 -Action Allow -Enabled False\r\n"
      "Set-NetFirewallRule SIP -LocalPort 5061,5062\r\n"
      "Disable-NetFirewallRule -DisplayName 'legacy*'\r\n"
      "Get-NetFirewallRule -DisplayName Media | Enable-NetFirewallRule\r\n"
      "Remove-NetFirewallRule -DisplayGroup SfB -Direction Outbound\r\n"
      "Remove-NetFirewallRule -DisplayName 'SfB W?b' -EA SilentlyContinue\r\n"
      "Enable-NetFirewallRule -DisplayGroup 'Remote Desktop'\r\n";
  auto r = load_text("later.ps1", script);
  REQUIRE(r.ruleset);
  const Ruleset& rs = *r.ruleset;
  CHECK(count_diags(rs, "FWM090") == 0);
  CHECK(answer(rs, kProtoTcp).accepted == PortSet(5061, 5062));  // 8080 disabled, 443 removed
  CHECK(answer(rs, kProtoTcp).undetermined.empty());
  CHECK(answer(rs, kProtoUdp).accepted == PortSet(3478, 3478));  // enabled through the pipeline
  CHECK(has_diag(rs, "FWM091", 10, "selects no rule this script creates"));
  CHECK_FALSE(has_diag(rs, "FWM091", 0, "does not define"));
  // Without the later commands the same rules say otherwise: the test can fail.
  auto first4 = load_text("first4.ps1", script.substr(0, script.find("Set-NetFirewallRule")));
  REQUIRE(first4.ruleset);
  CHECK(answer(*first4.ruleset, kProtoTcp).accepted.contains(8080));
}

TEST_CASE("PowerShell scripts: a selection the script does not decide leaves the rules undetermined", "[windows]") {
  std::string script =
      "New-NetFirewallRule -DisplayName 'Web' -Protocol TCP -LocalPort 80 -Action Allow\r\n"
      "New-NetFirewallRule -DisplayName 'SIP' -Protocol TCP -LocalPort 5061 -Action Allow\r\n"
      "Disable-NetFirewallRule -All -WhatIf\r\n"
      "Get-NetFirewallRule -DisplayName 'Web' |\r\n"
      "  Where-Object { $_.Profile -match 'Domain|Any' } |\r\n"
      "  Disable-NetFirewallRule\r\n"
      "Set-NetFirewallRule -DisplayName 'SIP' -Enabled True\r\n"
      "Set-NetFirewallRule -DisplayName $other -LocalPort 5062\r\n";
  auto r = load_text("open.ps1", script);
  REQUIRE(r.ruleset);
  const Ruleset& rs = *r.ruleset;
  CHECK(count_diags(rs, "FWM090") == 0);
  auto tcp = answer(rs, kProtoTcp);
  CHECK(tcp.undetermined.contains(80));      // -WhatIf changed nothing; the Where-Object filter is not evaluated
  CHECK(tcp.undetermined.contains(5061));    // a variable display name may select it
  CHECK(tcp.undetermined.contains(5062));    // ... and then it opens 5062 instead
  CHECK_FALSE(tcp.accepted.contains(5061));  // (-Enabled True alone changed nothing)
  CHECK(has_diag(rs, "FWM091", 0,
                 "Disable-NetFirewallRule at line 6 may disable this rule (the rules pass "
                 "`Where-Object"));
  // A rule without a group is in no group, whatever a -DisplayGroup variable holds.
  auto g = load_text("group.ps1",
                     "New-NetFirewallRule -DisplayName 'SSH' -Protocol TCP -LocalPort 22 -Action Allow\r\n"
                     "New-NetFirewallRule -DisplayName 'Web' -Group 'IIS' -Protocol TCP -LocalPort 80 -Action Allow\r\n"
                     "Get-NetFirewallRule -DisplayGroup $name | Set-NetFirewallRule -Enabled False\r\n");
  REQUIRE(g.ruleset);
  CHECK(answer(*g.ruleset, kProtoTcp).accepted == PortSet(22, 22));
  CHECK(answer(*g.ruleset, kProtoTcp).undetermined == PortSet(80, 80));
}

// about_If / about_Switch / about_Functions / about_Try_Catch_Finally: a command in an
// if, else or switch arm, a loop or a function body may run never (or many times);
// try and hashtables run as written. Such rules are kept, undetermined.
TEST_CASE("PowerShell scripts: rules created inside if/switch blocks are undetermined, not dropped", "[windows]") {
  std::string script =
      "$rule = Get-NetFirewallRule -Name 'HTTP' -ErrorAction SilentlyContinue\r\n"
      "if ($rule -eq $null)\r\n"
      "{\r\n"
      "   New-NetFirewallRule -Name 'HTTP' -DisplayName 'HTTP' -Protocol TCP -LocalPort 80 -Action Allow | "
      "Out-Null\r\n"
      "}\r\n"
      "else { $rule | Set-NetFirewallRule -Enabled True }\r\n"
      "switch ($role) {\r\n"
      "  'edge' { New-NetFirewallRule -DisplayName 'Edge SIP' -Protocol TCP -LocalPort 5061 -Action Allow }\r\n"
      "}\r\n"
      "try { New-NetFirewallRule -DisplayName 'Always' -Protocol TCP -LocalPort 444 -Action Allow } catch { "
      "Write-Warning 'x }' }\r\n"
      "$h = @{ a = '{' }\r\n"
      "function Open-Extra { New-NetFirewallRule -DisplayName 'Extra' -Protocol TCP -LocalPort 9000 -Action Allow }\r\n"
      "<# New-NetFirewallRule -DisplayName 'Commented' -Protocol TCP -LocalPort 7 -Action Allow #>\r\n"
      "New-NetFirewallRule -DisplayName 'After' -Protocol TCP -LocalPort 445 -Action Allow\r\n";
  auto r = load_text("blocks.ps1", script);
  REQUIRE(r.ruleset);
  const Ruleset& rs = *r.ruleset;
  CHECK(count_diags(rs, "FWM090") == 0);
  auto tcp = answer(rs, kProtoTcp);
  PortSet sure(444, 445);
  CHECK(tcp.accepted == sure);
  CHECK(tcp.undetermined.contains(80));
  CHECK(tcp.undetermined.contains(5061));
  CHECK(tcp.undetermined.contains(9000));
  CHECK(rule_count(rs) >= 5);
  CHECK(has_diag(rs, "FWM091", 4, "inside the if block at line 2"));
  CHECK(has_diag(rs, "FWM091", 12, "function open-extra"));
}

// netsh advfirewall firewall "set rule group=|name= [dir=] [profile=] [localport=] ...
// new ..." and "delete rule name= [dir=] [protocol=] [localport=] ..." (netsh help):
// applied in order to the rules the script added; name=all selects every rule.
TEST_CASE("netsh scripts: set rule ... new and delete rule with filters apply in order", "[windows]") {
  std::string script =
      "netsh advfirewall firewall add rule name=\"SfB SIP\" dir=in action=allow protocol=tcp localport=5061\r\n"
      "netsh advfirewall firewall add rule name=\"Web\" dir=in action=allow protocol=tcp localport=80,443\r\n"
      "netsh advfirewall firewall add rule name=\"Old\" dir=in action=allow protocol=udp localport=5000\r\n"
      "netsh advfirewall firewall set rule name=\"SfB SIP\" new localport=5061-5062 remoteip=10.0.0.0/8\r\n"
      "netsh advfirewall firewall delete rule name=all protocol=udp localport=5000\r\n"
      "netsh advfirewall firewall delete rule name=\"Web\" dir=out\r\n"
      "netsh advfirewall firewall set rule name=\"Web\" new enable=no\r\n"
      "netsh advfirewall firewall set rule name=all localport=443,80 new enable=yes\r\n"
      "netsh advfirewall firewall set rule name=\"SfB SIP\" new frobnicate=yes\r\n";
  auto r = load_text("set.cmd", script);
  REQUIRE(r.ruleset);
  const Ruleset& rs = *r.ruleset;
  auto tcp = answer(rs, kProtoTcp, Family::V4, "10.1.2.3");
  PortSet expect(5061, 5062);
  expect.add(80, 80);
  expect.add(443, 443);
  CHECK(tcp.accepted == expect);
  PortSet web(80, 80);
  web.add(443, 443);
  CHECK(answer(rs, kProtoTcp).accepted == web);   // 5061 only from 10/8
  CHECK(answer(rs, kProtoUdp).accepted.empty());  // Old deleted
  CHECK(has_diag(rs, "FWM090", 9, "frobnicate"));
  // A filter that overlaps without being equal is not decided.
  auto m = load_text("maybe.cmd", script.substr(0, script.rfind("netsh")) +
                                      "netsh advfirewall firewall delete rule name=all localport=443\r\n");
  REQUIRE(m.ruleset);
  auto undecided = answer(*m.ruleset, kProtoTcp).undetermined;
  CHECK(undecided.contains(80));
  CHECK(undecided.contains(443));
  CHECK_FALSE(undecided.contains(5061));
}

// MS-GPFAS 2.2.2.19: a rule's id is the registry value name; rules with the same id in
// group policy and in the local store "overwrite one another so that only one exists",
// the GPO copy overriding the local one (cmdlet reference, parameter -Name). Value names
// are case-insensitive; "NAME"=- deletes a value; a later value of the same name
// replaces an earlier one.
TEST_CASE(".reg with both stores: a group policy rule replaces the local rule with the same id", "[windows]") {
  std::string gpo_key = "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\FirewallRules]\r\n";
  std::string local_key =
      "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\"
      "FirewallRules]\r\n";
  std::string text = "Windows Registry Editor Version 5.00\r\n\r\n" + gpo_key +
                     "\"sfb-sip\"=\"v2.31|Action=Allow|Active=FALSE|Dir=In|Protocol=6|LPort=5061|\"\r\n"
                     "\"Web\"=\"v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=8443|\"\r\n\r\n" +
                     local_key +
                     "\"SfB-SIP\"=\"v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=5061|\"\r\n"
                     "\"Other\"=\"v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=444|\"\r\n"
                     "\"Web\"=\"v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=80|\"\r\n"
                     "\"Gone\"=\"v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=21|\"\r\n"
                     "\"Gone\"=-\r\n"
                     "\"Twice\"=\"v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=17|LPort=1|\"\r\n"
                     "\"Twice\"=\"v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=17|LPort=2|\"\r\n";
  auto r = load_text("stores.reg", text);
  REQUIRE(r.ruleset);
  PortSet expect(444, 444);
  expect.add(8443, 8443);
  CHECK(answer(*r.ruleset, kProtoTcp).accepted == expect);  // 5061: GPO copy disabled; 80: GPO copy is 8443
  CHECK(answer(*r.ruleset, kProtoUdp).accepted == PortSet(2, 2));
}

// reg.exe ("reg add <KeyName> /v <ValueName> /t <Type> /d <Data> /f", "reg delete"):
// a rule string written to a FirewallRules key is a rule, a profile DWORD a setting.
// Batch files with LF line endings read like CRLF ones. netsh interface portproxy
// relays a port without a firewall rule: reported, not modelled.
TEST_CASE("scripts: reg.exe add on the firewall keys, LF line endings, netsh interface portproxy", "[windows]") {
  std::string script =
      "@echo off\n"
      "reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\FirewallRules\" "
      "/v \"SfB-SIP\" /t REG_SZ /d \"v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=5061|\" /f\n"
      "reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\FirewallRules\" "
      "/v Old /d \"v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=21|\" /f >nul\n"
      "reg delete \"HKLM\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\"
      "FirewallRules\" /v Old /f\n"
      "reg add \"HKLM\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\PublicProfile\" /v EnableFirewall /t "
      "REG_DWORD /d 0 /f\n"
      "reg add \"HKCU\\Console\" /v ScreenBufferSize /t REG_DWORD /d 0x23290050 /f\n"
      "netsh interface portproxy add v4tov4 listenport=8443 listenaddress=0.0.0.0 connectport=443 "
      "connectaddress=10.0.0.5\n"
      "netsh advfirewall firewall add rule name=\"SfB Web\" dir=in action=allow protocol=tcp localport=444\n";
  auto r = load_text("reg.cmd", script);
  REQUIRE(r.ruleset);
  CHECK(r.ruleset->format == "windows");
  CHECK(count_diags(*r.ruleset, "FWM090") == 0);
  std::map<std::string, const Ruleset*> by;
  for (auto* rs : r.all()) by[rs->variant] = rs;
  REQUIRE(by.count("Domain, Private profiles"));
  REQUIRE(by.count("Public profile"));
  PortSet expect(5061, 5061);
  expect.add(444, 444);
  CHECK(answer(*by["Domain, Private profiles"], kProtoTcp).accepted == expect);  // 21 deleted
  CHECK(answer(*by["Public profile"], kProtoTcp).accepted == all_ports());       // firewall off
  CHECK(has_diag(*r.ruleset, "FWM091", 7, "10.0.0.5 port 443"));
  // The same script with CRLF line endings reads the same.
  std::string crlf;
  for (char c : script) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  auto c = load_text("reg-crlf.cmd", crlf);
  REQUIRE(c.ruleset);
  CHECK(c.all().size() == r.all().size());
  CHECK(rule_count(*c.ruleset) == rule_count(*r.ruleset));
  // Only a port relay: still a Windows script, with the relay reported.
  auto p = load_text("proxy.cmd", "netsh interface portproxy add v4tov4 listenport=8080 connectaddress=10.0.0.9\n");
  REQUIRE(p.ruleset);
  CHECK(has_diag(*p.ruleset, "FWM091", 1, "local port 8080"));
}

// Format-Table output (Get-NetFirewallRule | Format-Table Name, DisplayName > x.txt in
// Windows PowerShell 5.1: UTF-16LE with BOM): it names rules but holds no port.
TEST_CASE("PowerShell Format-Table output with only name columns: no ports to analyse, said precisely", "[windows]") {
  std::string table =
      "\r\nName                                   DisplayName\r\n"
      "----                                   -----------\r\n"
      "RemoteDesktop-UserMode-In-TCP          Remote Desktop - User Mode (TCP-In)\r\n"
      "{6A2B0C55-7D1B-4C6F-9D34-1E0B7B1A2F11} Skype for Business\r\n\r\n";
  auto r = load_text("names.txt", utf16le_bom(table));
  REQUIRE(r.error.empty());
  REQUIRE(r.ruleset);
  CHECK(r.ruleset->format == "windows");
  CHECK(has_diag(*r.ruleset, "FWM091", 2, "no ports to analyse"));
  CHECK(has_diag(*r.ruleset, "FWM091", 2, "names 2 rules"));
  CHECK(rule_count(*r.ruleset) <= 1);  // at most the profile default
  // With the columns that decide a rule, the rows are rules (ports not exported: undetermined).
  std::string wide =
      "Name  DisplayName Enabled Direction Action Profile Protocol LocalPort\r\n"
      "----  ----------- ------- --------- ------ ------- -------- ---------\r\n"
      "SIP   SfB SIP     True    Inbound   Allow  Any     TCP      5061\r\n";
  auto w = load_text("wide.txt", utf16le_bom(wide));
  REQUIRE(w.ruleset);
  CHECK(count_diags(*w.ruleset, "FWM090") == 0);
  CHECK(answer(*w.ruleset, kProtoTcp).undetermined.contains(5061));
}

// cmd.exe control flow (help for if, for, goto): a label reached by goto runs only when
// the jump is taken; a command on an if line or in a parenthesised if block runs only
// when the condition holds. Such commands are undetermined, not applied as if certain.
TEST_CASE("batch scripts: commands after goto labels and inside if blocks are undetermined", "[windows]") {
  std::string script =
      "@echo off\n"
      "choice /c 12\n"
      "if errorlevel 2 goto :remove\n"
      "netsh advfirewall firewall add rule name=\"Game\" dir=in action=allow protocol=udp localport=6672\n"
      "netsh advfirewall firewall show rule name=\"Game\"\n"
      "goto :eof\n"
      ":remove\n"
      "netsh advfirewall firewall delete rule name=\"Game\"\n"
      "goto :eof\n";
  auto r = load_text("menu.cmd", script);
  REQUIRE(r.ruleset);
  CHECK(answer(*r.ruleset, kProtoUdp).undetermined.contains(6672));  // deleted only if the menu says so
  CHECK(count_diags(*r.ruleset, "FWM091") >= 1);
  CHECK_FALSE(has_diag(*r.ruleset, "FWM091", 5, "show"));  // show rule changes nothing
  std::string ifs =
      "netsh advfirewall firewall add rule name=\"Web\" dir=in action=allow protocol=tcp localport=443\r\n"
      "if exist C:\\sip.flag (\r\n"
      "  netsh advfirewall firewall add rule name=\"SIP\" dir=in action=allow protocol=tcp localport=5061\r\n"
      ")\r\n"
      "if \"%1\"==\"lock\" netsh advfirewall firewall set rule name=\"Web\" new enable=no\r\n";
  auto b = load_text("if.bat", ifs);
  REQUIRE(b.ruleset);
  auto tcp = answer(*b.ruleset, kProtoTcp);
  CHECK(tcp.undetermined.contains(5061));
  CHECK(tcp.undetermined.contains(443));
  CHECK(tcp.accepted.empty());
}

// Rename-NetFirewallRule -NewName and Copy-NetFirewallRule -NewName (NetSecurity cmdlet
// reference): later commands select the renamed rule and the copy by their new names.
TEST_CASE("PowerShell scripts: Rename- and Copy-NetFirewallRule give later commands new names", "[windows]") {
  std::string script =
      "New-NetFirewallRule -Name A -DisplayName 'A' -Protocol TCP -LocalPort 5061 -Action Allow\r\n"
      "Copy-NetFirewallRule -Name A -NewName B\r\n"
      "Rename-NetFirewallRule -Name A -NewName C\r\n"
      "Remove-NetFirewallRule -Name C\r\n"
      "Copy-NetFirewallRule -Name B -NewPolicyStore 'contoso.com\\fw'\r\n";
  auto part = load_text("copy.ps1", script);
  REQUIRE(part.ruleset);
  CHECK(answer(*part.ruleset, kProtoTcp).accepted == PortSet(5061, 5061));  // the copy B remains
  CHECK(has_diag(*part.ruleset, "FWM091", 5, "not this host's local store"));
  auto full = load_text("copy2.ps1", script + "Disable-NetFirewallRule -Name B\r\n");
  REQUIRE(full.ruleset);
  CHECK(answer(*full.ruleset, kProtoTcp).accepted.empty());
}

TEST_CASE("netsh advfirewall consec rules are noted, not silently dropped", "[windows]") {
  // netsh advfirewall consec add rule: a connection security (IPsec) rule, which never
  // allows traffic by itself (as ConSecRules in a .reg export); real file:
  // SEC505__NetShell-Add-IPSec-Rule.bat. The firewall frontend says it does not analyse
  // it and how to check it.
  auto r = load_text(
      "ipsec.bat",
      "@echo off\r\n"
      "netsh.exe advfirewall consec add rule name=Test endpoint1=any endpoint2=localsubnet "
      "port2=3389 protocol=tcp action=requireinrequestout auth1=computerpsk auth1psk=x\r\n"
      "netsh advfirewall consec add rule name=Test2 endpoint1=any endpoint2=any action=requireinrequestout\r\n");
  REQUIRE(r.ruleset);
  std::size_t notes = 0;
  for (const auto& d : r.ruleset->diagnostics)
    if (d.id == "FWM091" && d.message.find("connection security (IPsec)") != std::string::npos) {
      ++notes;
      CHECK(d.span.line == 2);
      CHECK(d.message.find("--ipsec") != std::string::npos);
    }
  CHECK(notes == 1);
}
