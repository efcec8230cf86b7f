// The open paths that FWM020 and FWM021 read are taken from the anomaly survey's
// evaluation of the whole path (OpenPathEvaluations::offer_survey) when that is exact:
// each decider must then decide the same packets as in an evaluation of its own.
#include <fmt/format.h>

#include <map>

#include "checks/check_support.h"
#include "eval/anomalies.h"
#include "frontends/frontend.h"
#include "fwm_catch.hpp"

using namespace fwm;

namespace {

// Packets per (verdict, deciding rule or policy).
std::map<std::tuple<int, const Rule*, const Chain*>, long double> shares(const EvalResult& r) {
  std::map<std::tuple<int, const Rule*, const Chain*>, long double> out;
  for (const Piece& p : r.pieces)
    out[{static_cast<int>(p.verdict), p.decider.rule, p.decider.policy}] += packet_count(p.box);
  return out;
}

// The open paths of `text`, once from the surveys and once evaluated on their own.
// `from_survey_expected`: whether the surveys can give them (no rule changes the state).
void compare_open_paths(const std::string& text, bool from_survey_expected) {
  LoadOptions o;
  o.format = "iptables";
  auto loaded = load_ruleset_bytes("paths.rules", text, o);
  REQUIRE(loaded.ruleset);
  const Ruleset& rs = *loaded.ruleset;
  OpenPathEvaluations from_survey(rs, Limits{}), own(rs, Limits{});
  const bool uses_surveys = from_survey.expect_surveys();
  CHECK(uses_surveys == from_survey_expected);
  AnomalyOptions options;
  bool offered = false;
  if (uses_surveys)
    options.on_path_surveyed = [&](const Pipeline& p, const EvalResult& survey) {
      offered = true;
      from_survey.offer_survey(p, survey);
    };
  (void)find_anomalies(rs, options);
  from_survey.surveys_done();
  CHECK(offered == from_survey_expected);
  for (Family f : {Family::V4, Family::V6})
    for (Direction d : {Direction::In, Direction::Forward}) {
      const EvalResult* a = from_survey.get(f, d);
      const EvalResult* b = own.get(f, d);
      REQUIRE((a == nullptr) == (b == nullptr));
      if (!a) continue;
      INFO(fmt::format("{} {}", family_name(f), direction_name(d)));
      CHECK(shares(*a) == shares(*b));
    }
}

}  // namespace

TEST_CASE("open paths: taken from the anomaly survey, each decider decides the same packets", "[checks][open]") {
  // Loopback, local sources, states, interfaces, a user chain and a DNAT: the survey covers
  // all of them, the open region none of the first three.
  compare_open_paths(
      "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
      "-A PREROUTING -i eth0 -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.5:80\nCOMMIT\n"
      "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:SVC - [0:0]\n"
      "-A INPUT -i lo -j ACCEPT\n-A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT\n"
      "-A INPUT -s 127.0.0.0/8 -j DROP\n-A INPUT -i eth1 -j ACCEPT\n-A INPUT -j SVC\n"
      "-A SVC -s 10.1.0.0/16 -p tcp --dport 22 -j ACCEPT\n-A SVC -p udp -j RETURN\n-A SVC -p tcp -j ACCEPT\n"
      "-A FORWARD -d 10.0.0.5 -p tcp --dport 80 -j ACCEPT\n-A FORWARD -i eth0 -o eth1 -j ACCEPT\nCOMMIT\n",
      true);
  // A rule that changes the state: the pieces hold the changed state, so the open paths
  // are evaluated on their own (and still agree).
  compare_open_paths(
      "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -p udp --dport 53 -j NOTRACK\nCOMMIT\n"
      "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
      "-A INPUT -m state --state UNTRACKED -j ACCEPT\n-A INPUT -p tcp --dport 443 -j ACCEPT\nCOMMIT\n",
      false);
}
