#include "cli/cli.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>

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

// The report formats of each subcommand (also listed by the man page and completions).
const std::vector<std::string> kCheckReports = {"text", "sarif", "json", "markdown", "html"};
const std::vector<std::string> kDiffReports = {"text", "json", "markdown", "sarif"};

// --report FORMAT[=FILE] (repeatable) and -o FILE, in command-line order: `-o FILE` is
// the file of the --report before it (of the one after it when none came before; of the
// text report when there is no --report). Returns an error message, empty when fine.
std::string resolve_outputs(const CLI::App* sub, const CLI::Option* report_opt, const CLI::Option* output_opt,
                            const std::vector<std::string>& reports, const std::vector<std::string>& files,
                            const std::vector<std::string>& formats, std::vector<OutputSpec>& out) {
  std::size_t ri = 0, oi = 0;
  std::optional<std::string> pending;  // -o before any --report
  std::vector<bool> has_file;          // per output: a file given (=FILE or -o)
  for (const CLI::Option* opt : sub->parse_order()) {
    if (opt == report_opt && ri < reports.size()) {
      const std::string& value = reports[ri++];
      auto eq = value.find('=');
      OutputSpec spec{value.substr(0, eq), eq == std::string::npos ? "" : value.substr(eq + 1)};
      if (std::find(formats.begin(), formats.end(), spec.format) == formats.end())
        return fmt::format("--report {}: unknown report format '{}' (known: {})", value, spec.format,
                           fmt::join(formats, ", "));
      if (eq != std::string::npos && spec.path.empty())
        return fmt::format("--report {}: the file name is missing", value);
      bool given = eq != std::string::npos;
      if (!given && pending) {
        spec.path = *pending;
        pending.reset();
        given = true;
      }
      out.push_back(spec);
      has_file.push_back(given);
    } else if (opt == output_opt && oi < files.size()) {
      const std::string& file = files[oi++];
      if (out.empty()) {
        if (pending) return fmt::format("-o {}: a second -o before any --report", file);
        pending = file;
      } else if (has_file.back()) {
        return fmt::format("-o {}: the --report {} before it already has a file", file, out.back().format);
      } else {
        out.back().path = file;
        has_file.back() = true;
      }
    }
  }
  if (pending) out.push_back({"text", *pending});
  if (out.empty()) out.push_back({"text", ""});
  std::size_t to_stdout = 0;
  std::set<std::string> paths;
  for (const auto& o : out) {
    if (o.to_stdout()) {
      if (++to_stdout > 1)
        return "only one report can go to standard output: give the others a file (--report FORMAT=FILE or -o FILE)";
    } else if (!paths.insert(o.path).second) {
      return fmt::format("two reports would be written to {}", o.path);
    }
  }
  return {};
}

// All subcommands and their options; run_cli parses into `args`.
struct CliArgs {
  CLI::App app{"fwmatrix: static analysis of firewall configurations against a product's port matrix"};
  CLI::App *c = nullptr, *p = nullptr, *e = nullptr, *m = nullptr, *ms = nullptr, *d = nullptr, *r = nullptr,
           *f = nullptr;
  CLI::Option *pack_opt = nullptr, *fail_on_opt = nullptr, *check_report_opt = nullptr, *check_output_opt = nullptr,
              *diff_report_opt = nullptr, *diff_output_opt = nullptr;
  CheckArgs check;
  std::vector<std::string> check_roles, check_reports, check_outputs;
  LimitFlags check_limits;
  PathArgs ports, explain;
  LimitFlags ports_limits, explain_limits;
  MatrixArgs matrix;
  std::vector<std::string> matrix_roles;
  DiffArgs diff;
  std::vector<std::string> diff_roles, diff_reports, diff_outputs;
  LimitFlags diff_limits;
  std::string rule_id;
  FixArgs fix;
  std::vector<std::string> fix_roles;
  LimitFlags fix_limits;
};

