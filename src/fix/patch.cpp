// Patch: edits of several rounds kept against the original text, and its unified diff.
#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "fix/fix.h"

namespace fwm::fix {

std::vector<std::string> split_lines(const std::string& text, bool& final_newline) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      lines.push_back(text.substr(start));
      final_newline = false;
      return lines;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  final_newline = true;
  return lines;
}

Patch::Patch(std::vector<std::string> original, bool final_newline)
    : original_(std::move(original)), final_newline_(final_newline), slots_(original_.size() + 1) {}

bool Patch::empty() const {
  return std::all_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.before.empty() && !s.replacement; });
}

std::vector<std::string> Patch::current() const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    for (const auto& a : slots_[i].before) out.push_back(a.text);
    if (i == original_.size()) break;
    if (slots_[i].replacement) {
      for (const auto& a : *slots_[i].replacement) out.push_back(a.text);
    } else {
      out.push_back(original_[i]);
    }
  }
  return out;
}

std::string Patch::current_text() const {
  std::string out;
  auto lines = current();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out += lines[i];
    if (i + 1 < lines.size() || final_newline_) out += '\n';
  }
  return out;
}

bool Patch::apply(const std::vector<Edit>& edits) {
  // Where each line of current() comes from: (slot, index in `before`, or -1 for the
  // original line, -2 - k for line k of a replacement).
  std::vector<std::pair<std::size_t, long>> origin;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    for (std::size_t j = 0; j < slots_[i].before.size(); ++j) origin.emplace_back(i, static_cast<long>(j));
    if (i == original_.size()) break;
    if (slots_[i].replacement) {
      for (std::size_t k = 0; k < slots_[i].replacement->size(); ++k) origin.emplace_back(i, -2 - static_cast<long>(k));
    } else {
      origin.emplace_back(i, -1);
    }
  }
  struct Placed {
    std::size_t slot;
    std::size_t pos;
    std::size_t order;
    const Edit* edit;
  };
  std::vector<Placed> placed;
  for (std::size_t n = 0; n < edits.size(); ++n) {
    const Edit& e = edits[n];
    if (e.line < 1 || static_cast<std::size_t>(e.line) > origin.size() + 1) return false;
    if (static_cast<std::size_t>(e.line) == origin.size() + 1) {
      if (e.replace) return false;
      placed.push_back({original_.size(), slots_.back().before.size(), n, &e});
      continue;
    }
    auto [slot, index] = origin[static_cast<std::size_t>(e.line - 1)];
    if (e.replace) {
      if (index != -1) return false;
      placed.push_back({slot, SIZE_MAX, n, &e});
    } else if (index >= 0) {
      placed.push_back({slot, static_cast<std::size_t>(index), n, &e});
    } else {
      placed.push_back({slot, slots_[slot].before.size(), n, &e});
    }
  }
  // Later places first, so that earlier positions stay valid; at one place in reverse
  // order, each inserted at the same position, so they end up in the given order.
  std::sort(placed.begin(), placed.end(), [](const Placed& a, const Placed& b) {
    return std::tie(a.slot, a.pos, a.order) > std::tie(b.slot, b.pos, b.order);
  });
  for (const auto& p : placed) {
    std::vector<Added> added;
    for (const auto& l : p.edit->lines) added.push_back({l, p.edit->serves});
    Slot& s = slots_[p.slot];
    if (p.pos == SIZE_MAX) {
      if (s.replacement) return false;
      s.replacement = std::move(added);
    } else {
      s.before.insert(s.before.begin() + static_cast<long>(p.pos), added.begin(), added.end());
    }
  }
  return true;
}

std::vector<Edit> Patch::edits(const std::function<bool(const Target&)>& keep) const {
  std::vector<Edit> out;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const Slot& s = slots_[i];
    if (s.before.empty() && !s.replacement) continue;
    Edit e;
    e.line = static_cast<int>(i + 1);
    e.replace = s.replacement.has_value();
    auto take = [&e, &keep](const Added& a, bool whole) {
      if (!whole && keep && std::none_of(a.serves.begin(), a.serves.end(), keep)) return;
      e.lines.push_back(a.text);
      for (const auto& t : a.serves)
        if (std::find(e.serves.begin(), e.serves.end(), t) == e.serves.end()) e.serves.push_back(t);
    };
    for (const auto& a : s.before) take(a, false);
    if (s.replacement && keep && std::none_of(s.replacement->begin(), s.replacement->end(), [&keep](const Added& a) {
          return std::any_of(a.serves.begin(), a.serves.end(), keep);
        }))
      e.replace = false;
    else if (s.replacement)
      for (const auto& a : *s.replacement) take(a, true);
    if (e.lines.empty() && !e.replace) continue;
    out.push_back(std::move(e));
  }
  return out;
}

