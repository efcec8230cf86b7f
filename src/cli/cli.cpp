#include "cli/cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>

#include "cli/build_info.h"
#include "cli/commands.h"
#include "frontends/frontend.h"

namespace fwm {

namespace {
std::vector<std::string> split_commas(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (const auto& item : in) {
    std::size_t start = 0;
    while (start <= item.size()) {
      auto pos = item.find(',', start);
      std::string part = item.substr(start, pos == std::string::npos ? std::string::npos : pos - start);
      if (!part.empty()) out.push_back(part);
      if (pos == std::string::npos) break;
      start = pos + 1;
    }
  }
  return out;
}

// The --max-... options of the resource limits (util/limits.h), one per LimitSetting.
// Values are kept as text until the parse is over (sizes may carry a unit).
struct LimitFlags {
  std::map<std::string, std::string> text;  // LimitSetting::key -> value as given

  void add_to(CLI::App* sub) {
    Limits defaults;
    for (const auto& s : limit_settings()) {
      std::string& into = text[s.key];
      bool bytes = s.bytes;
      std::size_t d = defaults.*s.member;
      std::string shown = !bytes                            ? std::to_string(d)
                          : d % (std::size_t(1) << 30) == 0 ? fmt::format("{}G", d >> 30)
                          : d % (std::size_t(1) << 20) == 0 ? fmt::format("{}M", d >> 20)
                                                            : std::to_string(d);
      sub->add_option(s.flag, into, fmt::format("{} (default {}{})", s.help, shown, bytes ? "; K, M, G allowed" : ""))
          ->type_name(bytes ? "BYTES" : "N")
          ->check(CLI::Validator(
              [bytes](std::string& value) {
                std::size_t parsed = 0;
                return parse_limit_value(value, bytes, parsed);
              },
              ""));
    }
  }

  // Applies the given flags to `limits`; the keys of those given go to `given`.
  void apply(Limits& limits, std::vector<std::string>* given = nullptr) const {
    for (const auto& s : limit_settings()) {
      const std::string& value = text.at(s.key);
      if (value.empty()) continue;
      std::size_t parsed = 0;
      if (parse_limit_value(value, s.bytes, parsed).empty()) limits.*s.member = parsed;
      if (given) given->push_back(s.key);
    }
  }
};
}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"fwmatrix: static analysis of firewall configurations against a product's port matrix"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", fmt::format("fwmatrix {} ({})", FWM_VERSION, build_commit()));
  std::string formats_help = fmt::format("input format (default: detected from content): {}", fmt::join(known_formats(), ", "));

  CheckArgs check;
  std::vector<std::string> roles_raw;
  auto* c = app.add_subcommand("check", "check configs against the rule pack and report findings");
  c->add_option("files", check.files, "config files")->required();
  c->add_option("--format", check.format, formats_help);
  c->add_option("--profile", check.profile, "Windows Firewall: analyse only this profile (Domain, Private, Public)");
  auto* pack_opt = c->add_option("--pack", check.pack, "rule pack name or path (default sfb2015)");
  c->add_option("--config", check.config, "settings file (default: .fwmatrix.yaml found upward from the first file)");
  c->add_flag("--no-config", check.no_config, "ignore .fwmatrix.yaml");
  c->add_flag("--allow-outside", check.allow_outside, "read include, anchor and table files outside the input file's directory tree");
  c->add_option("--rules-dir", check.rules_dir, "directory of rule packs (also $FWMATRIX_RULES)");
  c->add_option("--role", roles_raw, "roles the protected host holds, comma separated (e.g. front-end)");
  c->add_option("--topology", check.topology, "topology file (roles to addresses, networks)");
  c->add_option("--ipsec", check.ipsec, "IPsec policy file (repeatable)");
  c->add_option("--lb-mode", check.lb_mode, "load balancing of the pools: hardware or dns (default from the pack)")
      ->check(CLI::IsMember({"hardware", "dns"}));
  c->add_option("--report", check.report, "output format: text, sarif, json, markdown, html")
      ->check(CLI::IsMember({"text", "sarif", "json", "markdown", "html"}));
  c->add_option("-o,--output", check.output, "write the report to this file instead of stdout");
  auto* fail_on_opt = c->add_option("--fail-on", check.fail_on, "exit 1 when findings at or above this level exist: error, warning, note, none")
      ->check(CLI::IsMember({"error", "warning", "note", "none"}));
  c->add_option("--category", check.category, "SARIF automationDetails.id: the code scanning category of this run");
  c->add_option("--baseline", check.baseline, "earlier SARIF: matching results are 'unchanged' and do not fail");
  LimitFlags check_limits;
  check_limits.add_to(c);

