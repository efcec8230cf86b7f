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

FixResult fix_config(const FixRequest& request) {
  FixResult result;
  bool final_newline = true;
  auto lines = split_lines(request.bytes, final_newline);
  result.patch.emplace(lines, final_newline);
  result.fixed = request.bytes;
  auto first = load_ruleset_bytes(request.path, request.bytes, request.load);
  if (!first.ruleset) {
    result.problems.push_back(first.error);
    result.patch.reset();
    return result;
  }
  result.format = first.ruleset->format;
  if (!first.more_variants.empty()) {
    result.problems.push_back(fmt::format(
        "{}: fwmatrix cannot write fixes for {} files yet (one file, several policies)", request.path, result.format));
    return result;
  }
  for (const auto& d : first.ruleset->diagnostics)
    if (d.id == "FWM090")
      result.notes.push_back(fmt::format("{}:{}:{}: the file has a parse error ({}); the fix leaves that line as is",
                                         request.path, d.span.line, d.span.column, d.message));
  std::unique_ptr<Ruleset> rs = std::move(first.ruleset);
  auto coverage = coverage_of(*rs, request);
  result.gaps_before = gap_findings(*rs, request, coverage).size();
  const Writer* writer = writer_for(result.format);
  std::set<std::string> seen;
  std::size_t gaps = result.gaps_before;
  while (gaps > 0) {
    if (!writer) {
      result.problems.push_back(
          fmt::format("{}: fwmatrix cannot write fixes for {} files yet; the {} FWM001 finding{} stay{}", request.path,
                      result.format, gaps, gaps == 1 ? "" : "s", gaps == 1 ? "s" : ""));
      break;
    }
    auto parts = denied_parts(coverage);
    if (parts.empty()) {
      result.problems.push_back(
          fmt::format("{}: {} FWM001 finding{} but no denied part to fix", request.path, gaps, gaps == 1 ? "" : "s"));
      break;
    }
    if (!seen.insert(parts_signature(*rs, parts)).second || result.rounds >= request.max_rounds) {
      result.problems.push_back(fmt::format(
          "{}: the edits of round {} did not change what denies the gaps (an earlier rule or stage still decides)",
          request.path, result.rounds));
      break;
    }
    auto current = result.patch->current();
    WriterOutput written = writer->write({*rs, current, parts, *request.pack});
    for (const auto& p : written.problems) result.problems.push_back(fmt::format("{}: {}", request.path, p));
    if (written.edits.empty() || !written.problems.empty()) break;
    // The same line twice at one place (two parts that come to the same rule): once.
    std::map<int, std::vector<std::pair<std::string, Edit*>>> placed;
    for (Edit& e : written.edits) {
      std::vector<std::string> kept;
      for (auto& l : e.lines) {
        auto& here = placed[e.line];
        auto same = std::find_if(here.begin(), here.end(), [&l](const auto& p) { return p.first == l; });
        if (same == here.end()) {
          here.emplace_back(l, &e);
          kept.push_back(l);
        } else {
          for (const auto& t : e.serves)
            if (std::find(same->second->serves.begin(), same->second->serves.end(), t) == same->second->serves.end())
              same->second->serves.push_back(t);
        }
      }
      e.lines = std::move(kept);
    }
    std::erase_if(written.edits, [](const Edit& e) { return e.lines.empty(); });
    if (!result.patch->apply(written.edits)) {
      result.problems.push_back(
          fmt::format("{}: round {}: edits that conflict with an earlier round", request.path, result.rounds + 1));
      break;
    }
    ++result.rounds;
    result.fixed = result.patch->current_text();
    auto loaded = load_ruleset_bytes(request.path, result.fixed, request.load);
    if (!loaded.ruleset) {
      result.problems.push_back(fmt::format("{}: the fixed text cannot be read: {}", request.path, loaded.error));
      break;
    }
    rs = std::move(loaded.ruleset);
    coverage = coverage_of(*rs, request);
    gaps = gap_findings(*rs, request, coverage).size();
  }
  result.gaps_after = gaps;
  if (gaps > 0 && result.problems.empty())
    result.problems.push_back(fmt::format("{}: {} FWM001 finding{} remain", request.path, gaps, gaps == 1 ? "" : "s"));
  if (result.problems.empty() && request.verify && !result.patch->empty()) {
    // The proof: every check on the original and on the result; the result must not
    // accept what the original did not (FWM020, FWM021, FWM022) and must have no FWM001.
    AnalysisRequest analysis{request.pack, request.roles, request.lb_mode};
    analysis.topology = request.topology;
    analysis.limits = request.limits;
    std::vector<std::string> notes;
    auto original = load_ruleset_bytes(request.path, request.bytes, request.load);
    auto before = analyze(*original.ruleset, analysis, notes);
    auto after = analyze(*rs, analysis, notes);
    std::set<std::string> had;
    for (const auto& f : before) had.insert(exposure_key(f));
    for (const auto& f : after) {
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
