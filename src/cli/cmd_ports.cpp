// `ports` and `explain`: the accepted destination ports of a path, and which rule decides
// each part of a packet region.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "checks/check.h"
#include "cli/commands.h"
#include "eval/evaluator.h"
#include "frontends/frontend.h"
#include "ir/services.h"

namespace fwm {

namespace {

Direction parse_direction(const std::string& d) {
  if (d == "out") return Direction::Out;
  if (d == "forward") return Direction::Forward;
  return Direction::In;
}

bool parse_port_range(const std::string& text, PortSet& out, std::string& error) {
  auto dash = text.find_first_of("-:");
  auto a = parse_port(text.substr(0, dash));
  auto b = dash == std::string::npos ? a : parse_port(text.substr(dash + 1));
  if (!a.ok() || !b.ok() || a.value > b.value) {
    error = !a.ok() ? a.error : !b.ok() ? b.error : fmt::format("invalid port range '{}'", text);
    return false;
  }
  out = PortSet(a.value, b.value);
  return true;
}

struct Loaded {
  std::unique_ptr<Ruleset> rs;
  int code = 0;
};

Loaded load_for_path(const PathArgs& a) {
  Loaded l;
  auto res = load_input(a.file, {a.format, a.profile, a.allow_outside, a.limits});
  if (!res.ruleset) {
    fmt::print(stderr, "fwmatrix: {}\n", res.error);
    l.code = 2;
    return l;
  }
  for (const auto& d : res.ruleset->diagnostics)
    if (d.id == "FWM090")
      fmt::print(stderr, "{}:{}:{}: error FWM090: {}\n", d.span.file, d.span.line, d.span.column, d.message);
  l.rs = std::move(res.ruleset);
  return l;
}

}  // namespace

std::string build_path_query(const Ruleset& rs, const PathArgs& a, Family f, Box& box, bool& family_matches) {
  box = Box::everything(f, rs.ifaces.size());
  family_matches = true;
  for (const auto* addr : {&a.src, &a.dst}) {
    if (addr->empty()) continue;
    auto parsed = parse_address_expr(*addr);
    if (!parsed.ok()) return parsed.error;
    if (parsed.set.of(f).empty()) {
      family_matches = false;
      continue;
    }
    (addr == &a.src ? box.src : box.dst) = parsed.set.of(f);
  }
  if (!a.sport.empty()) {
    std::string err;
    if (!parse_port_range(a.sport, box.sport, err)) return err;
  }
  if (!a.dport.empty()) {
    std::string err;
    if (!parse_port_range(a.dport, box.dport, err)) return err;
  }
  if (!a.iface.empty()) {
    IfaceSet only;
    only.set(rs.ifaces.classify(a.iface));
    if (parse_direction(a.direction) == Direction::Out) {
      box.out_iface = only;
    } else {
      box.in_iface = only;
    }
  }
  return {};
}

namespace {

// One family's answer to a `ports`/`explain` query.
struct PathEval {
  Family family;
  const Pipeline* pipeline = nullptr;  // null: the ruleset has no chain on this path
  Box query;
  EvalResult result;
};

// Evaluates the query of `a` for protocol `proto` on every family the ruleset covers and
// the addresses allow. Returns an error message for bad arguments.
std::string evaluate_paths(const Ruleset& rs, const PathArgs& a, int proto, std::vector<PathEval>& out) {
  Direction dir = parse_direction(a.direction);
  for (Family f : {Family::V4, Family::V6}) {
    if (!rs.covers(f)) continue;
    PathEval e;
    e.family = f;
    bool family_matches = true;
    if (auto err = build_path_query(rs, a, f, e.query, family_matches); !err.empty()) return err;
    if (!family_matches) continue;
    e.query.proto = proto_only(proto);
    e.pipeline = rs.pipeline(f, dir);
    if (e.pipeline) e.result = evaluate_within(rs, *e.pipeline, e.query, a.limits);
    out.push_back(std::move(e));
  }
  return {};
}

}  // namespace

int cmd_ports(const PathArgs& a) {
  Loaded l = load_for_path(a);
  if (!l.rs) return l.code;
  const Ruleset& rs = *l.rs;
  std::vector<int> protos;
  if (a.proto.empty() || a.proto == "tcp") protos.push_back(kProtoTcp);
  if (a.proto.empty() || a.proto == "udp") protos.push_back(kProtoUdp);
  nlohmann::ordered_json j;
  std::string text;
  for (int proto : protos) {
    std::vector<PathEval> evals;
    if (auto err = evaluate_paths(rs, a, proto, evals); !err.empty()) {
      fmt::print(stderr, "fwmatrix: {}\n", err);
      return 2;
    }
    std::vector<Piece> pieces;
    bool any_family = false;
    for (auto& e : evals) {
      if (!e.pipeline) continue;
      any_family = true;
      pieces.insert(pieces.end(), e.result.pieces.begin(), e.result.pieces.end());
      for (const auto& pr : e.result.problems) fmt::print(stderr, "fwmatrix: {}\n", pr);
    }
    PortVerdicts verdicts = port_verdicts(pieces, any_family ? all_ports() : PortSet());
    const PortSet& accepted = verdicts.accepted;
    const PortSet& unknown = verdicts.undetermined;
    std::string name = proto_name(proto);
    auto to_json = [](const PortSet& s) {
      auto arr = nlohmann::ordered_json::array();
      for (const auto& iv : s.intervals()) arr.push_back({iv.lo, iv.hi});
      return arr;
    };
    j[name] = to_json(accepted);
    if (!unknown.empty()) j["undetermined_" + name] = to_json(unknown);
    text += fmt::format("{}: {}\n", name, accepted.empty() ? "none" : format_ports(accepted, 1000));
    if (!unknown.empty()) text += fmt::format("{} undetermined: {}\n", name, format_ports(unknown, 1000));
  }
  if (a.json) {
    // Undetermined keys follow the accepted ones.
    nlohmann::ordered_json out;
    for (auto& [k, v] : j.items())
      if (k.rfind("undetermined_", 0) != 0) out[k] = v;
    for (auto& [k, v] : j.items())
      if (k.rfind("undetermined_", 0) == 0) out[k] = v;
    fmt::print("{}\n", out.dump());
  } else {
    fmt::print("{}", text);
  }
  return 0;
}

int cmd_explain(const PathArgs& a) {
  Loaded l = load_for_path(a);
  if (!l.rs) return l.code;
  const Ruleset& rs = *l.rs;
  auto proto = proto_number(a.proto);
  if (!proto) {
    fmt::print(stderr, "fwmatrix: unknown protocol '{}'\n", a.proto);
    return 2;
  }
  Direction dir = parse_direction(a.direction);
  std::vector<PathEval> evals;
  if (auto err = evaluate_paths(rs, a, *proto, evals); !err.empty()) {
    fmt::print(stderr, "fwmatrix: {}\n", err);
    return 2;
  }
  for (const auto& e : evals) {
    Family f = e.family;
    const Box& q = e.query;
    if (!e.pipeline) {
      fmt::print("{} {}: no chain filters this path: everything passes\n", family_name(f), direction_name(dir));
      continue;
    }
    const EvalResult& r = e.result;
    fmt::print("{} {} {} dport {} — {} piece{}:\n", family_name(f), direction_name(dir), a.proto,
               format_ports(q.dport), r.pieces.size(), r.pieces.size() == 1 ? "" : "s");
    for (const auto& piece : r.pieces) {
      std::vector<std::string> where;
      Box full = Box::everything(f, rs.ifaces.size());
      if (piece.box.dport != q.dport) where.push_back("dport " + format_ports(piece.box.dport));
      if (piece.box.src != full.src) where.push_back("from " + format_addr_intervals(f, piece.box.src));
      if (piece.box.dst != full.dst) where.push_back("to " + format_addr_intervals(f, piece.box.dst));
      if (piece.box.sport != full.sport) where.push_back("sport " + format_ports(piece.box.sport));
      const IfaceSet& ifs = dir == Direction::Out ? piece.box.out_iface : piece.box.in_iface;
      const IfaceSet& all_ifs = dir == Direction::Out ? full.out_iface : full.in_iface;
      if (ifs != all_ifs) {
        std::vector<std::string> names;
        for (std::size_t i = 0; i < rs.ifaces.size(); ++i)
          if (ifs.test(i)) names.push_back(rs.ifaces.class_name(i));
        where.push_back("interface " + fmt::format("{}", fmt::join(names, "|")));
      }
      fmt::print("  {:<12} {}\n      decided by {}\n", verdict_name(piece.verdict),
                 where.empty() ? std::string("(the whole region)") : fmt::format("{}", fmt::join(where, ", ")),
                 decider_text(piece.decider));
      if (piece.verdict == Verdict::Undetermined && piece.uncertain_by && piece.uncertain_by != piece.decider.rule)
        fmt::print("      unknown condition in {}\n", decider_text(Decider{piece.uncertain_by, nullptr, {}}));
    }
    for (const auto& pr : r.problems) fmt::print("  problem: {}\n", pr);
  }
  if (evals.empty()) fmt::print("no path of this ruleset matches the query\n");
  return 0;
}

}  // namespace fwm