// Defines the command line: every subcommand and option, bound to `x`'s fields.
void define_cli(CliArgs& x) {
  CLI::App& app = x.app;
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", fmt::format("fwmatrix {} ({})", FWM_VERSION, build_commit()));
  std::string formats_help =
      fmt::format("input format (default: detected from content): {}", fmt::join(known_formats(), ", "));
  // --report FORMAT[=FILE] and -o FILE: repeatable, one value each.
  auto one_each = [](CLI::Option* o) {
    return o->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  };
  const char* stdin_help = " (- reads standard input)";

  CheckArgs& check = x.check;
  auto* c = x.c = app.add_subcommand("check", "check configs against the rule pack and report findings");
  c->add_option("files", check.files, std::string("config files") + stdin_help)->required();
  c->add_option("--format", check.format, formats_help);
  c->add_option("--profile", check.profile, "Windows Firewall: analyse only this profile (Domain, Private, Public)");
  x.pack_opt = c->add_option("--pack", check.pack, "rule pack name or path (default sfb2015)");
  c->add_option("--config", check.config, "settings file (default: .fwmatrix.yaml found upward from the first file)");
  c->add_flag("--no-config", check.no_config, "ignore .fwmatrix.yaml");
  c->add_flag("--allow-outside", check.allow_outside,
              "read include, anchor and table files outside the input file's directory tree");
  c->add_option("--rules-dir", check.rules_dir, "directory of rule packs (also $FWMATRIX_RULES)");
  c->add_option("--role", x.check_roles, "roles the protected host holds, comma separated (e.g. front-end)");
  c->add_option("--topology", check.topology, "topology file (roles to addresses, networks)");
  c->add_option("--ipsec", check.ipsec, "IPsec policy file (repeatable)");
  c->add_option("--lb-mode", check.lb_mode, "load balancing of the pools: hardware or dns (default from the pack)")
      ->check(CLI::IsMember({"hardware", "dns"}));
  x.check_report_opt =
      one_each(c->add_option("--report", x.check_reports,
                             fmt::format("report format, to stdout or to FILE (repeatable; default text): {}",
                                         fmt::join(kCheckReports, ", "))));
  x.check_report_opt->type_name("FORMAT[=FILE]");
  x.check_output_opt = one_each(c->add_option("-o,--output", x.check_outputs,
                                              "write the --report given before it (or the text report) to this file"));
  x.fail_on_opt = c->add_option("--fail-on", check.fail_on,
                                "exit 1 when findings at or above this level exist: error, warning, note, none")
                      ->check(CLI::IsMember({"error", "warning", "note", "none"}));
  c->add_option("--category", check.category, "SARIF automationDetails.id: the code scanning category of this run");
  c->add_option("--baseline", check.baseline, "earlier SARIF: matching results are 'unchanged' and do not fail");
  c->add_flag("--new-only", check.new_only, "report only the findings that are new against --baseline");
  c->add_flag("-q,--quiet", check.quiet, "print only findings and errors: no notes, no summary line");
  x.check_limits.add_to(c);

  PathArgs& ports = x.ports;
  auto* p = x.p = app.add_subcommand(
      "ports",
      "list the destination ports accepted on a path. Without --src, --dst, --sport or --iface a port is listed "
      "only if it is accepted whatever those fields are (any source, destination, source port and interface).");
  p->add_option("file", ports.file, std::string("config file") + stdin_help)->required();
  p->add_option("--format", ports.format, formats_help);
  p->add_option("--profile", ports.profile, "Windows Firewall profile: Domain, Private or Public (default: the first)");
  p->add_option("--proto", ports.proto, "tcp or udp (default: both)")->check(CLI::IsMember({"tcp", "udp"}));
  p->add_option("--src", ports.src, "source address or CIDR");
  p->add_option("--dst", ports.dst, "destination address or CIDR");
  p->add_option("--sport", ports.sport, "source port");
  p->add_option("--iface", ports.iface, "interface the packet arrives on (leaves through, for out)");
  p->add_option("--direction", ports.direction, "in (default), out or forward")
      ->check(CLI::IsMember({"in", "out", "forward"}));
  p->add_flag("--allow-outside", ports.allow_outside,
              "read include, anchor and table files outside the input file's directory tree");
  p->add_flag("--json", ports.json, "print {\"tcp\": [[lo,hi],...], \"udp\": [...]}");
  x.ports_limits.add_to(p);

  PathArgs& explain = x.explain;
  auto* e = x.e = app.add_subcommand("explain", "show which rule decides each part of a packet region");
  e->add_option("file", explain.file, std::string("config file") + stdin_help)->required();
  e->add_option("--format", explain.format, formats_help);
  e->add_option("--profile", explain.profile,
                "Windows Firewall profile: Domain, Private or Public (default: the first)");
  e->add_flag("--allow-outside", explain.allow_outside,
              "read include, anchor and table files outside the input file's directory tree");
  e->add_option("--proto", explain.proto, "protocol (tcp, udp, ...)")->required();
  e->add_option("--dport", explain.dport, "destination port or range lo-hi")->required();
  e->add_option("--src", explain.src, "source address or CIDR");
  e->add_option("--dst", explain.dst, "destination address or CIDR");
  e->add_option("--sport", explain.sport, "source port");
  e->add_option("--iface", explain.iface, "interface");
  e->add_option("--direction", explain.direction, "in (default), out or forward")
      ->check(CLI::IsMember({"in", "out", "forward"}));
  x.explain_limits.add_to(e);

  MatrixArgs& matrix = x.matrix;
  auto* m = x.m = app.add_subcommand("matrix", "show the rule pack's requirements");
  auto* ms = x.ms = m->add_subcommand("show", "print the normalized requirements");
  m->require_subcommand(1);
  ms->add_option("--pack", matrix.pack, "rule pack name or path (default sfb2015)");
  ms->add_option("--rules-dir", matrix.rules_dir, "directory of rule packs");
  ms->add_option("--role", x.matrix_roles, "only the requirements of these roles (implied roles included)");
  ms->add_option("--lb-mode", matrix.lb_mode, "hardware or dns")->check(CLI::IsMember({"hardware", "dns"}));
  ms->add_flag("--json", matrix.json, "one JSON object per (requirement, protocol, port interval)");

  DiffArgs& diff = x.diff;
  auto* d = x.d =
      app.add_subcommand("diff", "the semantic difference of two versions of a ruleset (same or different formats)");
  d->add_option("old", diff.old_file, std::string("the ruleset before the change") + stdin_help)->required();
  d->add_option("new", diff.new_file, std::string("the ruleset after the change") + stdin_help)->required();
  d->add_option("--format", diff.format_new, "format of both files (default: detected)");
  d->add_option("--old-format", diff.format_old, "format of OLD when it differs");
  d->add_option("--pack", diff.pack, "rule pack name or path (default sfb2015)");
  d->add_option("--rules-dir", diff.rules_dir, "directory of rule packs");
  d->add_option("--role", x.diff_roles, "roles the protected host holds: also compare requirement status");
  d->add_option("--lb-mode", diff.lb_mode, "hardware or dns")->check(CLI::IsMember({"hardware", "dns"}));
  x.diff_report_opt = one_each(d->add_option(
      "--report", x.diff_reports,
      fmt::format("report format, to stdout or to FILE (repeatable; default text; sarif with baselineState): {}",
                  fmt::join(kDiffReports, ", "))));
  x.diff_report_opt->type_name("FORMAT[=FILE]");
  x.diff_output_opt = one_each(d->add_option("-o,--output", x.diff_outputs,
                                             "write the --report given before it (or the text report) to this file"));
  d->add_option("--fail-on", diff.fail_on,
                "exit 1 when NEW adds findings at or above this level (error, warning, note) or a requirement gets "
                "worse; none: never. Default: a requirement worse, a new error, exposure (FWM021) or gap (FWM002)")
      ->check(CLI::IsMember({"error", "warning", "note", "none"}));
  d->add_flag("-q,--quiet", diff.quiet, "print only the changes and errors: no notes, no summary line");
  x.diff_limits.add_to(d);

  FixArgs& fix = x.fix;
  auto* f = x.f = app.add_subcommand(
      "fix",
      "write the config with the smallest edit, in its own syntax, that closes every FWM001 gap of the roles; the "
      "result is checked again (exit 0: it passes, 1: a gap cannot be closed by an edit of this file, 2: usage)");
  f->add_option("files", fix.files, "config files")->required();
  f->add_option("--format", fix.format, formats_help + " (fixes: iptables, nftables, pf, Windows scripts)");
  f->add_option("--pack", fix.pack, "rule pack name or path (default sfb2015)");
  f->add_option("--rules-dir", fix.rules_dir, "directory of rule packs (also $FWMATRIX_RULES)");
  f->add_option("--role", x.fix_roles, "roles the protected host holds, comma separated (e.g. front-end)");
  f->add_option("--topology", fix.topology, "topology file (roles to addresses, networks)");
  f->add_option("--ipsec", fix.ipsec, "IPsec policy whose missing media exemptions (FWM010) to write (not yet: exit 1)");
  f->add_option("--lb-mode", fix.lb_mode, "load balancing of the pools: hardware or dns (default from the pack)")
      ->check(CLI::IsMember({"hardware", "dns"}));
  f->add_option("-o,--output", fix.output, "write the fixed config (or the diff) to this file (default: stdout)");
  f->add_flag("--in-place", fix.in_place, "rewrite each file with its fix (only when the fix passes)");
  f->add_flag("--diff", fix.diff, "print a unified diff (patch -p0) instead of the fixed config");
  f->add_flag("--allow-outside", fix.allow_outside,
              "read include, anchor and table files outside the input file's directory tree");
  f->add_flag("-q,--quiet", fix.quiet, "print only errors on stderr");
  x.fix_limits.add_to(f);

  auto* r = x.r = app.add_subcommand("rules", "list the result ids, or show the doc page of one");
  r->add_option("id", x.rule_id, "result id, e.g. FWM001");
}

}  // namespace

