#include "checks/ipsec_media.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "ir/services.h"

namespace fwm {

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool has_proto(const std::vector<int>& v, int p) { return std::find(v.begin(), v.end(), p) != v.end(); }

}  // namespace

std::vector<IpsecMediaScope> ipsec_media_scopes(const Pack& pack, const std::vector<std::string>& roles,
                                                const std::string& lb_mode) {
  auto held = pack.expand_roles(roles);
  auto reqs = pack.requirements_for(roles, lb_mode);
  std::map<std::pair<Direction, int>, IpsecMediaScope> merged;
  std::set<std::string> role_specific;
  for (const auto& row : pack.ipsec)
    for (const auto* spec : {&row.source_ports, &row.destination_ports})
      if (spec->rfind("media:", 0) == 0) role_specific.insert(spec->substr(6));
  for (const auto& row : pack.ipsec) {
    bool inbound = row.direction == Direction::In;
    const std::string& host_role = inbound ? row.destination : row.source;
    const std::string& host_ports = inbound ? row.destination_ports : row.source_ports;
    std::string media_ref = host_ports.rfind("media:", 0) == 0 ? host_ports.substr(6) : "";
    bool applies = contains(held, host_role) || (host_role == "any" && !media_ref.empty() && contains(held, media_ref));
    if (!applies) continue;
    for (int proto : row.protocols) {
      PortSet ports;
      std::vector<std::string> names;
      if (!media_ref.empty()) {
        for (const auto& m : pack.media)
          if (m.name == media_ref && has_proto(m.protocols, proto)) {
            ports.add(m.ports);
            names.push_back(m.name);
          }
      } else {
        // The media ports the host's requirements open for this role (and the roles it
        // implies), within the pack's media ranges.
        auto row_roles = pack.expand_roles({host_role});
        PortSet needed;
        for (const Requirement* req : reqs)
          if (contains(row_roles, req->role) && has_proto(req->protocols, proto) && req->direction == Direction::In)
            needed.add(req->ports);
        // Roles whose requirements the pack does not list (A/V Edge, Exchange UM) get
        // every server media range: the seed exempts all their ports anyway.
        bool listed = false;
        for (const Requirement* req : reqs)
          if (contains(row_roles, req->role)) listed = true;
        for (const auto& m : pack.media) {
          // Ranges that a row names for its own hosts ("media:client") are theirs only.
          if (role_specific.count(m.name) || !has_proto(m.protocols, proto)) continue;
          PortSet part = listed ? needed.intersect(m.ports) : m.ports;
          if (part.empty()) continue;
          // Name a range when all of it is needed or it adds ports the named ones lack.
          if (part == m.ports || !part.subtract(ports).empty()) names.push_back(m.name);
          ports.add(part);
        }
      }
      if (ports.empty()) continue;
      auto& s = merged[{row.direction, proto}];
      s.direction = row.direction;
      s.protocol = proto;
      s.local_ports.add(ports);
      s.rows.push_back(&row);
      for (const auto& n : names)
        if (!contains(s.media_names, n)) s.media_names.push_back(n);
    }
  }
  std::vector<IpsecMediaScope> out;
  for (auto& [key, s] : merged) out.push_back(std::move(s));
  return out;
}

AddrSet assumed_local_addresses(const IpsecPolicy& policy) {
  AddrSet local;
  bool any_bypass = false;
  for (const auto& e : policy.entries) {
    if (!e.installed || e.action != IpsecAction::Bypass) continue;
    any_bypass = true;
    if (!e.selector.local_addr || e.selector.local_addr->is_all()) return AddrSet::all();
    AddrSet part = *e.selector.local_addr;
    if (!e.selector.families.test(0)) part.v4 = {};
    if (!e.selector.families.test(1)) part.v6 = {};
    local = local.unite(part);
  }
  if (!any_bypass) return AddrSet::all();
  // A family the exemptions do not name: the host's addresses there are unknown.
  if (local.v4.empty()) local.v4 = AddrSet::all().v4;
  if (local.v6.empty()) local.v6 = AddrSet::all().v6;
  return local;
}

IpsecPolicy swap_endpoints(const IpsecPolicy& p) {
  IpsecPolicy s = p;
  for (auto& e : s.entries) {
    std::swap(e.selector.local_addr, e.selector.remote_addr);
    std::swap(e.selector.local_port, e.selector.remote_port);
  }
  return s;
}

