// Where a command's keys are (see command_keys.hpp).
//
// keys() follows the server's own search (db.c, getKeysUsingKeySpecs, with
// partial results): each key spec found independently, a spec whose search
// fails (keyword absent, a bad key count, out of range) adding nothing, and
// specs flagged not_key (SPUBLISH's channel) skipped, as COMMAND GETKEYS
// skips them. The movable-key commands (EVAL*, FCALL*, ZUNION*, ZINTER*,
// ZDIFF*, *INTERCARD, *MPOP, XREAD*, GEORADIUS* STORE) are all described by
// their 7.0 key specs (keynum or keyword searches); SORT's STORE and
// MIGRATE's KEYS are not, and follow a Rule instead.
//
// The hot path (find, keys, is_readonly) lower-cases the name into a stack
// buffer and looks it up without allocating.
#include "cluster/command_keys.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/key_spec.hpp"
#include "cluster/reply_fields.hpp"
#include "common/ascii.hpp"
#include "resp/wire_numbers.hpp"

namespace respool::cluster {
namespace {

using detail::Begin;
using detail::Find;
using detail::KeySpec;
using detail::Rule;
using respool::detail::iequals;

constexpr char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower_copy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

Rule rule_for(std::string_view lower_name) noexcept {
  if (lower_name == "sort") return Rule::sort;
  if (lower_name == "migrate") return Rule::migrate;
  return Rule::specs;
}

// One key spec's keys, appended; nothing when its search fails.
void spec_keys(const KeySpec& k, std::span<const std::string_view> argv, std::vector<std::string_view>& out) {
  if (k.not_key) return;
  const auto argc = static_cast<std::int64_t>(argv.size());
  std::int64_t first = 0;
  switch (k.begin) {
    case Begin::index: first = k.pos; break;
    case Begin::keyword: {
      const std::int64_t start = k.pos > 0 ? k.pos : argc + k.pos;
      const std::int64_t end = k.pos > 0 ? argc - 1 : 0;
      for (std::int64_t i = start; i != end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (iequals(argv[i], k.keyword)) {
          first = i + 1;
          break;
        }
      }
      if (first == 0) return;
      break;
    }
    case Begin::unknown: return;
  }
  if (first < 1) return;
  std::int64_t last = 0;
  std::int64_t step = 1;
  switch (k.find) {
    case Find::range:
      step = k.b;
      if (k.a >= 0) {
        last = first + k.a;
      } else if (k.c == 0) {
        last = argc + k.a;
      } else {
        last = first + ((argc - first) / k.c + k.a);
      }
      break;
    case Find::keynum: {
      step = k.c;
      if (k.a < 0 || k.a >= argc - first) return;
      const std::string_view n = argv[first + k.a];
      std::int64_t numkeys = 0;
      if (!respool::detail::parse_int64(n.data(), n.size(), numkeys) || numkeys < 0) return;
      first += k.b;
      if (numkeys > argc) return;  // also keeps the sum below from overflowing
      last = first + numkeys - 1;
      break;
    }
    case Find::unknown: return;
  }
  if (last >= argc || last < first || first >= argc) return;
  step = std::max<std::int64_t>(step, 1);
  for (std::int64_t i = first; i <= last; i += step) out.push_back(argv[i]);
}

// SORT key [BY p] [LIMIT o c] [GET p ...] [ASC|DESC] [ALPHA] [STORE dst]:
// as sortGetKeys, the last STORE's argument is a key too.
void sort_keys(std::span<const std::string_view> argv, std::vector<std::string_view>& out) {
  if (argv.size() < 2) return;
  out.push_back(argv[1]);
  std::size_t store = 0;
  for (std::size_t i = 2; i < argv.size(); ++i) {
    if (iequals(argv[i], "limit")) {
      i += 2;
    } else if (iequals(argv[i], "get") || iequals(argv[i], "by")) {
      i += 1;
    } else if (iequals(argv[i], "store") && i + 1 < argv.size()) {
      store = ++i;
    }
  }
  if (store != 0) out.push_back(argv[store]);
}

// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw]
// [AUTH2 user pw] [KEYS key ...]: as migrateGetKeys.
void migrate_keys(std::span<const std::string_view> argv, std::vector<std::string_view>& out) {
  if (argv.size() < 4) return;
  for (std::size_t i = 6; i < argv.size(); ++i) {
    if (iequals(argv[i], "keys")) {
      if (!argv[3].empty()) return;  // the server refuses KEYS with a key
      for (std::size_t j = i + 1; j < argv.size(); ++j) out.push_back(argv[j]);
      return;
    }
    if (iequals(argv[i], "auth")) {
      i += 1;
    } else if (iequals(argv[i], "auth2")) {
      i += 2;
    }
  }
  out.push_back(argv[3]);
}

// --- reading a COMMAND reply ---------------------------------------------

bool is_pairs(const Resp* r) {
  return r && (r->type() == Resp::Type::map || r->type() == Resp::Type::array) &&
         r->elements().size() % 2 == 0;
}

bool is_list(const Resp& r) { return r.type() == Resp::Type::array || r.type() == Resp::Type::set; }

// An integer field small enough for argv arithmetic.
bool small_int(const Resp* r, int& out) {
  if (!r || r->type() != Resp::Type::integer) return false;
  const std::int64_t v = *r->integer();
  if (v < -(1 << 20) || v > (1 << 20)) return false;
  out = static_cast<int>(v);
  return true;
}

bool has_flag(const Resp& flags, std::string_view name) {
  for (const Resp& f : flags.elements()) {
    const auto s = f.bytes();
    if (s && iequals(*s, name)) return true;
  }
  return false;
}

// One key spec (a map, or a flat array in RESP2). False: wrong shape.
bool read_key_spec(const Resp& r, KeySpec& k) {
  if (!is_pairs(&r)) return false;
  if (const Resp* flags = field(r, "flags")) {
    if (!is_list(*flags)) return false;
    k.not_key = has_flag(*flags, "not_key");
    k.incomplete = has_flag(*flags, "incomplete");
  }
  const Resp* bs = field(r, "begin_search");
  const Resp* fk = field(r, "find_keys");
  if (!is_pairs(bs) || !is_pairs(fk)) return false;
  const Resp* bs_type = field(*bs, "type");
  const Resp* bs_spec = field(*bs, "spec");
  const Resp* fk_type = field(*fk, "type");
  const Resp* fk_spec = field(*fk, "spec");
  if (!bs_type || !bs_type->bytes() || !fk_type || !fk_type->bytes()) return false;
  // "unknown" specs carry an empty spec (an empty array even in RESP3).
  const std::string_view bt = *bs_type->bytes();
  if (bt == "index") {
    if (!is_pairs(bs_spec) || !small_int(field(*bs_spec, "index"), k.pos)) return false;
    k.begin = Begin::index;
  } else if (bt == "keyword") {
    if (!is_pairs(bs_spec)) return false;
    const Resp* word = field(*bs_spec, "keyword");
    if (!word || !word->bytes() || !small_int(field(*bs_spec, "startfrom"), k.pos)) return false;
    k.keyword = std::string(*word->bytes());
    k.begin = Begin::keyword;
  } else {
    k.begin = Begin::unknown;
  }
  const std::string_view ft = *fk_type->bytes();
  if (ft == "range") {
    if (!is_pairs(fk_spec) || !small_int(field(*fk_spec, "lastkey"), k.a) ||
        !small_int(field(*fk_spec, "keystep"), k.b) || !small_int(field(*fk_spec, "limit"), k.c)) {
      return false;
    }
    k.find = Find::range;
  } else if (ft == "keynum") {
    if (!is_pairs(fk_spec) || !small_int(field(*fk_spec, "keynumidx"), k.a) ||
        !small_int(field(*fk_spec, "firstkey"), k.b) || !small_int(field(*fk_spec, "keystep"), k.c)) {
      return false;
    }
    k.find = Find::keynum;
  } else {
    k.find = Find::unknown;
  }
  return true;
}

using SpecMap = std::unordered_map<std::string, std::unique_ptr<CommandTable::Spec>>;

// One COMMAND entry: [name, arity, flags, first, last, step, acl categories,
// tips, key specs, subcommands] (Redis 7; older servers send the first six
// or seven). Its subcommands are added too; the names of movable-key
// commands with no key specs go to `movable`. False: wrong shape.
bool read_command(const Resp& r, SpecMap& out, std::vector<std::string>& movable, int depth) {
  if (r.type() != Resp::Type::array || depth > 2) return false;
  const auto& e = r.elements();
  if (e.size() < 6) return false;
  const auto name_bytes = e[0].bytes();
  if (!name_bytes || name_bytes->empty() || !is_list(e[2])) return false;
  int first = 0, last = 0, step = 0;
  if (!small_int(&e[3], first) || !small_int(&e[4], last) || !small_int(&e[5], step)) return false;
  std::string name = lower_copy(*name_bytes);

  auto spec = std::make_unique<CommandTable::Spec>();
  spec->readonly = has_flag(e[2], "readonly");
  spec->rule = rule_for(name);
  const Resp* key_specs = e.size() > 8 ? &e[8] : nullptr;
  if (key_specs && !is_list(*key_specs)) return false;
  if (key_specs && !key_specs->elements().empty()) {
    for (const Resp& ks : key_specs->elements()) {
      KeySpec k;
      if (!read_key_spec(ks, k)) return false;
      spec->key_specs.push_back(std::move(k));
    }
  } else {
    // No key specs (before Redis 7): first/last/step, except for commands
    // flagged movablekeys, whose keys the built-in table knows better.
    if (has_flag(e[2], "movablekeys")) movable.push_back(name);
    if (first > 0) {
      KeySpec k;
      k.begin = Begin::index;
      k.pos = first;
      k.find = Find::range;
      k.a = last >= 0 ? last - first : last;
      k.b = step;
      spec->key_specs.push_back(std::move(k));
    }
  }
  if (e.size() > 9) {
    if (!is_list(e[9])) return false;
    for (const Resp& sub : e[9].elements()) {
      if (!read_command(sub, out, movable, depth + 1)) return false;
    }
  }
  out.insert_or_assign(std::move(name), std::move(spec));
  return true;
}

// Marks the commands that have subcommand entries, so that find() looks a
// plain command up once.
template <class Map>
void mark_containers(Map& specs) {
  for (const auto& [name, spec] : specs) {
    const auto bar = name.find('|');
    if (bar == std::string::npos) continue;
    const auto it = specs.find(std::string_view(name).substr(0, bar));
    if (it != specs.end()) it->second->container = true;
  }
}

}  // namespace

bool split_encoded(std::string_view encoded, std::vector<std::string_view>& argv) {
  argv.clear();
  std::size_t i = 0;
  // A length line: `prefix` digits CR LF; no length can exceed the input.
  auto length = [&](char prefix, std::size_t& n) {
    if (i >= encoded.size() || encoded[i] != prefix) return false;
    const std::size_t start = ++i;
    n = 0;
    while (i < encoded.size() && encoded[i] >= '0' && encoded[i] <= '9') {
      n = n * 10 + static_cast<std::size_t>(encoded[i] - '0');
      if (n > encoded.size()) return false;
      ++i;
    }
    if (i == start || encoded.size() - i < 2 || encoded[i] != '\r' || encoded[i + 1] != '\n') return false;
    i += 2;
    return true;
  };
  std::size_t count = 0;
  if (!length('*', count) || count == 0) return false;
  argv.reserve(count);
  for (std::size_t k = 0; k < count; ++k) {
    std::size_t n = 0;
    if (!length('$', n) || encoded.size() - i < n + 2 || encoded[i + n] != '\r' ||
        encoded[i + n + 1] != '\n') {
      argv.clear();
      return false;
    }
    argv.push_back(encoded.substr(i, n));
    i += n + 2;
  }
  if (i != encoded.size()) {
    argv.clear();
    return false;
  }
  return true;
}

CommandTable::CommandTable() = default;
CommandTable::~CommandTable() = default;

std::shared_ptr<const CommandTable> CommandTable::builtin() {
  static const std::shared_ptr<const CommandTable> table = [] {
    auto t = std::make_shared<CommandTable>();
    for (const detail::BuiltinCommand& c : detail::builtin_commands()) {
      auto spec = std::make_unique<Spec>();
      spec->readonly = c.readonly;
      spec->rule = rule_for(c.name);
      for (std::size_t i = 0; i < c.spec_count; ++i) {
        const detail::BuiltinKeySpec& b = c.specs[i];
        KeySpec k;
        k.begin = b.begin;
        k.find = b.find;
        k.not_key = (b.flags & 1) != 0;
        k.incomplete = (b.flags & 2) != 0;
        k.pos = b.pos;
        if (b.keyword) k.keyword = b.keyword;
        k.a = b.a;
        k.b = b.b;
        k.c = b.c;
        spec->key_specs.push_back(std::move(k));
      }
      t->specs_.emplace(c.name, std::move(spec));
    }
    mark_containers(t->specs_);
    return t;
  }();
  return table;
}

Result<std::shared_ptr<const CommandTable>> CommandTable::from_command_reply(const Resp& reply) {
  if (!is_list(reply)) return errc::protocol_error;
  SpecMap read;
  std::vector<std::string> movable;
  for (const Resp& entry : reply.elements()) {
    if (!read_command(entry, read, movable, 0)) return errc::protocol_error;
  }
  const auto base = builtin();
  for (const std::string& name : movable) {
    const auto known = base->specs_.find(name);
    if (known != base->specs_.end()) {
      Spec& s = *read[name];
      s.key_specs = known->second->key_specs;
      s.rule = known->second->rule;
    }
  }
  auto t = std::make_shared<CommandTable>();
  for (auto& [name, spec] : read) t->specs_.emplace(name, std::move(spec));
  for (const auto& [name, spec] : base->specs_) {
    if (!t->specs_.contains(name)) t->specs_.emplace(name, std::make_unique<Spec>(*spec));
  }
  mark_containers(t->specs_);
  return std::shared_ptr<const CommandTable>(std::move(t));
}

const CommandTable::Spec* CommandTable::find(std::span<const std::string_view> argv) const {
  if (argv.empty()) return nullptr;
  char buf[64];
  const std::string_view name = argv[0];
  if (name.empty() || name.size() > sizeof buf) return nullptr;
  std::transform(name.begin(), name.end(), buf, lower);
  const auto it = specs_.find(std::string_view(buf, name.size()));
  const Spec* command = it != specs_.end() ? it->second.get() : nullptr;
  if (command && !command->container) return command;
  // A container ("XINFO") or a name only its subcommands are listed under
  // (the built-in table leaves keyless containers out): "name|sub" first.
  if (argv.size() >= 2 && name.size() + 1 + argv[1].size() <= sizeof buf) {
    buf[name.size()] = '|';
    std::transform(argv[1].begin(), argv[1].end(), buf + name.size() + 1, lower);
    const auto sub = specs_.find(std::string_view(buf, name.size() + 1 + argv[1].size()));
    if (sub != specs_.end()) return sub->second.get();
  }
  return command;
}

void CommandTable::keys(std::span<const std::string_view> argv, std::vector<std::string_view>& keys) const {
  const Spec* spec = find(argv);
  if (!spec) return;
  switch (spec->rule) {
    case Rule::sort: sort_keys(argv, keys); return;
    case Rule::migrate: migrate_keys(argv, keys); return;
    case Rule::specs: break;
  }
  for (const KeySpec& k : spec->key_specs) spec_keys(k, argv, keys);
}

bool CommandTable::is_readonly(std::span<const std::string_view> argv) const {
  const Spec* spec = find(argv);
  return spec && spec->readonly;
}

bool CommandTable::knows(std::span<const std::string_view> argv) const { return find(argv) != nullptr; }

}  // namespace respool::cluster
