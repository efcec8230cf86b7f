#include "fix/writer_support.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>

namespace fwm::fix {

const Chain* decider_chain(const Ruleset& rs, const Decider& d) {
  if (d.rule) return &rs.chains[static_cast<std::size_t>(d.rule->chain)];
  return d.policy;
}

std::vector<RuleGroup> group_parts(const WriterInput& in, std::vector<std::string>& problems) {
  std::vector<RuleGroup> groups;
  std::map<std::string, std::size_t> index;
  auto add = [&](const DeniedPart& p, const PortSet& ports, bool trusted) {
    if (ports.empty()) return;
    std::vector<std::string> src, dst;
    if (p.network) {
      // The cut addresses, or the span from the first to the last of them when they take
      // too many prefixes (a few holes, such as the path's own destinations, are let in:
      // they are addresses of the path's networks).
      auto hull = [&p](const AddrIntervals& set) {
        auto exact = prefixes_of(p.family, set);
        if (exact || set.empty()) return exact;
        return prefixes_of(p.family, AddrIntervals(set.intervals().front().lo, set.intervals().back().hi));
      };
      auto s = hull(p.sources);
      auto d = hull(p.destinations);
      if (!s || !d) {
        problems.push_back(fmt::format("{} {} from {} to {}: the denied addresses take more than 8 prefixes ({} -> {})",
                                       proto_name(p.protocol), format_ports(p.ports), p.source_label,
                                       p.destination_label, format_addr_intervals(p.family, p.sources),
                                       format_addr_intervals(p.family, p.destinations)));
        return;
      }
      src = *s;
      dst = *d;
    }
    // Rules or policies in ruleset order: the key starts with where the decider is.
    std::string key = fmt::format("{}|{}|{}|{}|{}|{}|{}", static_cast<const void*>(p.decider.rule),
                                  static_cast<const void*>(p.decider.policy), p.protocol, trusted, p.reply,
                                  fmt::join(src, ","), fmt::join(dst, ","));
    if (p.network) key += family_name(p.family);
    key += direction_name(p.requirement->direction);
    auto [it, added] = index.try_emplace(key, groups.size());
    if (added) {
      RuleGroup g;
      g.decider = p.decider;
      g.protocol = p.protocol;
      g.trusted_only = trusted;
      g.network = p.network;
      g.reply = p.reply;
      g.direction = p.requirement->direction;
      groups.push_back(std::move(g));
    }
    RuleGroup& g = groups[it->second];
    g.ports.add(ports);
    if (std::find(g.families.begin(), g.families.end(), p.family) == g.families.end()) {
      g.families.push_back(p.family);
      std::sort(g.families.begin(), g.families.end());
    }
    auto f = static_cast<std::size_t>(p.family);
    if (p.network) {
      g.sources[f] = src;
      g.destinations[f] = dst;
    }
    Target t = p.target();
    if (std::find(g.serves.begin(), g.serves.end(), t) == g.serves.end()) g.serves.push_back(t);
  };
  for (const auto& original : in.parts) {
    const DeniedPart* part = &original;
    DeniedPart rewritten;
    if (original.network) {
      // A destination rewritten (DNAT) before the deciding chain: the accept names the new
      // address, when every rewrite the part meets gives the same one and keeps the ports.
      std::optional<AddrIntervals> to;
      bool unclear = false;
      for (const auto& chain : in.rs.chains)
        for (const auto& r : chain.rules) {
          if (r.action.kind != ActionKind::Rewrite || !r.action.new_daddr) continue;
          const Match& m = r.match;
          if (m.proto && !m.proto->test(static_cast<std::size_t>(original.protocol))) continue;
          if (!m.families.test(static_cast<std::size_t>(original.family))) continue;
          if (m.dport && m.dport->intersect(original.ports).empty()) continue;
          if (m.dst && m.dst->of(original.family).intersect(original.destinations).empty()) continue;
          const AddrIntervals& target = r.action.new_daddr->of(original.family);
          bool covers = (!m.dport || original.ports.subtract(*m.dport).empty()) &&
                        (!m.dst || original.destinations.subtract(m.dst->of(original.family)).empty());
          if (!covers || (r.action.new_dport && *r.action.new_dport != original.ports) || target.empty() ||
              (to && *to != target))
            unclear = true;
          to = target;
        }
      if (unclear) {
        problems.push_back(fmt::format(
            "{} {} from {} to {}: the destination is rewritten (DNAT) in more than one way before the deciding chain; "
            "fwmatrix cannot name the rewritten destination in an accept rule",
            proto_name(original.protocol), format_ports(original.ports), original.source_label,
            original.destination_label));
        continue;
      }
      if (to) {
        rewritten = original;
        rewritten.destinations = *to;
        part = &rewritten;
      }
    }
    const DeniedPart& p = *part;
    if (p.network) {
      add(p, p.ports, false);
      continue;
    }
    PortSet sensitive = p.ports.intersect(sensitive_ports(in.pack, p.protocol));
    add(p, p.ports.subtract(sensitive), false);
    add(p, sensitive, true);
  }
  // In the order of the deciders in the file (the writers insert in that order).
  std::stable_sort(groups.begin(), groups.end(), [&in](const RuleGroup& a, const RuleGroup& b) {
    auto where = [&in](const RuleGroup& g) {
      if (g.decider.rule) return std::make_tuple(0, g.decider.rule->chain, g.decider.rule->index);
      const Chain* c = g.decider.policy;
      return std::make_tuple(1, c ? static_cast<int>(c - in.rs.chains.data()) : 0, 0);
    };
    return std::make_tuple(where(a), a.protocol) < std::make_tuple(where(b), b.protocol);
  });
  return groups;
}

void merge_tcp_and_udp(std::vector<RuleGroup>& groups) {
  std::vector<bool> gone(groups.size(), false);
  for (std::size_t i = 0; i < groups.size(); ++i) {
    RuleGroup& g = groups[i];
    if (gone[i] || g.protocol != kProtoTcp || g.network || g.reply) continue;
    for (std::size_t j = 0; j < groups.size(); ++j) {
      const RuleGroup& h = groups[j];
      if (gone[j] || h.protocol != kProtoUdp || h.network || h.reply || !(h.decider == g.decider) ||
          h.ports != g.ports || h.trusted_only != g.trusted_only || h.families != g.families ||
          h.direction != g.direction)
        continue;
      g.tcp_and_udp = true;
      for (const auto& t : h.serves)
        if (std::find(g.serves.begin(), g.serves.end(), t) == g.serves.end()) g.serves.push_back(t);
      gone[j] = true;
      break;
    }
  }
  std::vector<RuleGroup> kept;
  for (std::size_t i = 0; i < groups.size(); ++i)
    if (!gone[i]) kept.push_back(std::move(groups[i]));
  groups = std::move(kept);
}

std::vector<PortSet> port_chunks(const PortSet& ports, std::size_t max_slots, std::size_t range_slots) {
  std::vector<PortSet> out;
  PortSet current;
  std::size_t used = 0;
  for (const auto& iv : ports.intervals()) {
    std::size_t cost = iv.lo == iv.hi ? 1 : range_slots;
    if (used + cost > max_slots) {
      out.push_back(current);
      current = PortSet();
      used = 0;
    }
    current.add(iv.lo, iv.hi);
    used += cost;
  }
  if (!current.empty()) out.push_back(current);
  return out;
}

std::string indentation(const std::string& line) {
  return line.substr(0,
                     line.find_first_not_of(" \t") == std::string::npos ? line.size() : line.find_first_not_of(" \t"));
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r')) ++i;
    if (i >= text.size()) break;
    std::size_t start = i;
    if (text[i] == '"') {
      std::size_t end = text.find('"', i + 1);
      i = end == std::string::npos ? text.size() : end + 1;
    } else if (text[i] == '{') {
      std::size_t end = text.find('}', i + 1);
      i = end == std::string::npos ? text.size() : end + 1;
    } else {
      while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != '\r') ++i;
    }
    out.push_back(text.substr(start, i - start));
  }
  return out;
}

std::string line_ending(const std::string& line) { return !line.empty() && line.back() == '\r' ? "\r" : ""; }

}  // namespace fwm::fix