  PathArgs ports;
  auto* p = app.add_subcommand(
      "ports",
      "list the destination ports accepted on a path. Without --src, --dst, --sport or --iface a port is listed "
      "only if it is accepted whatever those fields are (any source, destination, source port and interface).");
  p->add_option("file", ports.file, "config file")->required();
  p->add_option("--format", ports.format, formats_help);
  p->add_option("--profile", ports.profile, "Windows Firewall profile: Domain, Private or Public (default: the first)");
  p->add_option("--proto", ports.proto, "tcp or udp (default: both)")->check(CLI::IsMember({"tcp", "udp"}));
  p->add_option("--src", ports.src, "source address or CIDR");
  p->add_option("--dst", ports.dst, "destination address or CIDR");
  p->add_option("--sport", ports.sport, "source port");
  p->add_option("--iface", ports.iface, "interface the packet arrives on (leaves through, for out)");
  p->add_option("--direction", ports.direction, "in (default), out or forward")
      ->check(CLI::IsMember({"in", "out", "forward"}));
  p->add_flag("--allow-outside", ports.allow_outside, "read include, anchor and table files outside the input file's directory tree");
  p->add_flag("--json", ports.json, "print {\"tcp\": [[lo,hi],...], \"udp\": [...]}");
  LimitFlags ports_limits;
  ports_limits.add_to(p);

  PathArgs explain;
  auto* e = app.add_subcommand("explain", "show which rule decides each part of a packet region");
  e->add_option("file", explain.file, "config file")->required();
  e->add_option("--format", explain.format, formats_help);
  e->add_option("--profile", explain.profile, "Windows Firewall profile: Domain, Private or Public (default: the first)");
  e->add_flag("--allow-outside", explain.allow_outside, "read include, anchor and table files outside the input file's directory tree");
  e->add_option("--proto", explain.proto, "protocol (tcp, udp, ...)")->required();
  e->add_option("--dport", explain.dport, "destination port or range lo-hi")->required();
  e->add_option("--src", explain.src, "source address or CIDR");
  e->add_option("--dst", explain.dst, "destination address or CIDR");
  e->add_option("--sport", explain.sport, "source port");
  e->add_option("--iface", explain.iface, "interface");
  e->add_option("--direction", explain.direction, "in (default), out or forward")
      ->check(CLI::IsMember({"in", "out", "forward"}));
  LimitFlags explain_limits;
  explain_limits.add_to(e);

  MatrixArgs matrix;
  std::vector<std::string> matrix_roles;
  auto* m = app.add_subcommand("matrix", "show the rule pack's requirements");
  auto* ms = m->add_subcommand("show", "print the normalized requirements");
  m->require_subcommand(1);
  ms->add_option("--pack", matrix.pack, "rule pack name or path (default sfb2015)");
  ms->add_option("--rules-dir", matrix.rules_dir, "directory of rule packs");
  ms->add_option("--role", matrix_roles, "only the requirements of these roles (implied roles included)");
  ms->add_option("--lb-mode", matrix.lb_mode, "hardware or dns")->check(CLI::IsMember({"hardware", "dns"}));
  ms->add_flag("--json", matrix.json, "one JSON object per (requirement, protocol, port interval)");

  DiffArgs diff;
  std::vector<std::string> diff_roles;
  auto* d = app.add_subcommand("diff", "the semantic difference of two versions of a ruleset (same or different formats)");
  d->add_option("old", diff.old_file, "the ruleset before the change")->required();
  d->add_option("new", diff.new_file, "the ruleset after the change")->required();
  d->add_option("--format", diff.format_new, "format of both files (default: detected)");
  d->add_option("--old-format", diff.format_old, "format of OLD when it differs");
  d->add_option("--pack", diff.pack, "rule pack name or path (default sfb2015)");
  d->add_option("--rules-dir", diff.rules_dir, "directory of rule packs");
  d->add_option("--role", diff_roles, "roles the protected host holds: also compare requirement status");
  d->add_option("--lb-mode", diff.lb_mode, "hardware or dns")->check(CLI::IsMember({"hardware", "dns"}));
  d->add_option("--report", diff.report, "text, json, markdown or sarif (with baselineState)")
      ->check(CLI::IsMember({"text", "sarif", "json", "markdown"}));
  d->add_option("-o,--output", diff.output, "write the report to this file");
  LimitFlags diff_limits;
  diff_limits.add_to(d);

  std::string rule_id;
  auto* r = app.add_subcommand("rules", "list the result ids, or show the doc page of one");
  r->add_option("id", rule_id, "result id, e.g. FWM001");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& err) {
    int code = app.exit(err);
    return code == 0 ? 0 : 2;
  }
  if (c->parsed()) {
    check.roles = split_commas(roles_raw);
    check.pack_given = pack_opt->count() > 0;
    check.fail_on_given = fail_on_opt->count() > 0;
    check_limits.apply(check.limits, &check.limits_given);
    return cmd_check(check);
  }
  if (p->parsed()) {
    ports_limits.apply(ports.limits);
    return cmd_ports(ports);
  }
  if (e->parsed()) {
    explain_limits.apply(explain.limits);
    return cmd_explain(explain);
  }
  if (ms->parsed()) {
    matrix.roles = split_commas(matrix_roles);
    return cmd_matrix_show(matrix);
  }
  if (r->parsed()) return cmd_rules(rule_id);
  if (d->parsed()) {
    diff.roles = split_commas(diff_roles);
    if (diff.format_old.empty()) diff.format_old = diff.format_new;
    diff_limits.apply(diff.limits);
    return cmd_diff(diff);
  }
  fmt::print("{}", app.help());
  return 2;
}

}  // namespace fwm
