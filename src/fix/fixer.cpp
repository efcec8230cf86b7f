// fix_config(): rounds of edits until no FWM001 remains, then the proof (every check on
// the result: no FWM001, no new FWM021/FWM022).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "checks/analysis.h"
#include "checks/check_support.h"
#include "fix/fix.h"

namespace fwm::fix {

const Writer* writer_for(const std::string& format) {
  if (format == "iptables" || format == "ip6tables") return &iptables_writer();
  if (format == "nftables") return &nftables_writer();
  if (format == "pf") return &pf_writer();
  if (format == "windows") return &windows_writer();
  return nullptr;
}

namespace {

std::vector<RequirementCoverage> coverage_of(const Ruleset& rs, const FixRequest& r) {
  if (r.topology) return compute_network_coverage(rs, *r.pack, *r.topology, r.lb_mode, r.limits).coverage;
  CoverageOptions options;
  options.limits = r.limits;
  return compute_coverage(rs, r.pack->requirements_for(r.roles, r.lb_mode), options);
}

// FWM001 findings of a ruleset.
std::vector<Finding> gap_findings(const Ruleset& rs, const FixRequest& r,
                                  const std::vector<RequirementCoverage>& coverage) {
  AnalysisContext ctx;
  ctx.ruleset = &rs;
  ctx.pack = r.pack;
  ctx.roles = r.roles;
  ctx.lb_mode = r.lb_mode;
  ctx.coverage = &coverage;
  ctx.limits = r.limits;
  std::vector<std::string> problems;
  ctx.evaluation_problems = &problems;
  std::vector<Finding> out;
  find_check("FWM001")->run(ctx, out);
  return out;
}

// What a round's gaps are: the same string twice means no progress.
std::string parts_signature(const Ruleset& rs, const std::vector<DeniedPart>& parts) {
  std::string sig;
  for (const auto& p : parts)
    sig += fmt::format("{}|{}|{}|{}|{}\n", p.target().requirement, p.protocol, family_name(p.family),
                       format_ports(p.ports, SIZE_MAX), decider_basis(rs, p.decider));
  return sig;
}

// A finding of the exposure checks, without line numbers.
std::string exposure_key(const Finding& f) {
  auto get = [&f](const char* k) {
    auto it = f.properties.find(k);
    return it == f.properties.end() ? std::string() : it->second;
  };
  return fmt::format("{}|{}|{}|{}|{}", f.rule_id, f.snippet, get("ports"), get("excess_ports"), get("family"));
}

}  // namespace

namespace {

// A reading of the text: every variant (Windows profiles) with its coverage and gaps.
struct Reading {
  LoadResult loaded;
  std::vector<std::vector<RequirementCoverage>> coverage;  // per variant
  std::size_t gaps = 0;
  std::string error;
};

Reading read_text(const FixRequest& r, const std::string& text) {
  Reading out;
  out.loaded = load_ruleset_bytes(r.path, text, r.load);
  if (!out.loaded.ruleset) {
    out.error = out.loaded.error;
    return out;
  }
  for (const Ruleset* rs : out.loaded.all()) {
    out.coverage.push_back(coverage_of(*rs, r));
    out.gaps += gap_findings(*rs, r, out.coverage.back()).size();
  }
  return out;
}

// Merges the same line at one place (two parts, or two profiles, that come to the same
// rule) into one, with the targets of both; the same replacement of a line once.
void merge_same_lines(std::vector<Edit>& edits) {
  auto add_targets = [](Edit& into, const Edit& from) {
    for (const auto& t : from.serves)
      if (std::find(into.serves.begin(), into.serves.end(), t) == into.serves.end()) into.serves.push_back(t);
  };
  std::map<int, Edit*> replaced;
  std::map<int, std::vector<std::pair<std::string, Edit*>>> placed;
  std::vector<bool> drop(edits.size(), false);
  for (std::size_t i = 0; i < edits.size(); ++i) {
    Edit& e = edits[i];
    if (e.replace) {
      auto [it, added] = replaced.try_emplace(e.line, &e);
      if (!added && it->second->lines == e.lines) {
        add_targets(*it->second, e);
        drop[i] = true;
      }
      continue;
    }
    std::vector<std::string> kept;
    for (auto& l : e.lines) {
      auto& here = placed[e.line];
      auto same = std::find_if(here.begin(), here.end(), [&l](const auto& p) { return p.first == l; });
      if (same == here.end()) {
        here.emplace_back(l, &e);
        kept.push_back(l);
      } else {
        add_targets(*same->second, e);
      }
    }
    e.lines = std::move(kept);
    drop[i] = e.lines.empty();
  }
  std::vector<Edit> out;
  for (std::size_t i = 0; i < edits.size(); ++i)
    if (!drop[i]) out.push_back(std::move(edits[i]));
  edits = std::move(out);
}

}  // namespace

FixResult fix_config(const FixRequest& request) {
  FixResult result;
  bool final_newline = true;
  auto lines = split_lines(request.bytes, final_newline);
  result.patch.emplace(lines, final_newline);
  result.fixed = request.bytes;
  Reading reading = read_text(request, request.bytes);
  if (!reading.loaded.ruleset) {
    result.problems.push_back(reading.error);
    result.patch.reset();
    return result;
  }
  result.format = reading.loaded.ruleset->format;
  for (const auto& d : reading.loaded.ruleset->diagnostics)
    if (d.id == "FWM090")
      result.notes.push_back(fmt::format("{}:{}:{}: the file has a parse error ({}); the fix leaves that line as is",
                                         request.path, d.span.line, d.span.column, d.message));
  result.gaps_before = reading.gaps;
  const Writer* writer = writer_for(result.format);
  std::set<std::string> seen;
  while (reading.gaps > 0) {
    const std::size_t gaps = reading.gaps;
    if (!writer) {
      result.problems.push_back(
          fmt::format("{}: fwmatrix cannot write fixes for {} files yet; the {} FWM001 finding{} stay{}", request.path,
                      result.format, gaps, gaps == 1 ? "" : "s", gaps == 1 ? "s" : ""));
      break;
    }
    auto variants = reading.loaded.all();
    std::vector<std::vector<DeniedPart>> parts;
    std::string signature;
    std::size_t part_count = 0;
    for (std::size_t v = 0; v < variants.size(); ++v) {
      parts.push_back(denied_parts(reading.coverage[v]));
      part_count += parts.back().size();
      signature += variants[v]->variant + "\n" + parts_signature(*variants[v], parts.back());
    }
    if (part_count == 0) {
      result.problems.push_back(
          fmt::format("{}: {} FWM001 finding{} but no denied part to fix", request.path, gaps, gaps == 1 ? "" : "s"));
      break;
    }
    if (!seen.insert(signature).second || result.rounds >= request.max_rounds) {
      result.problems.push_back(fmt::format(
          "{}: the edits of round {} did not change what denies the gaps (an earlier rule or stage still decides)",
          request.path, result.rounds));
      break;
    }
    auto current = result.patch->current();
    std::vector<Edit> edits;
    bool failed = false;
    for (std::size_t v = 0; v < variants.size(); ++v) {
      if (parts[v].empty()) continue;
      WriterOutput written = writer->write({*variants[v], current, parts[v], *request.pack});
      for (const auto& p : written.problems) {
        std::string text = fmt::format("{}: {}", request.path, p);
        if (std::find(result.problems.begin(), result.problems.end(), text) == result.problems.end())
          result.problems.push_back(text);
      }
      for (const auto& n : written.notes) {
        std::string text = fmt::format("{}: {}", request.path, n);
        if (std::find(result.notes.begin(), result.notes.end(), text) == result.notes.end())
          result.notes.push_back(text);
      }
      failed = failed || !written.problems.empty();
      edits.insert(edits.end(), written.edits.begin(), written.edits.end());
    }
    if (edits.empty() || failed) break;
    merge_same_lines(edits);
    if (!result.patch->apply(edits)) {
      result.problems.push_back(
          fmt::format("{}: round {}: edits that conflict with an earlier round", request.path, result.rounds + 1));
      break;
    }
    ++result.rounds;
    result.fixed = result.patch->current_text();
    reading = read_text(request, result.fixed);
    if (!reading.loaded.ruleset) {
      result.problems.push_back(fmt::format("{}: the fixed text cannot be read: {}", request.path, reading.error));
      reading.gaps = gaps;
      break;
    }
  }
  result.gaps_after = reading.gaps;
  if (reading.gaps > 0 && result.problems.empty())
    result.problems.push_back(
        fmt::format("{}: {} FWM001 finding{} remain", request.path, reading.gaps, reading.gaps == 1 ? "" : "s"));
  if (result.problems.empty() && request.verify && !result.patch->empty()) {
    // The proof: every check on the original and on the result; the result must not
    // accept what the original did not (FWM020, FWM021, FWM022) and must have no FWM001.
    AnalysisRequest analysis{request.pack, request.roles, request.lb_mode};
    analysis.topology = request.topology;
    analysis.limits = request.limits;
    std::vector<std::string> notes;
    auto original = load_ruleset_bytes(request.path, request.bytes, request.load);
    std::set<std::string> had;
    for (const Ruleset* rs : original.all())
      for (const auto& f : analyze(*rs, analysis, notes)) had.insert(exposure_key(f));
    for (const Ruleset* rs : reading.loaded.all())
      for (const auto& f : analyze(*rs, analysis, notes)) {
        if (f.rule_id == "FWM001")
          result.problems.push_back(fmt::format("{}: FWM001 remains after the fix: {}", request.path, f.message));
        if ((f.rule_id == "FWM020" || f.rule_id == "FWM021" || f.rule_id == "FWM022") && !had.count(exposure_key(f)))
          result.problems.push_back(
              fmt::format("{}: the fix would open more than required ({}): {}", request.path, f.rule_id, f.message));
      }
  }
  result.ok = result.problems.empty();
  return result;
}

std::vector<Edit> edits_for_finding(const FixResult& result, const Finding& f) {
  if (!result.patch || f.rule_id != "FWM001") return {};
  auto get = [&f](const char* k) {
    auto it = f.properties.find(k);
    return it == f.properties.end() ? std::string() : it->second;
  };
  std::vector<std::string> ids;
  std::string reqs = get("requirement");
  for (std::size_t start = 0; start <= reqs.size();) {
    std::size_t end = reqs.find(',', start);
    if (end == std::string::npos) end = reqs.size();
    ids.push_back(reqs.substr(start, end - start));
    start = end + 1;
  }
  std::string families = get("family");
  auto serves = [&](const Target& t) {
    return std::find(ids.begin(), ids.end(), t.requirement) != ids.end() && proto_name(t.protocol) == get("protocol") &&
           families.find(family_name(t.family)) != std::string::npos && t.source_label == get("source") &&
           t.destination_label == get("destination");
  };
  return result.patch->edits(serves);
}

}  // namespace fwm::fix