namespace {

// Which endpoint of a Windows connection security rule the host is.
//  - New-NetIPsecRule documents -LocalAddress as "the first end point of an IPsec rule"
//    that "specifies the computers that are subject to the requirements of this rule":
//    the host as Endpoint1 is proven.
//  - The Windows Server 2008 help ("Computer Endpoints") says a rule "will apply to
//    communications between any computer in Endpoint 1 and any computer in Endpoint
//    2", and MS-FASP 2.2.55 (FW_CS_RULE: Endpoint1, Endpoint2, Endpoint1Ports,
//    Endpoint2Ports) and MS-GPFAS 2.2.6.2 (EP1_4/EP2_4, EP1Port/EP2Port) name the two
//    endpoints and their ports without saying which one is the local host. Whether a
//    rule also applies with the host as Endpoint2 (its Port2 matched against the host's
//    ports) is left open.
// So: an exemption with the host as Endpoint1 decides (exemptions take precedence over
// every other rule). Otherwise, where the host as Endpoint2 would change whether the
// traffic is exempt, the piece is undetermined: an exemption that applies only with the
// host as Endpoint2, or a rule that protects or discards only with the host as
// Endpoint2 where nothing does with the host as Endpoint1.
void combine_orientations(const IpsecPolicy& policy, const IpsecPolicy& swapped, IpsecEvalResult& eval,
                          std::vector<IpsecOrientation>& notes, std::size_t max_pieces) {
  // The swapped copy is temporary: its entries stand for the policy's, index for index.
  auto original = [&](const IpsecEntry* e) -> const IpsecEntry* {
    return e ? &policy.entries[static_cast<std::size_t>(e - swapped.entries.data())] : nullptr;
  };
  IpsecEvalResult out;
  out.truncated = eval.truncated;
  for (const auto& p : eval.pieces) {
    bool exemption = p.verdict == IpsecVerdict::Bypass && p.decider;
    if (p.verdict == IpsecVerdict::Undetermined || exemption) {
      out.pieces.push_back(p);
      notes.push_back({});
      continue;
    }
    auto alt = evaluate_ipsec(swapped, p.box, max_pieces);
    if (alt.truncated) out.truncated = true;
    for (auto a : alt.pieces) {
      a.decider = original(a.decider);
      a.uncertain_by = original(a.uncertain_by);
      bool open = false;
      if (a.verdict == IpsecVerdict::Undetermined) {
        open = true;
      } else if (p.verdict == IpsecVerdict::Bypass) {
        open = a.verdict != IpsecVerdict::Bypass;  // protected or discarded only as Endpoint2
      } else {
        open = a.verdict == IpsecVerdict::Bypass && a.decider;  // exempt only as Endpoint2
      }
      IpsecPiece piece = p;
      piece.box = a.box;
      if (!open) {
        out.pieces.push_back(piece);
        notes.push_back({});
        continue;
      }
      piece.verdict = IpsecVerdict::Undetermined;
      piece.uncertain_by = a.verdict == IpsecVerdict::Undetermined ? a.uncertain_by : a.decider;
      out.pieces.push_back(piece);
      notes.push_back({true, a.verdict, a.decider});
    }
  }
  eval = std::move(out);
}

}  // namespace

std::vector<IpsecScopeResult> evaluate_media_scopes(const IpsecPolicy& policy,
                                                    const std::vector<IpsecMediaScope>& scopes,
                                                    std::size_t max_pieces) {
  std::vector<IpsecScopeResult> out;
  AddrSet local = assumed_local_addresses(policy);
  std::optional<IpsecPolicy> swapped;
  if (policy.endpoint_pairs) swapped = swap_endpoints(policy);
  for (const auto& scope : scopes) {
    for (Family f : {Family::V4, Family::V6}) {
      IpsecBox q = IpsecBox::everything(f, scope.direction);
      q.proto = proto_only(scope.protocol);
      q.local_port = scope.local_ports;
      q.local_addr = local.of(f);
      // Peers are other hosts: not loopback.
      q.remote_addr = q.remote_addr.subtract(parse_address_expr(f == Family::V4 ? "127.0.0.0/8" : "::1").set.of(f));
      if (q.empty()) continue;
      IpsecScopeResult r{&scope, f, q, evaluate_ipsec(policy, q, max_pieces), {}};
      if (swapped) combine_orientations(policy, *swapped, r.eval, r.orientation, max_pieces);
      out.push_back(std::move(r));
    }
  }
  return out;
}

std::string ipsec_entry_text(const IpsecEntry& e) {
  std::string name = e.name.empty() || e.text.find(e.name) != std::string::npos ? "" : fmt::format("{} ", e.name);
  return fmt::format("{}`{}` (line {})", name, e.text, e.span.line);
}

SourceSpan ipsec_entry_location(const IpsecPolicy& policy, const IpsecEntry* e, std::string& snippet) {
  if (e) {
    snippet = e->text;
    return e->span;
  }
  snippet.clear();
  return SourceSpan{policy.file, 1, 1, 1, 1};
}

std::string ipsec_rows_label(const IpsecMediaScope& s) {
  std::vector<std::string> ids;
  for (const auto* r : s.rows) ids.push_back(r->id);
  return fmt::format("{}", fmt::join(ids, ", "));
}

}  // namespace fwm
