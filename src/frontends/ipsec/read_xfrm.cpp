// `ip xfrm policy` output: the lowest priority number wins; a policy without templates
// (action allow) bypasses, `action block` discards, templates protect (all of them
// `level use`: IPsec is still attempted, counted as protect). `socket` and `dir fwd`
// policies are not the host's own traffic policy.
#include <fmt/format.h>

#include "XfrmLexer.h"
#include "XfrmParser.h"
#include "frontends/ipsec/ipsec_support.h"

namespace fwm::ipsec {

using fwm_antlr_fwm_grammar_ipsec_xfrm::XfrmLexer;
using fwm_antlr_fwm_grammar_ipsec_xfrm::XfrmParser;

namespace {

void read_records(const TextFile& file, IpsecPolicy& policy, XfrmParser::FileContext* tree,
                  const std::vector<std::string_view>& lines);

}  // namespace

void read_xfrm(const TextFile& file, IpsecPolicy& policy) {
  ChunkParser<XfrmLexer, XfrmParser> records;
  auto lines = split_lines(file.text);
  auto line_text = [&](int n) { return line_at(lines, n); };
  // One record at a time: an unindented line and the indented lines under it.
  for (std::size_t idx = 0; idx < lines.size(); ++idx) {
    if (trim(lines[idx]).empty()) continue;
    int first_line = static_cast<int>(idx) + 1;
    std::string chunk = std::string(lines[idx]) + "\n";
    while (idx + 1 < lines.size() && !lines[idx + 1].empty() && (lines[idx + 1][0] == ' ' || lines[idx + 1][0] == '\t'))
      chunk += std::string(lines[++idx]) + "\n";
    auto* tree = records.load(chunk, first_line).file();
    const FirstError& errors = records.errors();
    if (errors.has_error) {
      add_error(policy, errors.line, errors.column,
                fmt::format("cannot parse this ip xfrm policy record: {} (expected a 'src ... dst ...' line and an "
                            "indented 'dir ...' line)",
                            errors.message),
                line_text(errors.line));
      continue;
    }
    read_records(file, policy, tree, lines);
  }
}

namespace {

void read_records(const TextFile& file, IpsecPolicy& policy, XfrmParser::FileContext* tree,
                  const std::vector<std::string_view>& lines) {
  auto line_text = [&](int n) { return line_at(lines, n); };
  for (auto* pol : tree->policy()) {
    auto* sel = pol->selector();
    auto* dir = pol->direction();
    int line = static_cast<int>(sel->getStart()->getLine());
    std::string text_line = line_text(line) + " / " + line_text(static_cast<int>(dir->getStart()->getLine()));
    IpsecEntry e;
    e.span = {file.path, line, 1, static_cast<int>(dir->getStart()->getLine()), 1};
    e.text = text_line;
    e.normalized = text_line;
    std::optional<AddrSet> src, dst;
    std::optional<PortSet> sport, dport;
    std::string err;
    AddrSet a;
    bool bad = false;
    if (!parse_cidr_list({sel->src->getText()}, a, err))
      bad = true;
    else if (!a.is_all())
      src = a;
    AddrSet b;
    if (!bad && !parse_cidr_list({sel->dst->getText()}, b, err))
      bad = true;
    else if (!bad && !b.is_all())
      dst = b;
    if (bad) {
      add_error(policy, line, 1, err, line_text(line));
      continue;
    }
    e.selector.families.reset();
    e.selector.families.set(sel->src->getText().find(':') == std::string::npos ? 0 : 1);
    for (std::size_t i = 0; i < sel->field.size(); ++i) {
      std::string key = sel->field[i]->getText();
      std::string value = i + 1 < sel->field.size() ? sel->field[i + 1]->getText() : "";
      if (key == "proto") {
        if (auto p = parse_protocol(value))
          e.selector.proto = proto_only(*p);
        else
          e.selector.unknowns.push_back(fmt::format("proto {}", value));
        ++i;
      } else if (key == "sport" || key == "dport") {
        PortSet ports;
        if (parse_port_value(value, ports, err)) {
          (key == "sport" ? sport : dport) = ports;
        } else {
          e.selector.unknowns.push_back(fmt::format("{} {}", key, value));
        }
        ++i;
      } else if (key == "dev") {
        e.selector.unknowns.push_back(fmt::format("dev {}: only packets on that interface", value));
        ++i;
      } else if (key == "type" || key == "code") {
        ++i;  // ICMP type/code: media is TCP/UDP
      } else {
        e.selector.unknowns.push_back(fmt::format("selector field '{}'", key));
      }
    }
    std::string direction = dir->dir->getText();
    if (dir->kind->getType() == XfrmLexer::SOCKET || direction == "fwd") {
      e.installed = false;
      e.not_installed_why =
          dir->kind->getType() == XfrmLexer::SOCKET ? "a per-socket policy" : "dir fwd concerns forwarded traffic";
    } else if (direction == "in") {
      e.selector.outbound = false;
      e.selector.remote_addr = src;
      e.selector.remote_port = sport;
      e.selector.local_addr = dst;
      e.selector.local_port = dport;
    } else if (direction == "out") {
      e.selector.inbound = false;
      e.selector.local_addr = src;
      e.selector.local_port = sport;
      e.selector.remote_addr = dst;
      e.selector.remote_port = dport;
    } else {
      add_error(policy, static_cast<int>(dir->getStart()->getLine()), 1,
                fmt::format("unknown direction '{}' (expected in, out or fwd)", direction), line_text(line));
      continue;
    }
    long long priority = 0;
    std::string action = "allow";
    for (std::size_t i = 0; i < dir->attr.size(); ++i) {
      std::string key = dir->attr[i]->getText();
      if (key == "priority" && i + 1 < dir->attr.size()) {
        try {
          priority = std::stoll(dir->attr[i + 1]->getText());
        } catch (...) {
          e.selector.unknowns.push_back("priority " + dir->attr[i + 1]->getText());
        }
        ++i;
      } else if (key == "action" && i + 1 < dir->attr.size()) {
        action = dir->attr[++i]->getText();
      }
    }
    int templates = 0, optional_templates = 0;
    for (auto* d : pol->detail()) {
      if (d->TMPL()) ++templates;
      if (templates > 0 && d->getText().find("leveluse") != std::string::npos) ++optional_templates;
    }
    if (action == "block") {
      e.action = IpsecAction::Discard;
      e.action_label = "action block";
    } else if (templates == 0) {
      e.action = IpsecAction::Bypass;
      e.action_label = "no template (bypass)";
    } else {
      e.action = IpsecAction::Protect;
      e.action_label = optional_templates >= templates ? "templates, level use" : "templates (IPsec required)";
    }
    e.rank = {priority};
    policy.entries.push_back(std::move(e));
  }
}

}  // namespace
}  // namespace fwm::ipsec