std::vector<CliCommandInfo> cli_commands() {
  auto x = std::make_unique<CliArgs>();
  define_cli(*x);
  std::vector<CliCommandInfo> out;
  auto describe = [&out](const CLI::App* sub, const std::string& name) {
    CliCommandInfo info;
    info.name = name;
    for (const CLI::Option* o : sub->get_options()) {
      if (o->get_positional()) {
        info.positionals.push_back(o->get_name());
        continue;
      }
      if (o == sub->get_help_ptr()) continue;
      for (const auto& s : o->get_snames()) info.flags.push_back("-" + s);
      for (const auto& l : o->get_lnames()) info.flags.push_back("--" + l);
    }
    out.push_back(std::move(info));
  };
  describe(x->c, "check");
  describe(x->p, "ports");
  describe(x->e, "explain");
  describe(x->ms, "matrix show");
  describe(x->d, "diff");
  describe(x->r, "rules");
  describe(x->f, "fix");
  return out;
}

const std::vector<std::string>& check_report_formats() { return kCheckReports; }
const std::vector<std::string>& diff_report_formats() { return kDiffReports; }

int run_cli(int argc, char** argv) {
  auto x = std::make_unique<CliArgs>();
  define_cli(*x);
  try {
    x->app.parse(argc, argv);
  } catch (const CLI::ParseError& err) {
    int code = x->app.exit(err);
    return code == 0 ? 0 : 2;
  }
  auto usage_error = [](const std::string& message) {
    fmt::print(stderr, "fwmatrix: {}\nRun with --help for more information.\n", message);
    return 2;
  };
  if (x->c->parsed()) {
    CheckArgs& check = x->check;
    check.roles = split_commas(x->check_roles);
    check.pack_given = x->pack_opt->count() > 0;
    check.fail_on_given = x->fail_on_opt->count() > 0;
    x->check_limits.apply(check.limits, &check.limits_given);
    if (auto err = resolve_outputs(x->c, x->check_report_opt, x->check_output_opt, x->check_reports, x->check_outputs,
                                   kCheckReports, check.outputs);
        !err.empty())
      return usage_error(err);
    if (check.new_only && check.baseline.empty()) return usage_error("--new-only needs --baseline");
    if (std::count(check.files.begin(), check.files.end(), "-") > 1)
      return usage_error("- (standard input) given more than once");
    return cmd_check(check);
  }
  if (x->p->parsed()) {
    x->ports_limits.apply(x->ports.limits);
    return cmd_ports(x->ports);
  }
  if (x->e->parsed()) {
    x->explain_limits.apply(x->explain.limits);
    return cmd_explain(x->explain);
  }
  if (x->ms->parsed()) {
    x->matrix.roles = split_commas(x->matrix_roles);
    return cmd_matrix_show(x->matrix);
  }
  if (x->r->parsed()) return cmd_rules(x->rule_id);
  if (x->f->parsed()) {
    x->fix.roles = split_commas(x->fix_roles);
    x->fix_limits.apply(x->fix.limits);
    return cmd_fix(x->fix);
  }
  if (x->d->parsed()) {
    DiffArgs& diff = x->diff;
    diff.roles = split_commas(x->diff_roles);
    if (diff.format_old.empty()) diff.format_old = diff.format_new;
    x->diff_limits.apply(diff.limits);
    if (auto err = resolve_outputs(x->d, x->diff_report_opt, x->diff_output_opt, x->diff_reports, x->diff_outputs,
                                   kDiffReports, diff.outputs);
        !err.empty())
      return usage_error(err);
    if (diff.old_file == "-" && diff.new_file == "-") return usage_error("- (standard input) given for OLD and NEW");
    return cmd_diff(diff);
  }
  fmt::print("{}", x->app.help());
  return 2;
}

}  // namespace fwm
