// `netsh advfirewall firewall show rule name=all [verbose]` output. Windows translates
// its labels and values; they are kept here as data per language, the language is
// taken from the first label, and an unknown language is an error that names the
// labels it saw (never a guess).
#include <fmt/format.h>

#include <cerrno>
#include <map>

#include "frontends/windows/windows_frontend.h"

namespace fwm::windows {

namespace {

enum class Field {
  RuleName,
  Description,
  Enabled,
  Direction,
  Profiles,
  Grouping,
  LocalIP,
  RemoteIP,
  Protocol,
  LocalPort,
  RemotePort,
  Edge,
  Program,
  Service,
  InterfaceTypes,
  Security,
  RuleSource,
  Action,
  RemoteComputers,
  RemoteUsers,
  LocalUsers,
  Owner
};

struct Language {
  const char* name;
  std::vector<std::pair<const char*, Field>> labels;  // label -> field (several spellings allowed)
  std::vector<const char*> yes, no, in, out;
  std::vector<const char*> domain, priv, pub;
  std::vector<const char*> allow, block, bypass;
  std::vector<const char*> any;
};

// Labels and values per language. English and German follow third-party fixtures
// (docs/formats.md 4.4); Traditional Chinese follows the Windows zh-TW terms for the
// same fields (規則 rule, 設定檔 profile, 連接埠 port, 通訊協定 protocol) and accepts the
// variants seen in Windows zh-TW UI strings.
const std::vector<Language>& languages() {
  static const std::vector<Language> table = {
      {"English",
       {{"Rule Name", Field::RuleName},
        {"Description", Field::Description},
        {"Enabled", Field::Enabled},
        {"Direction", Field::Direction},
        {"Profiles", Field::Profiles},
        {"Grouping", Field::Grouping},
        {"LocalIP", Field::LocalIP},
        {"RemoteIP", Field::RemoteIP},
        {"Protocol", Field::Protocol},
        {"LocalPort", Field::LocalPort},
        {"RemotePort", Field::RemotePort},
        {"Edge traversal", Field::Edge},
        {"Program", Field::Program},
        {"Service", Field::Service},
        {"InterfaceTypes", Field::InterfaceTypes},
        {"Security", Field::Security},
        {"Rule source", Field::RuleSource},
        {"Action", Field::Action},
        {"RemoteComputerGroup", Field::RemoteComputers},
        {"RemoteUserGroup", Field::RemoteUsers},
        {"LocalUserGroup", Field::LocalUsers},
        {"LocalUserOwner", Field::Owner}},
       {"Yes"},
       {"No"},
       {"In"},
       {"Out"},
       {"Domain"},
       {"Private"},
       {"Public"},
       {"Allow"},
       {"Block"},
       {"Bypass"},
       {"Any"}},
      {"Traditional Chinese (zh-TW)",
       {{"規則名稱", Field::RuleName},
        {"描述", Field::Description},
        {"已啟用", Field::Enabled},
        {"方向", Field::Direction},
        {"設定檔", Field::Profiles},
        {"群組", Field::Grouping},
        {"本機 IP", Field::LocalIP},
        {"本機IP", Field::LocalIP},
        {"遠端 IP", Field::RemoteIP},
        {"遠端IP", Field::RemoteIP},
        {"通訊協定", Field::Protocol},
        {"本機連接埠", Field::LocalPort},
        {"遠端連接埠", Field::RemotePort},
        {"邊緣周遊", Field::Edge},
        {"程式", Field::Program},
        {"服務", Field::Service},
        {"介面類型", Field::InterfaceTypes},
        {"安全性", Field::Security},
        {"規則來源", Field::RuleSource},
        {"動作", Field::Action},
        {"遠端電腦群組", Field::RemoteComputers},
        {"遠端使用者群組", Field::RemoteUsers},
        {"本機使用者群組", Field::LocalUsers},
        {"本機使用者擁有者", Field::Owner}},
       {"是"},
       {"否"},
       {"輸入", "傳入", "入", "In"},
       {"輸出", "傳出", "出", "Out"},
       {"網域"},
       {"私人"},
       {"公用"},
       {"允許"},
       {"封鎖"},
       {"略過"},
       {"任何"}},
      {"German",
       {{"Regelname", Field::RuleName},    {"Beschreibung", Field::Description},
        {"Aktiviert", Field::Enabled},     {"Richtung", Field::Direction},
        {"Profile", Field::Profiles},      {"Gruppierung", Field::Grouping},
        {"LokaleIP", Field::LocalIP},      {"Lokale IP", Field::LocalIP},
        {"RemoteIP", Field::RemoteIP},     {"Remote-IP", Field::RemoteIP},
        {"Protokoll", Field::Protocol},    {"Lokaler Port", Field::LocalPort},
        {"LokalerPort", Field::LocalPort}, {"Remoteport", Field::RemotePort},
        {"RemotePort", Field::RemotePort}, {"Edgeausnahme", Field::Edge},
        {"Edgeausnahmen", Field::Edge},    {"Programm", Field::Program},
        {"Dienst", Field::Service},        {"Schnittstellentypen", Field::InterfaceTypes},
        {"Sicherheit", Field::Security},   {"Regelquelle", Field::RuleSource},
        {"Aktion", Field::Action}},
       {"Ja"},
       {"Nein"},
       {"Eingehend", "In"},
       {"Ausgehend", "Out"},
       {"Domäne"},
       {"Privat"},
       {"Öffentlich"},
       {"Zulassen"},
       {"Blockieren"},
       {"Umgehen"},
       {"Beliebig", "Alle"}},
  };
  return table;
}

bool one_of(const std::string& value, const std::vector<const char*>& words) {
  for (const char* w : words)
    if (lower_ascii(value) == lower_ascii(w)) return true;
  return false;
}

// Splits "Label:      value" (label column up to the first ':' or '：').
bool split_label(const std::string& line, std::string& label, std::string& value) {
  auto colon = line.find(':');
  auto wide = line.find("\xEF\xBC\x9A");  // fullwidth colon
  std::size_t len = 1;
  if (wide != std::string::npos && (colon == std::string::npos || wide < colon)) {
    colon = wide;
    len = 3;
  }
  if (colon == std::string::npos || colon == 0) return false;
  label = trim_blank(line.substr(0, colon));
  value = trim_blank(line.substr(colon + len));
  return !label.empty() && label.find("  ") == std::string::npos;
}

const Language* language_of_rule_label(const std::string& label) {
  for (const auto& lang : languages())
    for (const auto& [text, field] : lang.labels)
      if (field == Field::RuleName && label == text) return &lang;
  return nullptr;
}

std::optional<Field> field_of(const Language& lang, const std::string& label) {
  for (const auto& [text, field] : lang.labels)
    if (label == text) return field;
  return std::nullopt;
}

bool is_separator(const std::string& line) {
  return line.size() >= 10 && line.find_first_not_of('-') == std::string::npos;
}

int profile_section_header(const std::string& text);

// The language of the first "Label: value" line, if it is one of ours.
const Language* first_label_language(const std::string& text) {
  for (auto line : split_lines(text)) {
    std::string raw(line), label, value;
    if (trim_blank(raw).empty() || is_separator(trim_blank(raw))) continue;
    if (!split_label(raw, label, value)) continue;
    if (const Language* lang = language_of_rule_label(label)) return lang;
    if (profile_section_header(trim_blank(raw)) >= 0) continue;
    if (raw[0] != ' ' && value.empty()) continue;  // "Logging:" headings
    return nullptr;
  }
  return nullptr;
}

WinModel read_netsh_show_text(const TextFile& file);

// "Domain Profile Settings:" -> 0, "Private ..." -> 1, "Public ..." -> 2, else -1.
int profile_section_header(const std::string& text) {
  static const char* headers[] = {"Domain Profile Settings:", "Private Profile Settings:", "Public Profile Settings:"};
  for (int p = 0; p < 3; ++p)
    if (text == headers[p]) return p;
  return -1;
}

// One "Key   Value" line of a profile section; State and Firewall Policy decide verdicts.
void read_profile_setting(WinModel& model, int profile, const std::string& text, const std::string& file, int line_no) {
  auto gap = text.find("  ");
  if (gap == std::string::npos) return;  // "Logging:" and similar headings
  std::string key = lower_ascii(trim_blank(text.substr(0, gap)));
  std::string value = lower_ascii(trim_blank(text.substr(gap)));
  ProfileSettings& ps = model.profiles[static_cast<std::size_t>(profile)];
  SourceSpan span{file, line_no, 1, line_no, static_cast<int>(text.size()) + 1};
  if (key == "state") {
    if (value != "on" && value != "off") {
      model.diagnostics.push_back(parse_error(file, line_no, static_cast<int>(gap) + 1,
                                              fmt::format("State '{}': expected ON or OFF", value), text));
      return;
    }
    ps.enabled = value == "on";
    ps.enabled_span = span;
    ps.enabled_text = text;
  } else if (key == "firewall policy") {
    auto parts = split_list(value, ',');
    if (parts.size() != 2) {
      model.diagnostics.push_back(
          parse_error(file, line_no, static_cast<int>(gap) + 1, "Firewall Policy: expected INBOUND,OUTBOUND", text));
      return;
    }
    if (parts[0] == "blockinbound" || parts[0] == "blockinboundalways" || parts[0] == "allowinbound") {
      ps.inbound_block = parts[0] != "allowinbound";
      ps.inbound_span = span;
      ps.inbound_text = text;
      ps.shields_up = parts[0] == "blockinboundalways";
      ps.shields_span = span;
      ps.shields_text = text;
    }
    if (parts[1] == "blockoutbound" || parts[1] == "allowoutbound") {
      ps.outbound_block = parts[1] == "blockoutbound";
      ps.outbound_span = span;
      ps.outbound_text = text;
    }
  }
}

}  // namespace

// Console output redirected from cmd.exe is in the OEM code page (850 for German, 950
// Big5 for Traditional Chinese, ...): such a file arrives here as Latin-1; the code page
// whose decoding yields known labels is the file's.
WinModel read_netsh_show(const TextFile& file) {
  if (file.encoding == "latin-1") {
    std::string bytes = latin1_bytes(file.text);
    for (const char* code_page : {"CP850", "CP950", "CP936", "CP932", "CP437"}) {
      auto text = decode_code_page(bytes, code_page);
      if (!text || !first_label_language(*text)) continue;
      TextFile decoded = file;
      decoded.text = *text;
      decoded.encoding = code_page;
      return read_netsh_show_text(decoded);
    }
  }
  return read_netsh_show_text(file);
}

bool looks_like_netsh_show(const TextFile& file) {
  auto lines = split_lines(file.text);
  for (std::size_t i = 0; i + 1 < lines.size() && i < 60; ++i) {
    std::string next = trim_blank(lines[i + 1]);
    if (is_separator(next)) {
      std::string label, value;
      return split_label(std::string(lines[i]), label, value);
    }
  }
  return false;
}

namespace {

WinModel read_netsh_show_text(const TextFile& file) {
  WinModel model;
  model.source = "netsh-show";
  auto lines = split_lines(file.text);
  model.line_count = lines.size();
  const Language* lang = nullptr;
  std::vector<std::string> labels_seen;
  bool verbose = false;
  WinRule* rule = nullptr;
  std::optional<Field> last_field;
  int settings_profile = -1;
  auto bad_value = [&](int line_no, const std::string& text, const std::string& label, const std::string& value,
                       const char* expected) {
    model.diagnostics.push_back(
        parse_error(file.path, line_no, static_cast<int>(text.find(value)) + 1,
                    fmt::format("{}: '{}' is not {} ({})", label, value, expected, lang ? lang->name : "?"), text));
    if (rule) rule->lost.push_back({label, "unreadable value"});
  };
  for (std::size_t i = 0; i < lines.size(); ++i) {
    int line_no = static_cast<int>(i) + 1;
    std::string raw(lines[i]);
    std::string text = trim_blank(raw);
    if (text.empty() || is_separator(text)) continue;
    if (lower_ascii(text) == "ok." || text == "確定。" || text == "OK." || text == "確定") continue;
    // `netsh advfirewall show allprofiles` output in the same file (English): profile
    // sections of "Key   Value" lines up to the next rule.
    if (int p = profile_section_header(text); p >= 0) {
      settings_profile = p;
      rule = nullptr;
      continue;
    }
    if (settings_profile >= 0) {
      std::string label, value;
      if (split_label(raw, label, value) && language_of_rule_label(label)) {
        settings_profile = -1;  // rules follow
      } else {
        read_profile_setting(model, settings_profile, text, file.path, line_no);
        continue;
      }
    }
    bool indented = raw[0] == ' ' || raw[0] == '\t';
    std::string label, value;
    if (indented || !split_label(raw, label, value)) {
      // ICMP "Type Code" sub-table rows under Protocol, or wrapped values.
      if (rule && last_field == Field::Protocol) {
        auto parts = split_list(text, ' ');
        if (parts.size() == 2 && std::isdigit(static_cast<unsigned char>(parts[0][0])))
          rule->icmp_types.push_back(parts[0] + ":" + parts[1]);
        continue;
      }
      if (rule && last_field) continue;  // continuation of a long value (description)
      model.diagnostics.push_back(
          parse_error(file.path, line_no, 1, "expected 'Label: value' or a rule separator line", text));
      continue;
    }
    if (labels_seen.size() < 8) labels_seen.push_back(label);
    if (!lang) {
      lang = language_of_rule_label(label);
      if (!lang) {
        std::vector<std::string> known;
        for (const auto& l : languages()) known.push_back(fmt::format("{} ({})", l.labels.front().first, l.name));
        model.diagnostics.push_back(parse_error(
            file.path, line_no, 1,
            fmt::format("netsh show rule output in a language fwmatrix has no labels for: saw labels '{}'; known "
                        "first labels: {}",
                        fmt::join(labels_seen, "', '"), fmt::join(known, ", ")),
            text));
        return model;
      }
    }
    auto field = field_of(*lang, label);
    if (!field) {
      model.diagnostics.push_back(parse_error(
          file.path, line_no, 1, fmt::format("label '{}' is not a {} netsh field label", label, lang->name), text));
      if (rule) rule->lost.push_back({label, "field not known to fwmatrix"});
      continue;
    }
    last_field = field;
    if (*field == Field::RuleName) {
      model.rules.emplace_back();
      rule = &model.rules.back();
      rule->name = value;
      rule->id = value;
      rule->span = {file.path, line_no, 1, line_no, static_cast<int>(raw.size()) + 1};
      rule->text = text;
      continue;
    }
    if (!rule) {
      model.diagnostics.push_back(parse_error(file.path, line_no, 1, "field before the first rule name", text));
      continue;
    }
    bool any = one_of(value, lang->any) || lower_ascii(value) == "any";
    switch (*field) {
      case Field::Enabled:
        if (one_of(value, lang->yes))
          rule->enabled = true;
        else if (one_of(value, lang->no))
          rule->enabled = false;
        else
          bad_value(line_no, text, label, value, "Yes or No");
        break;
      case Field::Direction:
        if (one_of(value, lang->in))
          rule->direction = Direction::In;
        else if (one_of(value, lang->out))
          rule->direction = Direction::Out;
        else
          bad_value(line_no, text, label, value, "In or Out");
        break;
      case Field::Profiles: {
        unsigned set = 0;
        bool ok = true;
        for (const auto& p : split_list(value, ',')) {
          if (one_of(p, lang->domain) || lower_ascii(p) == "domain")
            set |= kDomain;
          else if (one_of(p, lang->priv) || lower_ascii(p) == "private")
            set |= kPrivate;
          else if (one_of(p, lang->pub) || lower_ascii(p) == "public")
            set |= kPublic;
          else if (one_of(p, lang->any) || lower_ascii(p) == "any")
            set |= kAllProfiles;
          else
            ok = false;
        }
        if (!ok || set == 0)
          bad_value(line_no, text, label, value, "a list of Domain, Private, Public");
        else
          rule->profiles = set;
        break;
      }
      case Field::Grouping:
        rule->group = value;
        break;
      case Field::Description:
        read_suppressions(value, rule->suppressions);
        break;
      case Field::LocalIP:
        if (!any) rule->local_addrs = split_list(value, ',');
        break;
      case Field::RemoteIP:
        if (!any) rule->remote_addrs = split_list(value, ',');
        break;
      case Field::Protocol:
        if (!parse_protocol(any ? "any" : value, rule->protocol)) bad_value(line_no, text, label, value, "a protocol");
        break;
      case Field::LocalPort:
        if (!any) rule->local_ports = split_list(value, ',');
        break;
      case Field::RemotePort:
        if (!any) rule->remote_ports = split_list(value, ',');
        break;
      case Field::Edge:
        break;  // widens to edge-traversed traffic only
      case Field::Program:
        verbose = true;
        if (!any) rule->program = value;
        break;
      case Field::Service:
        verbose = true;
        if (!any) rule->service = value;
        break;
      case Field::InterfaceTypes:
        verbose = true;
        if (!any) rule->conditions.push_back(fmt::format("interface types {}", value));
        break;
      case Field::Security:
        verbose = true;
        if (lower_ascii(value) != "notrequired" && !any)
          rule->conditions.push_back(fmt::format("security {} (IPsec-protected traffic only)", value));
        break;
      case Field::RuleSource:
        verbose = true;
        break;
      case Field::RemoteComputers:
      case Field::RemoteUsers:
      case Field::LocalUsers:
      case Field::Owner:
        if (!any) rule->conditions.push_back(fmt::format("{} {}", label, value));
        break;
      case Field::Action:
        if (one_of(value, lang->allow))
          rule->action = WinAction::Allow;
        else if (one_of(value, lang->block))
          rule->action = WinAction::Block;
        else if (one_of(value, lang->bypass))
          rule->action = WinAction::Bypass;
        else
          bad_value(line_no, text, label, value, "Allow, Block or Bypass");
        break;
      case Field::RuleName:
        break;
    }
  }
  if (!verbose && !model.rules.empty()) {
    // Without "verbose" netsh leaves out Program and Service: a rule may be scoped to one.
    for (auto& r : model.rules) r.lost.push_back({"Program/Service", "not in non-verbose netsh output"});
  }
  return model;
}

}  // namespace

}  // namespace fwm::windows