std::string unified_diff(const Patch& patch, const std::string& path, int context) {
  const auto& orig = patch.original();
  const std::size_t n = orig.size();
  auto edits = patch.edits();
  if (edits.empty()) return "";
  // Every line of both sides in order: ' ' in both, '-' old only, '+' new only.
  struct Op {
    char type;
    std::string text;
    bool no_eol = false;  // followed by "\ No newline at end of file"
  };
  std::vector<Op> ops;
  std::size_t e = 0;
  for (std::size_t l = 0; l <= n; ++l) {
    bool replaced = false;
    if (e < edits.size() && static_cast<std::size_t>(edits[e].line - 1) == l) {
      replaced = edits[e].replace;
      if (replaced && l < n) ops.push_back({'-', orig[l]});
      for (const auto& a : edits[e].lines) ops.push_back({'+', a});
      ++e;
    }
    if (l < n && !replaced) ops.push_back({' ', orig[l]});
  }
  if (!patch.final_newline() && n > 0) {
    // The old side's last line has no newline: when lines follow it on the new side, it
    // is removed and added again with one.
    std::size_t last_old = 0, last_new = 0;
    for (std::size_t k = 0; k < ops.size(); ++k) {
      if (ops[k].type != '+') last_old = k;
      if (ops[k].type != '-') last_new = k;
    }
    if (ops[last_old].type == ' ' && last_new != last_old) {
      Op removed{'-', ops[last_old].text, true};
      ops[last_old].type = '+';
      ops.insert(ops.begin() + static_cast<long>(last_old), removed);
      ++last_new;
    } else {
      ops[last_old].no_eol = true;
    }
    ops[last_new].no_eol = true;
  }
  const auto ctx = static_cast<std::size_t>(context);
  std::string out = fmt::format("--- {}\n+++ {}\n", path, path);
  std::size_t k = 0;
  std::size_t old_line = 0, new_line = 0;  // lines of each side before ops[k]
  while (k < ops.size()) {
    std::size_t change = k;
    while (change < ops.size() && ops[change].type == ' ') ++change;
    if (change == ops.size()) break;
    std::size_t start = change >= k + ctx ? change - ctx : k;
    // Extend while the next change is within 2 * context lines.
    std::size_t end = change;  // one past the last change
    while (true) {
      while (end < ops.size() && ops[end].type != ' ') ++end;
      std::size_t next = end;
      while (next < ops.size() && ops[next].type == ' ') ++next;
      if (next < ops.size() && next - end <= 2 * ctx) {
        end = next;
        continue;
      }
      end = std::min(ops.size(), end + ctx);
      break;
    }
    for (std::size_t q = k; q < start; ++q) {
      ++old_line;
      ++new_line;
    }
    std::size_t old_count = 0, new_count = 0;
    std::string body;
    for (std::size_t q = start; q < end; ++q) {
      if (ops[q].type != '+') ++old_count;
      if (ops[q].type != '-') ++new_count;
      body += ops[q].type + ops[q].text + "\n";
      if (ops[q].no_eol) body += "\\ No newline at end of file\n";
    }
    auto range = [](std::size_t before, std::size_t count) {
      if (count == 1) return fmt::format("{}", before + 1);
      return fmt::format("{},{}", count == 0 ? before : before + 1, count);
    };
    out += fmt::format("@@ -{} +{} @@\n", range(old_line, old_count), range(new_line, new_count)) + body;
    old_line += old_count;
    new_line += new_count;
    k = end;
  }
  return out;
}

namespace {

// The largest prefix that starts at `lo` and ends at or before `hi`.
unsigned prefix_bits(u128 lo, u128 hi, unsigned width) {
  unsigned host = 0;
  while (host < width) {
    if (host + 1 == 128) {  // the whole IPv6 space (1 << 128 does not fit)
      if (lo == 0 && hi == ~u128(0)) host = 128;
      break;
    }
    u128 size = u128(1) << (host + 1);
    if ((lo & (size - 1)) != 0) break;
    if (lo + size - 1 > hi || lo + size - 1 < lo) break;
    ++host;
  }
  return width - host;
}

}  // namespace

std::optional<std::vector<std::string>> prefixes_of(Family f, const AddrIntervals& set, std::size_t max_items) {
  const unsigned width = f == Family::V4 ? 32 : 128;
  std::vector<std::string> out;
  for (const auto& iv : set.intervals()) {
    u128 lo = iv.lo;
    while (true) {
      unsigned bits = prefix_bits(lo, iv.hi, width);
      if (out.size() == max_items) return std::nullopt;
      out.push_back(bits == width ? format_ip(f, lo) : fmt::format("{}/{}", format_ip(f, lo), bits));
      if (bits == 0) break;
      u128 size = u128(1) << (width - bits);
      u128 next = lo + size;
      if (next - 1 >= iv.hi || next == 0) break;
      lo = next;
    }
  }
  return out;
}

std::vector<std::string> trusted_prefixes(Family f) {
  if (f == Family::V4) return {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"};
  return {"fc00::/7"};
}

PortSet sensitive_ports(const Pack& pack, int protocol) {
  PortSet out;
  for (const auto& s : pack.sensitive)
    if (std::find(s.protocols.begin(), s.protocols.end(), protocol) != s.protocols.end()) out.add(s.ports);
  return out;
}

}  // namespace fwm::fix
