// Evaluation of an IPsec policy over a region: first match in precedence order, with
// entries whose conditions are unknown giving "undetermined" where the outcome differs.
#include <algorithm>

#include "ir/ipsec_policy.h"

namespace fwm {

const char* ipsec_action_name(IpsecAction a) {
  switch (a) {
    case IpsecAction::Protect:
      return "protect";
    case IpsecAction::Bypass:
      return "bypass";
    case IpsecAction::Discard:
      return "discard";
  }
  return "protect";
}

const char* ipsec_verdict_name(IpsecVerdict v) {
  switch (v) {
    case IpsecVerdict::Bypass:
      return "bypass";
    case IpsecVerdict::Protect:
      return "protect";
    case IpsecVerdict::Discard:
      return "discard";
    case IpsecVerdict::Undetermined:
      return "undetermined";
  }
  return "undetermined";
}

std::vector<const IpsecEntry*> IpsecPolicy::evaluation_order() const {
  std::vector<const IpsecEntry*> order;
  for (const auto& e : entries)
    if (e.installed) order.push_back(&e);
  std::stable_sort(order.begin(), order.end(), [](const IpsecEntry* a, const IpsecEntry* b) {
    if (a->rank != b->rank) return a->rank < b->rank;
    return a->position < b->position;
  });
  return order;
}

IpsecBox IpsecBox::everything(Family f, Direction d) {
  IpsecBox b;
  b.family = f;
  b.direction = d;
  b.local_addr = AddrIntervals(0, family_max(f));
  b.remote_addr = AddrIntervals(0, family_max(f));
  return b;
}

bool IpsecBox::empty() const {
  return proto.none() || local_addr.empty() || remote_addr.empty() || local_port.empty() || remote_port.empty();
}

namespace {

bool selector_applies(const IpsecBox& box, const IpsecSelector& sel) {
  if (!sel.families.test(static_cast<std::size_t>(box.family))) return false;
  if (box.direction == Direction::In && !sel.inbound) return false;
  if (box.direction == Direction::Out && !sel.outbound) return false;
  return true;
}

IpsecVerdict verdict_of(IpsecAction a) {
  switch (a) {
    case IpsecAction::Protect:
      return IpsecVerdict::Protect;
    case IpsecAction::Bypass:
      return IpsecVerdict::Bypass;
    case IpsecAction::Discard:
      return IpsecVerdict::Discard;
  }
  return IpsecVerdict::Protect;
}

}  // namespace

namespace {

// Whether the selector meets the box at all, without building anything.
bool selector_touches(const IpsecBox& box, const IpsecSelector& sel) {
  if (!selector_applies(box, sel)) return false;
  if (sel.proto && (box.proto & *sel.proto).none()) return false;
  if (sel.local_port && !box.local_port.intersects(*sel.local_port)) return false;
  if (sel.remote_port && !box.remote_port.intersects(*sel.remote_port)) return false;
  if (sel.local_addr && !box.local_addr.intersects(sel.local_addr->of(box.family))) return false;
  if (sel.remote_addr && !box.remote_addr.intersects(sel.remote_addr->of(box.family))) return false;
  return true;
}

}  // namespace

std::optional<IpsecBox> ipsec_intersect(const IpsecBox& box, const IpsecSelector& sel) {
  if (!selector_touches(box, sel)) return std::nullopt;
  IpsecBox out = box;
  if (sel.proto) out.proto &= *sel.proto;
  if (sel.local_addr) out.local_addr = out.local_addr.intersect(sel.local_addr->of(box.family));
  if (sel.remote_addr) out.remote_addr = out.remote_addr.intersect(sel.remote_addr->of(box.family));
  if (sel.local_port) out.local_port = out.local_port.intersect(*sel.local_port);
  if (sel.remote_port) out.remote_port = out.remote_port.intersect(*sel.remote_port);
  if (out.empty()) return std::nullopt;
  return out;
}

std::vector<IpsecBox> ipsec_subtract(const IpsecBox& box, const IpsecSelector& sel) {
  if (!selector_applies(box, sel)) return {box};
  // Peel one field at a time: the part outside the selector in this field (with the
  // earlier fields already narrowed to the selector) is one disjoint piece.
  std::vector<IpsecBox> out;
  IpsecBox rest = box;
  auto keep = [&](IpsecBox piece) {
    if (!piece.empty()) out.push_back(std::move(piece));
  };
  if (sel.proto) {
    IpsecBox outside = rest;
    outside.proto &= ~*sel.proto;
    keep(outside);
    rest.proto &= *sel.proto;
  }
  if (sel.local_addr) {
    const AddrIntervals& s = sel.local_addr->of(box.family);
    IpsecBox outside = rest;
    outside.local_addr = rest.local_addr.subtract(s);
    keep(outside);
    rest.local_addr = rest.local_addr.intersect(s);
  }
  if (sel.remote_addr) {
    const AddrIntervals& s = sel.remote_addr->of(box.family);
    IpsecBox outside = rest;
    outside.remote_addr = rest.remote_addr.subtract(s);
    keep(outside);
    rest.remote_addr = rest.remote_addr.intersect(s);
  }
  if (sel.local_port) {
    IpsecBox outside = rest;
    outside.local_port = rest.local_port.subtract(*sel.local_port);
    keep(outside);
    rest.local_port = rest.local_port.intersect(*sel.local_port);
  }
  if (sel.remote_port) {
    IpsecBox outside = rest;
    outside.remote_port = rest.remote_port.subtract(*sel.remote_port);
    keep(outside);
  }
  return out;
}

namespace {

struct Evaluation {
  const IpsecPolicy& policy;
  std::vector<const IpsecEntry*> order;
  std::size_t max_pieces;
  IpsecEvalResult result;

