#include "cli/cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "eval/evaluator.h"
#include "frontends/frontend.h"

namespace fwm {
int run_cli(int argc, char** argv) {
  CLI::App app{"fwmatrix"};
  std::string file;
  app.add_option("file", file);
  CLI11_PARSE(app, argc, argv);
  auto r = load_ruleset(file, {});
  if (!r.ruleset) { fmt::print(stderr, "{}\n", r.error); return 2; }
  for (auto& d : r.ruleset->diagnostics) fmt::print("{}:{}:{}: {} {}\n", d.span.file, d.span.line, d.span.column, d.id, d.message);
  auto* p = r.ruleset->pipeline(Family::V4, Direction::In);
  Box q = Box::everything(Family::V4, r.ruleset->ifaces.size());
  q.proto = proto_only(6);
  auto res = evaluate(*r.ruleset, *p, q);
  fmt::print("{} pieces\n", res.pieces.size());
  return 0;
}
}  // namespace fwm
