// respool::Script: a Lua script run by its SHA1 (EVALSHA), loaded on demand.
//
//   static const respool::Script incr_by{"return redis.call('INCRBY', KEYS[1], ARGV[1])"};
//   respool::Resp r = incr_by.run(*pool, {"counter"}, {"5"});   // 5, 10, ...
//
// run() sends EVALSHA sha1 numkeys keys... args... . Only when the server
// answers NOSCRIPT (it has never seen the script, or lost it: SCRIPT FLUSH,
// a restart, a failover to a replica that never saw it) it sends the script
// itself with EVAL, which runs it and leaves it in the server's script cache
// for the next EVALSHA. NOSCRIPT means the script did not run, so it runs
// once. Nothing is sent again after an I/O error (a timeout, a lost
// connection): the script may have run. Pool::cmd's own rule applies to
// each command (sent again on another connection only when no byte of it
// was written).
//
// EVAL rather than SCRIPT LOAD + EVALSHA: one round trip instead of two,
// and on a Cluster it is routed exactly like the EVALSHA it replaces, so
// the node that said NOSCRIPT (whichever it is, after any redirect) is the
// one that gets the script.
//
// Thread-safety: a Script is immutable after construction; run() may be
// called from any number of threads at once (on a Client: that Client's
// one user). Blocking: run() blocks like one Pool::cmd (Cluster::cmd,
// Client::cmd), twice after a NOSCRIPT, plus the script's own run time on
// the server (bounded by the connection's read timeout).
#pragma once

#include <string>
#include <string_view>

#include "respool/client.hpp"
#include "respool/cluster.hpp"
#include "respool/pool.hpp"
#include "respool/resp.hpp"
#include "respool/string_list.hpp"

namespace respool {

class Script {
 public:
  // Computes the SHA1 of `source` here (the server's script cache is keyed
  // by it); nothing is sent.
  explicit Script(std::string source);

  const std::string& source() const noexcept { return source_; }
  // 40 lower-case hex digits, as SCRIPT LOAD returns them. Empty only when
  // this process's crypto library refuses SHA1 (a strict FIPS setup): run()
  // then always sends EVAL.
  const std::string& sha1() const noexcept { return sha1_; }

  // The script's reply: its value, a server_error (the script's error, or a
  // refusal), or an io_error as from Pool::cmd. On a Cluster the command is
  // routed by its keys (all in one slot, else errc::cross_slot with nothing
  // sent; no key: any primary) and follows redirects like Cluster::cmd.
  Resp run(Pool& pool, const StringList& keys = {}, const StringList& args = {}) const;
  Resp run(Cluster& cluster, const StringList& keys = {}, const StringList& args = {}) const;
  Resp run(Client& client, const StringList& keys = {}, const StringList& args = {}) const;

 private:
  std::string source_;
  std::string sha1_;
};

}  // namespace respool
