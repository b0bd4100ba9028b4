// How a command's keys are found in its argv: the model of Redis 7's key
// specs (COMMAND DOCS "key_specs"), shared by the built-in table and the
// table read from a server's COMMAND reply.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cluster/command_keys.hpp"

namespace respool::cluster::detail {

// Where the search for a spec's keys starts.
enum class Begin : std::uint8_t {
  index,    // at argv[pos]
  keyword,  // after the first argv equal to the keyword (any case), scanning
            // from argv[pos] forwards (pos > 0) or from argv[argc + pos]
            // backwards (pos < 0)
  unknown,  // the server can't say (SORT's STORE): see Rule
};

// Which arguments from there are keys.
enum class Find : std::uint8_t {
  range,   // a = lastkey (>= 0: relative to the start; < 0: from the end of
           // argv, or with c = limit > 0, the first 1/limit of the rest),
           // b = keystep
  keynum,  // a = index of the key count relative to the start, b = first key
           // relative to the start, c = keystep
  unknown,
};

struct KeySpec {
  Begin begin = Begin::unknown;
  Find find = Find::unknown;
  bool not_key = false;     // e.g. SPUBLISH's channel: COMMAND GETKEYS skips it
  bool incomplete = false;  // may miss keys (MIGRATE's KEYS): see Rule
  int pos = 0;
  std::string keyword;
  int a = 0, b = 0, c = 0;
};

// Commands whose keys the key specs don't fully describe; found as the
// server's own getkeys functions (db.c) find them.
enum class Rule : std::uint8_t {
  specs,    // the key specs say it all
  sort,     // SORT: argv[1], plus the last STORE's destination (SORT_RO
            // needs none: its one key is its first spec's)
  migrate,  // MIGRATE: argv[3], or the arguments after KEYS when it is ""
};

// The built-in table's rows, as generated from a Redis 7.0 COMMAND reply.
struct BuiltinKeySpec {
  Begin begin;
  const char* keyword;  // Begin::keyword only
  std::int16_t pos;
  Find find;
  std::int16_t a, b, c;
  std::uint8_t flags;  // 1: not_key, 2: incomplete
};
struct BuiltinCommand {
  const char* name;  // lower case; "container|sub" for subcommands
  bool readonly;
  std::uint8_t spec_count;
  BuiltinKeySpec specs[3];
};
std::span<const BuiltinCommand> builtin_commands() noexcept;

}  // namespace respool::cluster::detail

namespace respool::cluster {

struct CommandTable::Spec {
  bool readonly = false;
  bool container = false;  // the table has "name|sub" entries for it
  detail::Rule rule = detail::Rule::specs;
  std::vector<detail::KeySpec> key_specs;
};

}  // namespace respool::cluster
