// Where the keys of a command are: from the server's COMMAND reply (key
// specs on Redis 7+, first/last/step before), with a built-in table as the
// fallback, so module commands and commands newer than this library route
// right once COMMAND has been read.
//
// Thread-safety: a CommandTable is immutable once built; share it freely.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "respool/resp.hpp"
#include "respool/result.hpp"

namespace respool::cluster {

// The arguments of one encoded command (a RESP array of bulk strings), as
// views into `encoded`. False (argv left empty) when `encoded` is not exactly
// one such array.
bool split_encoded(std::string_view encoded, std::vector<std::string_view>& argv);

class CommandTable {
 public:
  // The built-in table: every Redis 7.0 command that takes keys, and the
  // read-only flag of each.
  static std::shared_ptr<const CommandTable> builtin();
  // Built from a COMMAND reply (RESP2 or RESP3; Redis 7 key specs when
  // present, first/last/step otherwise; subcommands as "name|sub").
  // Commands the reply leaves out fall back to the built-in table.
  static Result<std::shared_ptr<const CommandTable>> from_command_reply(const Resp& reply);

  // Appends the keys of `argv` (argv[0] is the command name, any case) to
  // `keys`. A command this table doesn't know is taken as keyless.
  void keys(std::span<const std::string_view> argv, std::vector<std::string_view>& keys) const;
  // True when the command only reads (COMMAND's "readonly" flag), so a
  // replica may serve it. Unknown commands: false.
  bool is_readonly(std::span<const std::string_view> argv) const;
  // True when the table knows the command (subcommand included).
  bool knows(std::span<const std::string_view> argv) const;

  struct Spec;  // defined in cluster/key_spec.hpp
  ~CommandTable();
  CommandTable();

 private:
  // Heterogeneous lookup: find() looks names up from a stack buffer, with
  // no std::string made per call.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  const Spec* find(std::span<const std::string_view> argv) const;
  std::unordered_map<std::string, std::unique_ptr<Spec>, NameHash, std::equal_to<>>
      specs_;  // lower-case "name" or "name|sub"
};

}  // namespace respool::cluster