  // Decides `start` from entry k0 on; appends the pieces to `out`. A work list rather
  // than recursion: only entries with unknown conditions evaluate a sub-region apart.
  void run(const IpsecBox& start, std::size_t k0, std::vector<IpsecPiece>& out) {
    std::vector<std::pair<IpsecBox, std::size_t>> work{{start, k0}};
    while (!work.empty()) {
      if (result.truncated || out.size() + work.size() > max_pieces) {
        // Stopped: what is left is undetermined, not dropped.
        result.truncated = true;
        for (auto& [box, k] : work) out.push_back({std::move(box), IpsecVerdict::Undetermined, nullptr, nullptr});
        return;
      }
      auto [box, k] = std::move(work.back());
      work.pop_back();
      bool decided = false;
      for (; k < order.size() && !decided; ++k) {
        const IpsecEntry& e = *order[k];
        auto inside = ipsec_intersect(box, e.selector);
        if (!inside) continue;
        for (auto& outside : ipsec_subtract(box, e.selector)) work.emplace_back(std::move(outside), k + 1);
        decided = true;
        IpsecVerdict v = verdict_of(e.action);
        if (e.selector.unknowns.empty()) {
          out.push_back({*inside, v, &e, nullptr});
          continue;
        }
        // The entry may or may not match: where the rest decides the same, that holds;
        // elsewhere the outcome is undetermined.
        std::vector<IpsecPiece> otherwise;
        run(*inside, k + 1, otherwise);
        for (auto& p : otherwise) {
          if (p.verdict != v) {
            p.uncertain_by = p.uncertain_by ? p.uncertain_by : &e;
            p.verdict = IpsecVerdict::Undetermined;
          }
          out.push_back(std::move(p));
        }
      }
      if (!decided) out.push_back({box, verdict_of(policy.default_action), nullptr, nullptr});
    }
  }
};

}  // namespace

IpsecEvalResult evaluate_ipsec(const IpsecPolicy& policy, const IpsecBox& query, std::size_t max_pieces) {
  Evaluation ev{policy, policy.evaluation_order(), max_pieces, {}};
  if (query.empty()) return {};
  std::vector<IpsecPiece> pieces;
  ev.run(query, 0, pieces);
  ev.result.pieces = std::move(pieces);
  return std::move(ev.result);
}

}  // namespace fwm
