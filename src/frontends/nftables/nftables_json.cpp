// Reading `nft -j list ruleset` (libnftables JSON schema) into the same vendor model as
// the text parser, so that both go through one lowering.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "frontends/nftables/nftables_frontend.h"

namespace fwm::nftables {

using nlohmann::json;

bool detect_json(const std::string& text) {
  std::size_t i = text.find_first_not_of(" \t\r\n");
  if (i == std::string::npos || text[i] != '{') return false;
  return text.find("\"nftables\"", i) != std::string::npos && text.find("\"nftables\"", i) < i + 64;
}

namespace {

class JsonReader {
 public:
  JsonReader(const TextFile& file, Model& model) : file_(file), model_(model) {}

  void run() {
    json doc;
    try {
      doc = json::parse(file_.text);
    } catch (const json::parse_error& e) {
      // e.byte is 1-based; find the line and column of it.
      std::size_t byte = e.byte == 0 ? 0 : e.byte - 1;
      error_at_byte(byte, fmt::format("invalid JSON: {}", e.what()));
      return;
    }
    if (!doc.is_object() || !doc.contains("nftables") || !doc["nftables"].is_array()) {
      error_at_byte(0, "expected a JSON object with an \"nftables\" array (nft -j list ruleset)");
      return;
    }
    std::size_t rule_no = 0, chain_no = 0;
    for (const auto& item : doc["nftables"]) {
      if (!item.is_object() || item.size() != 1) continue;
      auto item_it = item.begin();
      const std::string kind = item_it.key();
      const json& body = item_it.value();
      try {
        if (kind == "table") {
          table(body);
        } else if (kind == "chain") {
          chain(body, position_of_object("chain", chain_no++));
        } else if (kind == "set" || kind == "map") {
          set(body, kind == "map");
        } else if (kind == "rule") {
          rule(body, rule_no++);
        } else if (kind == "add" || kind == "insert" || kind == "flush" || kind == "delete" || kind == "replace") {
          command(kind, body, rule_no);
        }
        // metainfo, flowtable, counter, quota, ct helper, limit ...: no effect on verdicts
      } catch (const json::exception& e) {
        error_at_byte(position_of_rule(rule_no), fmt::format("unexpected JSON in \"{}\": {}", kind, e.what()));
      }
    }
  }

