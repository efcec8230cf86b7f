#include "matrix/topology.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "eval/evaluator.h"
#include "ir/services.h"

namespace fwm {

const TopologyRole* Topology::role(const std::string& id) const {
  for (const auto& r : roles)
    if (r.id == id) return &r;
  return nullptr;
}

std::optional<AddrSet> Topology::network(const std::string& name) const {
  if (auto it = networks.find(name); it != networks.end()) return it->second.addresses;
  if (name == "any" || name == "internet") return AddrSet::all();
  if (name == "internal" || name == "trusted") {
    for (const char* other : {"internal", "trusted"})
      if (auto it = networks.find(other); it != networks.end()) return it->second.addresses;
    return rfc1918_ula();
  }
  return std::nullopt;
}

std::optional<AddrSet> Topology::endpoint(const std::string& name, bool towards_role_from_outside,
                                          std::string& label) const {
  if (const TopologyRole* r = role(name)) {
    bool translated = towards_role_from_outside && (!r->public_addresses.v4.empty() || !r->public_addresses.v6.empty());
    label = translated ? fmt::format("{} {} (public address of {})", name, r->public_text, r->text)
                       : fmt::format("{} {}", name, r->text);
    return translated ? r->public_addresses : r->addresses;
  }
  auto it = networks.find(name);
  label = it != networks.end() ? fmt::format("{} ({})", name, it->second.text) : name;
  return network(name);
}

namespace {

struct TopologyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string at(const std::string& path, const YAML::Node& n) {
  auto m = n.Mark();
  if (m.line < 0) return path;
  return fmt::format("{}:{}:{}", path, m.line + 1, m.column + 1);
}

// A list of address expressions (or one string): hosts, CIDRs, ranges.
AddrSet addresses(const std::string& path, const YAML::Node& n, std::string& text) {
  AddrSet set;
  std::vector<std::string> parts;
  auto add = [&](const YAML::Node& item) {
    if (!item.IsScalar())
      throw TopologyError(fmt::format("{}: an address must be a string (host, CIDR or a-b)", at(path, item)));
    std::string s = item.as<std::string>();
    auto parsed = parse_address_expr(s);
    if (!parsed.ok()) throw TopologyError(fmt::format("{}: invalid address '{}': {}", at(path, item), s, parsed.error));
    set = set.unite(parsed.set);
    parts.push_back(s);
  };
  if (n.IsSequence()) {
    for (const auto& item : n) add(item);
  } else {
    add(n);
  }
  if (parts.empty()) throw TopologyError(fmt::format("{}: empty address list", at(path, n)));
  text = fmt::format("{}", fmt::join(parts, ", "));
  return set;
}

void only_keys(const std::string& path, const YAML::Node& map, const std::set<std::string>& known, const char* what) {
  for (const auto& kv : map) {
    std::string key = kv.first.as<std::string>();
    if (!known.count(key))
      throw TopologyError(
          fmt::format("{}: unknown {} key '{}' (known: {})", at(path, kv.first), what, key, fmt::join(known, ", ")));
  }
}

}  // namespace

TopologyLoad load_topology_file(const std::string& path, const Pack* pack) {
  TopologyLoad res;
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (!root.IsMap())
      throw TopologyError(fmt::format("{}: a topology file is a mapping (roles:, networks:, ...)", at(path, root)));
    only_keys(path, root, {"roles", "networks", "interfaces", "lb_mode", "pack", "media"}, "top-level");
    Topology t;
    t.path = path;
    if (auto n = root["pack"]) t.pack = n.as<std::string>();
    if (auto n = root["lb_mode"]) {
      t.lb_mode = n.as<std::string>();
      if (t.lb_mode != "hardware" && t.lb_mode != "dns")
        throw TopologyError(fmt::format("{}: lb_mode must be hardware or dns, not '{}'", at(path, n), t.lb_mode));
    }
    if (auto nets = root["networks"]) {
      if (!nets.IsMap()) throw TopologyError(fmt::format("{}: 'networks' maps a name to addresses", at(path, nets)));
      for (const auto& kv : nets) {
        TopologyNetwork net;
        net.name = kv.first.as<std::string>();
        net.addresses = addresses(path, kv.second, net.text);
        t.networks[net.name] = std::move(net);
      }
    }
    auto roles = root["roles"];
    if (!roles || !roles.IsMap())
      throw TopologyError(
          fmt::format("{}: 'roles' (a mapping of role id to addresses) is required", at(path, roles ? roles : root)));
    for (const auto& kv : roles) {
      TopologyRole r;
      r.id = kv.first.as<std::string>();
      r.line = kv.first.Mark().line + 1;
      if (pack && !pack->role(r.id)) {
        std::vector<std::string> ids;
        for (const auto& d : pack->roles) ids.push_back(d.id);
        throw TopologyError(fmt::format("{}: unknown role '{}' for pack {} (it has: {})", at(path, kv.first), r.id,
                                        pack->name, fmt::join(ids, ", ")));
      }
      if (t.role(r.id)) throw TopologyError(fmt::format("{}: role '{}' is given twice", at(path, kv.first), r.id));
      if (kv.second.IsMap()) {
        only_keys(path, kv.second, {"addresses", "public"}, "role");
        if (!kv.second["addresses"])
          throw TopologyError(fmt::format("{}: role '{}' needs 'addresses'", at(path, kv.second), r.id));
        r.addresses = addresses(path, kv.second["addresses"], r.text);
        if (kv.second["public"]) r.public_addresses = addresses(path, kv.second["public"], r.public_text);
      } else {
        r.addresses = addresses(path, kv.second, r.text);
      }
      t.roles.push_back(std::move(r));
    }
    if (auto ifs = root["interfaces"]) {
      if (!ifs.IsMap())
        throw TopologyError(fmt::format("{}: 'interfaces' maps a gateway interface to a network name", at(path, ifs)));
      for (const auto& kv : ifs) {
        std::string net = kv.second.as<std::string>();
        if (!t.network(net))
          throw TopologyError(fmt::format("{}: interface {} is on network '{}', which is not defined under networks:",
                                          at(path, kv.second), kv.first.as<std::string>(), net));
        t.interfaces[kv.first.as<std::string>()] = net;
      }
    }
    if (auto media = root["media"]) {
      if (!media.IsMap())
        throw TopologyError(
            fmt::format("{}: 'media' maps audio/video/app_sharing/client to start and count", at(path, media)));
      for (const auto& kv : media) {
        std::string name = kv.first.as<std::string>();
        static const std::set<std::string> known = {"audio", "video", "app_sharing", "client"};
        if (!known.count(name))
          throw TopologyError(fmt::format("{}: unknown media range '{}' (known: {})", at(path, kv.first), name,
                                          fmt::join(known, ", ")));
        only_keys(path, kv.second, {"start", "count"}, "media");
        if (!kv.second["start"] || !kv.second["count"])
          throw TopologyError(fmt::format("{}: media range '{}' needs start and count", at(path, kv.second), name));
        MediaOverride m{kv.second["start"].as<std::uint32_t>(), kv.second["count"].as<std::uint32_t>()};
        if (m.start == 0 || m.count == 0 || m.start + m.count - 1 > 65535)
          throw TopologyError(fmt::format("{}: media range '{}' start {} count {} is not within 1-65535",
                                          at(path, kv.second), name, m.start, m.count));
        t.media[name] = m;
      }
    }
    res.topology = std::move(t);
  } catch (const YAML::Exception& e) {
    // yaml-cpp's message starts with "yaml-cpp: error at line L, column C:".
    res.error = e.mark.line >= 0 ? fmt::format("{}:{}:{}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg)
                                 : fmt::format("{}: {}", path, e.what());
  } catch (const TopologyError& e) {
    res.error = e.what();
  }
  return res;
}

Pack apply_media_overrides(const Pack& pack, const Topology& topology) {
  Pack out = pack;
  for (const auto& m : pack.media) {
    auto it = topology.media.find(m.name);
    if (it == topology.media.end()) continue;
    PortSet replacement(it->second.start, it->second.start + it->second.count - 1);
    for (auto& req : out.requirements)
      if (req.ports == m.ports) {
        req.ports = replacement;
        req.service += fmt::format(" ({} media range {} from the topology, pack default {})", m.name,
                                   format_ports(replacement), format_ports(m.ports));
      }
  }
  return out;
}

namespace {

// Interfaces of the gateway on the network(s) an endpoint lives in: a network name maps
// directly; a role's addresses pick the most specific network containing them.
std::optional<IfaceSet> interfaces_for(const Ruleset& rs, const Topology& t, const std::string& endpoint,
                                       const AddrSet& addrs) {
  if (t.interfaces.empty()) return std::nullopt;
  std::set<std::string> nets;
  if (!t.role(endpoint)) {
    nets.insert(endpoint);
  } else {
    std::string best;
    u128 best_size = 0;
    for (const auto& [ifname, net] : t.interfaces) {
      AddrSet na = *t.network(net);
      if (addrs.subtract(na) != AddrSet::none()) continue;
      u128 size = na.v4.count() + na.v6.count();
      if (best.empty() || size < best_size) best = net, best_size = size;
    }
    if (!best.empty()) nets.insert(best);
  }
  IfaceSet set;
  bool any = false;
  for (const auto& [ifname, net] : t.interfaces)
    if (nets.count(net)) {
      set.set(rs.ifaces.classify(ifname));
      any = true;
    }
  if (!any) return std::nullopt;
  return set;
}

// Evaluates the slice's region `query` on path `p` and classifies its required ports.
// Network mode asks for the whole region: a port is open only when every packet of the
// region to it (every source and destination address of the two ends) is accepted;
// denied when some packet is denied; undetermined otherwise. Reply slices are about the
// service port as the source port.
void evaluate_whole_region(CoverageSlice& slice, const Ruleset& rs, const Pipeline& p, const Box& query,
                           const Limits& limits) {
  EvalResult result = evaluate_within(rs, p, query, limits);
  slice.pieces = std::move(result.pieces);
  slice.problems = std::move(result.problems);
  PortSet denied, undetermined;
  for (const auto& p : slice.pieces) {
    const PortSet& ports = slice.reply ? p.box.sport : p.box.dport;
    if (p.verdict == Verdict::Deny) denied.add(ports);
    if (p.verdict == Verdict::Undetermined) undetermined.add(ports);
  }
  slice.denied = denied.intersect(slice.required);
  slice.undetermined = undetermined.intersect(slice.required).subtract(slice.denied);
  slice.open = slice.required.subtract(slice.denied).subtract(slice.undetermined);
  keep_unaccepted_pieces(slice);
}

}  // namespace

NetworkCoverage compute_network_coverage(const Ruleset& rs, const Pack& pack, const Topology& topology,
                                         const std::string& lb_mode, const Limits& limits) {
  NetworkCoverage out;
  std::string default_source = topology.networks.count("internal")  ? "internal"
                               : topology.networks.count("trusted") ? "trusted"
                                                                    : "internal";
  // pf (`keep state` is the default) and Windows Firewall let the answers of an accepted
  // connection through without a rule, and their IR does not model that state table:
  // the reply check runs only for iptables and nftables, whose rules decide answers.
  bool implicit_replies = rs.format != "iptables" && rs.format != "ip6tables" && rs.format.rfind("nft", 0) != 0;
  if (implicit_replies)
    out.notes.push_back(
        fmt::format("{}: {} keeps state for accepted connections: their replies were not checked", rs.file, rs.format));
  for (const auto& role : topology.roles) {
    for (const Requirement* req : pack.requirements_for({role.id}, lb_mode)) {
      bool outbound = req->direction == Direction::Out;
      // The role is the listener (in) or the sender (out); the other end comes from the row.
      std::string peer = outbound ? req->destination : req->source;
      if (peer.empty() || peer == role.id || peer == req->role) peer = default_source;
      std::string peer_label, role_label;
      auto peer_addrs = topology.endpoint(peer, false, peer_label);
      if (!peer_addrs) {
        out.notes.push_back(
            fmt::format("{}: {} names '{}', which the topology does not place: not checked", rs.file, req->id, peer));
        continue;
      }
      bool from_outside = !outbound && (peer == "internet" || peer == "any");
      AddrSet role_addrs = *topology.endpoint(role.id, from_outside, role_label);
      const AddrSet& src = outbound ? role_addrs : *peer_addrs;
      const AddrSet& dst = outbound ? *peer_addrs : role_addrs;
      const std::string& src_name = outbound ? role.id : peer;
      const std::string& dst_name = outbound ? peer : role.id;
      RequirementCoverage cov;
      cov.requirement = req;
      for (Family f : {Family::V4, Family::V6}) {
        if (!rs.covers(f)) continue;
        AddrIntervals s = src.of(f).subtract(dst.of(f)), d = dst.of(f);
        if (s.empty() || d.empty()) continue;
        for (int proto : req->protocols) {
          CoverageSlice slice;
          slice.family = f;
          slice.protocol = proto;
          slice.required = req->ports;
          slice.network = true;
          slice.source_label = outbound ? role_label : peer_label;
          slice.destination_label = outbound ? peer_label : role_label;
          const Pipeline* p = rs.pipeline(f, Direction::Forward);
          if (!p) {
            slice.no_path = true;
            slice.open = req->ports;
            cov.slices.push_back(std::move(slice));
            continue;
          }
          Box q = Box::everything(f, rs.ifaces.size());
          q.proto = proto_only(proto);
          q.dport = req->ports;
          if (req->source_ports) q.sport = *req->source_ports;
          q.src = s;
          q.dst = d;
          // The role's interface is the one toward its real addresses (after a DNAT the
          // gateway routes to those, not to the public ones).
          auto in_ifs = interfaces_for(rs, topology, src_name, outbound ? role.addresses : src);
          auto out_ifs = interfaces_for(rs, topology, dst_name, outbound ? dst : role.addresses);
          if (in_ifs) q.in_iface = *in_ifs;
          if (out_ifs) q.out_iface = *out_ifs;
          evaluate_whole_region(slice, rs, *p, q, limits);
          // Replies: the connections that get through must be able to answer (established
          // state, the service port as source port, the other way round).
          if (!slice.open.empty() && !implicit_replies) {
            CoverageSlice reply;
            reply.family = f;
            reply.protocol = proto;
            reply.required = slice.open;
            reply.network = true;
            reply.reply = true;
            reply.source_label = slice.destination_label;
            reply.destination_label = slice.source_label;
            Box rq = Box::everything(f, rs.ifaces.size());
            rq.proto = proto_only(proto);
            rq.sport = slice.open;
            if (req->source_ports) rq.dport = *req->source_ports;
            rq.src = d;
            rq.dst = s;
            rq.state = ct_only(CtState::Established);
            if (out_ifs) rq.in_iface = *out_ifs;
            if (in_ifs) rq.out_iface = *in_ifs;
            evaluate_whole_region(reply, rs, *p, rq, limits);
            cov.slices.push_back(std::move(slice));
            cov.slices.push_back(std::move(reply));
          } else {
            cov.slices.push_back(std::move(slice));
          }
        }
      }
      if (!cov.slices.empty()) out.coverage.push_back(std::move(cov));
    }
  }
  return out;
}

}  // namespace fwm