 private:
  void error_at_byte(std::size_t byte, std::string message, const char* id = "FWM090") {
    int line = 1, col = 1;
    for (std::size_t i = 0; i < byte && i < file_.text.size(); ++i) {
      if (file_.text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    Diagnostic d;
    d.id = id;
    d.severity = std::string(id) == "FWM090" ? Severity::Error : Severity::Warning;
    d.span = {file_.path, line, col, line, col};
    d.message = std::move(message);
    model_.diagnostics.push_back(std::move(d));
  }

  // Byte offset of the n-th {"rule": ...} object, for line/column of rules.
  std::size_t position_of_rule(std::size_t n) {
    while (rule_offsets_.size() <= n) {
      std::size_t from = rule_offsets_.empty() ? 0 : rule_offsets_.back() + 1;
      auto pos = file_.text.find("\"rule\"", from);
      if (pos == std::string::npos) return rule_offsets_.empty() ? 0 : rule_offsets_.back();
      rule_offsets_.push_back(pos);
    }
    return rule_offsets_[n];
  }

  SourceSpan span_at(std::size_t byte) const {
    int line = 1, col = 1;
    for (std::size_t i = 0; i < byte && i < file_.text.size(); ++i) {
      if (file_.text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return {file_.path, line, col, line, col};
  }

  static std::string str(const json& j, const char* key, const std::string& dflt = "") {
    if (j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
    if (j.contains(key) && j[key].is_number_integer()) return std::to_string(j[key].get<long long>());
    return dflt;
  }

  void table(const json& t) {
    TableModel* tm = model_.table(str(t, "family", "ip"), str(t, "name"), true);
    if (t.contains("flags")) {
      const auto& f = t["flags"];
      if ((f.is_string() && f == "dormant") ||
          (f.is_array() && std::find(f.begin(), f.end(), json("dormant")) != f.end()))
        tm->dormant = true;
    }
  }

  // Byte offset of the n-th `"key": {` (an object of that kind, not a "chain": "name" field).
  std::size_t position_of_object(const std::string& key, std::size_t n) {
    std::string quoted = "\"" + key + "\"";
    std::size_t seen = 0;
    for (std::size_t pos = file_.text.find(quoted); pos != std::string::npos; pos = file_.text.find(quoted, pos + 1)) {
      std::size_t i = file_.text.find_first_not_of(" \t\r\n", pos + quoted.size());
      if (i == std::string::npos || file_.text[i] != ':') continue;
      i = file_.text.find_first_not_of(" \t\r\n", i + 1);
      if (i == std::string::npos || file_.text[i] != '{') continue;
      if (seen++ == n) return pos;
    }
    return 0;
  }

  void chain(const json& c, std::size_t at) {
    std::string family = str(c, "family", "ip"), table = str(c, "table");
    model_.table(family, table, true);
    ChainModel* cm = model_.chain(family, table, str(c, "name"), true);
    if (c.contains("hook")) {
      cm->base = true;
      cm->type = str(c, "type", "filter");
      cm->hook = str(c, "hook");
      cm->priority = c.contains("prio") && c["prio"].is_number_integer() ? c["prio"].get<int>() : 0;
      cm->policy_accept = str(c, "policy", "accept") != "drop";
      cm->device = str(c, "dev");
      if (c.contains("dev") && c["dev"].is_array())
        for (const auto& d : c["dev"])
          if (d.is_string()) cm->device += (cm->device.empty() ? "" : ", ") + d.get<std::string>();
      cm->policy_text = fmt::format("policy {}", str(c, "policy", "accept"));
      if (c.contains("policy")) cm->policy_span = span_at(at);
    }
  }

  void set(const json& s, bool is_map) {
    SetModel* sm = model_.set(str(s, "family", "ip"), str(s, "table"), str(s, "name"), true);
    sm->is_map = is_map;
    if (s.contains("type")) sm->type = s["type"].is_string() ? s["type"].get<std::string>() : s["type"].dump();
    if (is_map) sm->type += " : " + str(s, "map");
    if (s.contains("flags")) {
      const auto& f = s["flags"];
      for (const auto& flag : f.is_array() ? f : json::array({f}))
        if (flag == "dynamic" || flag == "timeout") sm->dynamic = true;
    }
    if (s.contains("timeout")) sm->dynamic = true;
    if (s.contains("elem"))
      for (const auto& e : s["elem"]) sm->elements.push_back(is_map ? map_elem(e) : value(e));
  }

  Expr map_elem(const json& e) {
    Expr m;
    m.kind = Expr::Kind::MapElem;
    if (e.is_array() && e.size() == 2) {
      m.items.push_back(value(e[0]));
      m.items.push_back(value(e[1]));
    } else {
      m.kind = Expr::Kind::Complex;
      m.text = e.dump();
    }
    return m;
  }

  static bool is_verdict_key(const std::string& k) {
    return k == "accept" || k == "drop" || k == "continue" || k == "return" || k == "jump" || k == "goto" ||
           k == "queue";
  }

  static Verdict verdict(const std::string& k, const json& body) {
    Verdict v;
    if (k == "accept")
      v.kind = VerdictKind::Accept;
    else if (k == "drop")
      v.kind = VerdictKind::Drop;
    else if (k == "continue")
      v.kind = VerdictKind::Continue;
    else if (k == "return")
      v.kind = VerdictKind::Return;
    else if (k == "queue")
      v.kind = VerdictKind::Queue;
    else {
      v.kind = k == "jump" ? VerdictKind::Jump : VerdictKind::Goto;
      v.chain = str(body, "target");
    }
    return v;
  }

  // A right-hand side or element value.
  Expr value(const json& j) {
    Expr e;
    if (j.is_number_integer()) {
      e.text = std::to_string(j.get<long long>());
    } else if (j.is_string()) {
      std::string s = j.get<std::string>();
      if (!s.empty() && s[0] == '@') {
        e.kind = Expr::Kind::SetRef;
        e.text = s.substr(1);
      } else {
        e.text = s;
      }
    } else if (j.is_array()) {  // flag lists: ct state { "established", "related" }
      e.kind = Expr::Kind::List;
      for (const auto& i : j) e.items.push_back(value(i));
    } else if (j.is_object() && j.size() == 1) {
      auto j_it = j.begin();
      const std::string k = j_it.key();
      const json& v = j_it.value();
      if (k == "set") {
        e.kind = Expr::Kind::Set;
        for (const auto& i : v.is_array() ? v : json::array({v}))
          e.items.push_back(i.is_array() && i.size() == 2 ? map_elem(i) : value(i));
      } else if (k == "range" && v.is_array() && v.size() == 2) {
        e.kind = Expr::Kind::Range;
        e.items = {value(v[0]), value(v[1])};
      } else if (k == "prefix") {
        e.text = fmt::format("{}/{}", str(v, "addr"), str(v, "len"));
      } else if (k == "concat") {
        e.kind = Expr::Kind::Concat;
        for (const auto& i : v) e.items.push_back(value(i));
      } else if (k == "|" && v.is_array()) {  // flag values: {"|": ["syn", "ack"]}
        e.kind = Expr::Kind::BitOr;
        for (const auto& i : v) e.items.push_back(value(i));
      } else if (k == "elem") {
        return value(v.at("val"));
      } else if (is_verdict_key(k)) {
        e.kind = Expr::Kind::Verdict;
        e.verdict = verdict(k, v);
        e.text = k == "jump" || k == "goto" ? k + " " + e.verdict.chain : k;
      } else {
        e.kind = Expr::Kind::Complex;
        e.text = j.dump();
      }
    } else {
      e.kind = Expr::Kind::Complex;
      e.text = j.dump();
    }
    return e;
  }

  // A selector ("left" side): "tcp dport", "meta l4proto", "ct state"; empty when not modelled.
  static bool selectors(const json& j, std::vector<std::string>& out) {
    if (!j.is_object() || j.size() != 1) return false;
    auto j_it = j.begin();
    const std::string k = j_it.key();
    const json& v = j_it.value();
    if (k == "payload" && v.contains("protocol")) {
      out.push_back(fmt::format("{} {}", str(v, "protocol"), str(v, "field")));
      return true;
    }
    if (k == "meta") {
      out.push_back(fmt::format("meta {}", str(v, "key")));
      return true;
    }
    if (k == "ct" && !v.contains("dir")) {
      out.push_back(fmt::format("ct {}", str(v, "key")));
      return true;
    }
    if (k == "concat") {
      for (const auto& part : v)
        if (!selectors(part, out)) return false;
      return true;
    }
    return false;
  }

  static std::string expr_text(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::Atom:
        return e.text;
      case Expr::Kind::SetRef:
        return "@" + e.text;
      case Expr::Kind::Range:
        return expr_text(e.items[0]) + "-" + expr_text(e.items[1]);
      case Expr::Kind::Concat:
      case Expr::Kind::List:
      case Expr::Kind::Set: {
        std::string out;
        const char* sep = e.kind == Expr::Kind::Concat ? " . " : ", ";
        for (const auto& i : e.items) out += (out.empty() ? "" : sep) + expr_text(i);
        return e.kind == Expr::Kind::Set ? "{ " + out + " }" : out;
      }
      case Expr::Kind::MapElem:
        return expr_text(e.items[0]) + " : " + expr_text(e.items[1]);
      case Expr::Kind::BitOr: {
        std::string out;
        for (const auto& i : e.items) out += (out.empty() ? "" : " | ") + expr_text(i);
        return out;
      }
      default:
        return e.text;
    }
  }

  Stmt statement(const json& st) {
    Stmt s;
    if (!st.is_object() || st.size() != 1) {
      s.text = st.dump();
      return s;
    }
    auto st_it = st.begin();
    const std::string k = st_it.key();
    const json& v = st_it.value();
    if (k == "match") {
      std::string op = str(v, "op", "==");
      std::vector<std::string> sels;
      // A masked selector {"&": [selector, mask]} (tcp flags & (syn | ack) == syn).
      const json* left = &v.at("left");
      std::string mask_text;
      if (left->is_object() && left->size() == 1 && left->contains("&") && (*left)["&"].is_array() &&
          (*left)["&"].size() == 2) {
        s.selector_complex = true;
        s.selector_ops.emplace_back("&", value((*left)["&"][1]));
        mask_text = fmt::format(" & ({})", expr_text(s.selector_ops.back().second));
        left = &(*left)["&"][0];
      }
      if (!selectors(*left, sels)) {
        s = Stmt();
        s.text = st.dump();
        return s;
      }
      s.kind = StmtKind::Match;
      s.selectors = sels;
      s.op = op == "==" || op == "in" ? "" : op;
      // On a bitmask (tcp flags) "in" is the implicit "any of these bits" and "==" an
      // equality; "!" is "none of these bits".
      bool flags = sels.size() == 1 && sels[0] == "tcp flags";
      if (flags && op == "==") s.op = "==";
      s.rhs = value(v.at("right"));
      std::string joined;
      for (const auto& sel : sels) joined += (joined.empty() ? "" : " . ") + sel;
      s.text = fmt::format("{}{}{} {}", joined, mask_text, s.op.empty() ? "" : " " + s.op, expr_text(s.rhs));
      if (op != "==" && op != "in" && op != "!=" && op != "<" && op != ">" && op != "<=" && op != ">=" &&
          !(flags && op == "!")) {
        s.kind = StmtKind::Unknown;
      }
      return s;
    }
    if (is_verdict_key(k)) {
      s.kind = StmtKind::Verdict;
      s.verdict = verdict(k, v);
      s.text = k == "jump" || k == "goto" ? k + " " + s.verdict.chain : k;
      return s;
    }
    if (k == "vmap") {
      s.kind = StmtKind::Vmap;
      if (!selectors(v.at("key"), s.selectors)) s.selectors.clear();
      s.rhs = value(v.at("data"));
      s.text = fmt::format("vmap {}", expr_text(s.rhs));
      return s;
    }
    s.text = k;
    if (k == "reject")
      s.kind = StmtKind::Reject;
    else if (k == "counter" || k == "log" || k == "mangle" || k == "comment")
      s.kind = StmtKind::Counter;
    else if (k == "limit" || k == "quota") {
      s.kind = StmtKind::Limit;
      s.text = fmt::format("{} {}", k, v.dump());
    } else if (k == "notrack")
      s.kind = StmtKind::Notrack;
    else if (k == "dnat" || k == "snat" || k == "masquerade" || k == "redirect") {
      s.kind = StmtKind::Nat;
      s.nat_kind = k;
      std::string addr = v.is_object() ? str(v, "addr") : "";
      std::string port = v.is_object() ? str(v, "port") : "";
      if (!addr.empty() || !port.empty()) s.text = fmt::format("{} to {}{}{}", k, addr, port.empty() ? "" : ":", port);
      // Map lookups and expressions as targets: "to <json>" does not read as an address
      // or port, so the lowering makes the rewrite unknown (as for the text form).
      bool complex = v.is_object() && ((v.contains("addr") && !v["addr"].is_string()) ||
                                       (v.contains("port") && !v["port"].is_number_integer()));
      if (complex) s.text = fmt::format("{} to {}", k, v.dump());
    } else if (k == "set" || k == "map") {
      s.kind = StmtKind::SetUpdate;
      s.rhs.kind = Expr::Kind::SetRef;
      std::string name = v.is_object() ? str(v, "set") : "";
      s.rhs.text = !name.empty() && name[0] == '@' ? name.substr(1) : name;
    } else {
      s.kind = StmtKind::Unknown;
      s.text = st.dump();
      if (k == "xt" && v.is_object() && str(v, "type") == "target") s.text = "xt target " + str(v, "name");
    }
    return s;
  }

  static std::optional<std::uint64_t> number(const json& j, const char* key) {
    if (j.contains(key) && j[key].is_number_unsigned()) return j[key].get<std::uint64_t>();
    return std::nullopt;
  }

  // A rule of the listing ("rule" item: its "handle" is its own) or of an add, insert or
  // replace command, where "handle" and "index" name the rule it goes next to or replaces
  // [libnftables-json(5); nft 1.0.6, run: add ignores them and appends, insert puts the
  // rule before that one, replace keeps the handle].
  void rule(const json& r, std::size_t index, const std::string& verb = "") {
    std::string family = str(r, "family", "ip"), table = str(r, "table"), chain = str(r, "chain");
    ChainModel* c = model_.chain(family, table, chain);
    std::size_t at = position_of_rule(index);
    if (!c) {
      error_at_byte(at, fmt::format("rule for chain {} {} {}, which is not declared", family, table, chain));
      return;
    }
    auto handle = number(r, "handle"), rule_index = number(r, "index");
    std::optional<std::size_t> place;  // where the rule goes in the chain
    std::optional<std::size_t> replaced;
    std::string where = handle       ? fmt::format("\"handle\": {}", *handle)
                        : rule_index ? fmt::format("\"index\": {}", *rule_index)
                                     : "";
    auto unknown_handle = [&](const char* outcome) {
      error_at_byte(at,
                    fmt::format("{} rule {}: no rule of chain {} {} {} is known to have handle {} (no rule of the file "
                                "has it): {}",
                                verb, where, family, table, chain, *handle, outcome),
                    "FWM091");
    };
    if (verb == "replace") {
      if (!handle) {
        error_at_byte(at, "replace rule without a \"handle\": nothing to replace");
        return;
      }
      replaced = c->rule_with_handle(*handle);
      if (!replaced) {
        unknown_handle("not applied");
        return;
      }
    } else if (verb == "insert" && handle) {
      place = c->rule_with_handle(*handle);
      if (!place) {
        unknown_handle("the rule is inserted at the start of the chain instead");
        place = 0;
      }
    } else if (verb == "insert" && rule_index) {
      if (*rule_index >= c->rules.size()) {
        error_at_byte(at,
                      fmt::format("insert rule \"index\": {}: chain {} {} {} has {} rules at this point (nft: Could "
                                  "not process rule: No such file or directory)",
                                  *rule_index, family, table, chain, c->rules.size()));
        return;
      }
      place = static_cast<std::size_t>(*rule_index);
    } else if (verb == "insert") {
      place = 0;
    } else if (verb == "add" && !where.empty()) {
      error_at_byte(at,
                    fmt::format("add rule with {}: nft 1.0.6 appends the rule at the end of the chain, later versions "
                                "may place it after that rule: appended at the end",
                                where),
                    "FWM091");
    }
    RuleModel rm;
    rm.span = span_at(at);
    std::string text;
    for (const auto& st : r.value("expr", json::array())) {
      Stmt s = statement(st);
      text += (text.empty() ? "" : " ") + s.text;
      if (s.kind == StmtKind::Unknown && !rm.stmts.empty() && rm.stmts.back().kind == StmtKind::Unknown) {
        rm.stmts.back().text += " " + s.text;
        continue;
      }
      rm.stmts.push_back(std::move(s));
    }
    if (r.contains("comment") && r["comment"].is_string()) {
      std::string comment = r["comment"].get<std::string>();
      text += fmt::format(" comment \"{}\"", comment);
      auto pos = comment.find("fwmatrix:");
      if (pos != std::string::npos) {
        std::string rest = comment.substr(pos);
        auto reason = rest.find("--");
        if (reason != std::string::npos) rest = rest.substr(0, reason);
        for (std::size_t i = rest.find("FWM"); i != std::string::npos; i = rest.find("FWM", i + 1))
          if (i + 6 <= rest.size()) rm.suppressions.push_back(rest.substr(i, 6));
      }
    }
    rm.text = text;
    if (verb.empty()) rm.handle = handle;  // a listed rule: its own handle
    if (replaced) {
      rm.handle = handle;  // the kernel keeps the handle of a replaced rule
      c->rules[*replaced] = std::move(rm);
    } else if (place) {
      c->rules.insert(c->rules.begin() + static_cast<std::ptrdiff_t>(*place), std::move(rm));
    } else {
      c->rules.push_back(std::move(rm));
    }
  }

  void delete_rule(const json& r, std::size_t index) {
    std::string family = str(r, "family", "ip"), table = str(r, "table"), chain = str(r, "chain");
    std::size_t at = position_of_rule(index);
    ChainModel* c = model_.chain(family, table, chain);
    auto handle = number(r, "handle");
    if (!c || !handle) {
      error_at_byte(
          at, c ? std::string("delete rule without a \"handle\"")
                : fmt::format("chain {} {} {} does not exist (nft: No such file or directory)", family, table, chain));
      return;
    }
    auto found = c->rule_with_handle(*handle);
    if (!found) {
      error_at_byte(at,
                    fmt::format("delete rule \"handle\": {}: no rule of chain {} {} {} is known to have handle {} (no "
                                "rule of the file has it): not applied",
                                *handle, family, table, chain, *handle),
                    "FWM091");
      return;
    }
    c->rules.erase(c->rules.begin() + static_cast<std::ptrdiff_t>(*found));
  }

  // An element of an "elem" list: a map's [key, value] pairs, a set's values.
  Expr set_element(const SetModel& s, const json& item) {
    return s.is_map && item.is_array() && item.size() == 2 ? map_elem(item) : value(item);
  }

  void add_elements(const json& e) {
    std::size_t at = position_of_object("element", element_no_++);
    SetModel* s = model_.set(str(e, "family", "ip"), str(e, "table"), str(e, "name"));
    if (!s) {
      error_at_byte(
          at, fmt::format("set {} {} {} does not exist", str(e, "family", "ip"), str(e, "table"), str(e, "name")));
      return;
    }
    if (!e.contains("elem")) return;
    const json& elems = e["elem"];
    for (const auto& item : elems.is_array() ? elems : json::array({elems}))
      s->elements.push_back(set_element(*s, item));
  }

  // delete element: removes the elements with the same key text (as the text form does).
  void delete_elements(const json& e) {
    std::string family = str(e, "family", "ip"), table = str(e, "table"), name = str(e, "name");
    SetModel* s = model_.set(family, table, name);
    std::size_t at = position_of_object("element", element_no_++);
    if (!s) {
      error_at_byte(at, fmt::format("set {} {} {} does not exist", family, table, name));
      return;
    }
    if (!e.contains("elem")) return;
    const json& elems = e["elem"];
    for (const auto& item : elems.is_array() ? elems : json::array({elems})) {
      Expr element = set_element(*s, item);
      if (s->remove_element(element)) continue;
      std::string key = element_key_text(element);
      if (s->dynamic) {
        error_at_byte(at,
                      fmt::format("delete element: {} is not among the listed elements of {} {} {}, which is filled at "
                                  "run time: nothing removed for it",
                                  key, family, table, name),
                      "FWM091");
      } else {
        error_at_byte(at,
                      fmt::format("delete element: {} {} {} has no element {} (nft: Could not process rule: No such "
                                  "file or directory)",
                                  family, table, name, key));
      }
    }
  }

  void command(const std::string& verb, const json& body, std::size_t& rule_no) {
    if (!body.is_object() || body.size() != 1) return;
    auto body_it = body.begin();
    const std::string k = body_it.key();
    const json& v = body_it.value();
    if (verb == "add" && k == "element") {
      add_elements(v);
      return;
    }
    if (verb == "add" || verb == "insert" || (verb == "replace" && k == "rule")) {
      if (k == "table")
        table(v);
      else if (k == "chain")
        chain(v, position_of_object("chain", 0));
      else if (k == "set" || k == "map")
        set(v, k == "map");
      else if (k == "rule")
        rule(v, rule_no++, verb);
      return;
    }
    if (verb == "delete" && k == "rule") {
      delete_rule(v, rule_no++);
      return;
    }
    if (verb == "delete" && k == "element") {
      delete_elements(v);
      return;
    }
    if (verb == "flush" && k == "ruleset") {
      model_.clear();
      return;
    }
    if (verb == "delete" && k == "table") {
      model_.drop_table(str(v, "family", "ip"), str(v, "name"));
      return;
    }
    error_at_byte(0, fmt::format("JSON command \"{}\" on \"{}\" is read but not applied", verb, k), "FWM091");
  }

  const TextFile& file_;
  Model& model_;
  std::vector<std::size_t> rule_offsets_;
  std::size_t element_no_ = 0;  // "element" objects seen (delete element), for positions
};

}  // namespace

Model parse_json(const TextFile& file) {
  Model model;
  model.line_count = static_cast<std::size_t>(std::count(file.text.begin(), file.text.end(), '\n')) + 1;
  JsonReader reader(file, model);
  reader.run();
  for (const auto& c : model.chains)
    for (const auto& r : c.rules)
      for (const auto& s : r.stmts)
        if (s.kind == StmtKind::SetUpdate)
          if (SetModel* set = model.set(c.family, c.table, s.rhs.text)) set->dynamic = true;
  return model;
}

}  // namespace fwm::nftables
