#include "redis_cluster.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace respool::test {
namespace {

using namespace std::chrono_literals;

using Reply = RawReply;

Reply parse(const std::string& s, size_t& pos) {
  const size_t eol = s.find("\r\n", pos);
  if (eol == std::string::npos) throw std::runtime_error("RedisCluster: truncated reply: " + s);
  Reply r;
  r.type = s[pos];
  const std::string head = s.substr(pos + 1, eol - pos - 1);
  pos = eol + 2;
  if (r.type == '$') {
    const long n = std::stol(head);
    if (n >= 0) {
      r.str = s.substr(pos, static_cast<size_t>(n));
      pos += static_cast<size_t>(n) + 2;
    }
  } else if (r.type == '*') {
    for (long n = std::stol(head); n > 0; --n) r.elems.push_back(parse(s, pos));
  } else {
    r.str = head;
  }
  return r;
}

Reply parse(const std::string& s) {
  size_t pos = 0;
  return parse(s, pos);
}

}  // namespace

RawReply parse_reply(const std::string& raw) { return parse(raw); }

namespace {

// "field:value" lines (CLUSTER INFO, INFO): the value, or "".
std::string field(const std::string& text, const std::string& name) {
  const size_t at = text.find(name + ":");
  if (at == std::string::npos || (at > 0 && text[at - 1] != '\n')) return "";
  const size_t start = at + name.size() + 1;
  return text.substr(start, text.find_first_of("\r\n", start) - start);
}

// A quoted inline-command argument: redis splits inline commands with
// sdssplitargs, which understands "..." with \xHH escapes.
std::string quote(const std::string& arg) {
  std::string out = "\"";
  for (unsigned char c : arg) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// One line of CLUSTER NODES.
struct NodeLine {
  std::string id;
  int port = 0;
  std::string flags, master, link;
  std::vector<std::string> slots;  // "0-5460", "5461"; migration markers "[...]" left out
  bool has(std::string_view flag) const {
    std::string_view f = flags;
    for (size_t at = 0; at <= f.size();) {
      const size_t comma = std::min(f.find(',', at), f.size());
      if (f.substr(at, comma - at) == flag) return true;
      at = comma + 1;
    }
    return false;
  }
};

std::vector<NodeLine> parse_nodes(const std::string& text) {
  std::vector<NodeLine> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    NodeLine n;
    std::string addr, ping, pong, epoch;
    if (!(words >> n.id >> addr >> n.flags >> n.master >> ping >> pong >> epoch >> n.link)) continue;
    const size_t colon = addr.rfind(':', addr.find('@'));
    n.port = colon == std::string::npos ? 0 : std::atoi(addr.c_str() + colon + 1);
    for (std::string s; words >> s;)
      if (s[0] != '[') n.slots.push_back(s);
    out.push_back(std::move(n));
  }
  return out;
}

// The value after `name` in a flat RESP2 map (CLUSTER SHARDS); an empty
// reply if absent.
const Reply& member(const Reply& map, std::string_view name) {
  static const Reply none;
  for (size_t i = 0; i + 1 < map.elems.size(); i += 2)
    if (map.elems[i].str == name) return map.elems[i + 1];
  return none;
}

int slot_count(const std::string& range) {
  const size_t dash = range.find('-');
  if (dash == std::string::npos) return 1;
  return std::stoi(range.substr(dash + 1)) - std::stoi(range.substr(0, dash)) + 1;
}

struct RunResult {
  int status = -1;
  std::string out, err;
};

// Run `argv` with stdin from /dev/null, collecting stdout and stderr.
RunResult run(const std::vector<std::string>& args) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("RedisCluster: pipe failed");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    throw std::runtime_error("RedisCluster: pipe failed");
  }
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  RunResult r;
  if (pid < 0) {
    ::close(out[0]);
    ::close(err[0]);
    throw std::runtime_error("RedisCluster: fork failed");
  }
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  for (int open = 2; open > 0;) {
    if (::poll(fds, 2, -1) < 0) continue;
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || fds[k].revents == 0) continue;
      char buf[4096];
      const ssize_t n = ::read(fds[k].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[k]->append(buf, static_cast<size_t>(n));
      } else {
        ::close(fds[k].fd);
        fds[k].fd = -1;
        --open;
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace

std::unique_ptr<RedisServer> RedisCluster::start_node() const {
  for (int attempt = 0;; ++attempt) {
    // The bus port by default is port + 10000, past 65535 for a high
    // ephemeral port: name a free one.
    const int port = free_port();
    int bus = free_port();
    while (bus == port) bus = free_port();
    RedisServerOptions o;
    o.port = port;
    // (RedisServer already runs with --save '' --appendonly no, in its own dir.)
    o.extra_args = {"--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    std::to_string(options_.node_timeout.count()),
                    "--cluster-port",
                    std::to_string(bus),
                    "--repl-diskless-sync-delay",  // the first sync starts at once, not after 5 s
                    "0",
                    "--repl-ping-replica-period",  // a new replica's offset leaves 0 within 1 s
                    "1"};
    o.extra_args.insert(o.extra_args.end(), options_.extra_args.begin(), options_.extra_args.end());
    try {
      return std::make_unique<RedisServer>(std::move(o));
    } catch (const std::exception&) {
      if (attempt == 4) throw;  // else a port was taken in the meantime: others
    }
  }
}

RedisCluster::RedisCluster(RedisClusterOptions options) : options_(std::move(options)) {
  const int count = options_.primaries * (1 + options_.replicas);
  for (int i = 0; i < count; ++i) nodes_.push_back(start_node());
  std::vector<std::string> args = {"--cluster", "create"};
  for (const auto& a : addrs()) args.push_back(a);
  args.insert(args.end(), {"--cluster-replicas", std::to_string(options_.replicas), "--cluster-yes"});
  cli(args);
  for (int i = 0; i < size(); ++i) ids_.push_back(parse(query(i, "CLUSTER MYID")).str);
  // A replica's offset stays 0 (CLUSTER SHARDS: "loading") until its
  // primary propagates something: a FLUSHALL of the empty primaries.
  wait_until([&] {
    int replicas = 0;
    for (int i = 0; i < size(); ++i)
      replicas += field(parse(query(i, "INFO replication")).str, "master_link_status") == "up";
    return replicas == options_.primaries * options_.replicas;
  });
  for (int p : primaries()) query(p, "FLUSHALL");
  wait_ok();
}

RedisCluster::~RedisCluster() {
  // SIGTERM all first, so the nodes shut down side by side.
  for (auto& n : nodes_)
    if (n->running()) ::kill(n->pid(), SIGTERM);
  nodes_.clear();
}

std::vector<std::reference_wrapper<RedisServer>> RedisCluster::nodes() const {
  std::vector<std::reference_wrapper<RedisServer>> out;
  for (auto& n : nodes_) out.emplace_back(*n);
  return out;
}

std::vector<std::string> RedisCluster::addrs() const {
  std::vector<std::string> out;
  for (auto& n : nodes_) out.push_back(n->addr());
  return out;
}

std::vector<std::string> RedisCluster::seeds() const {
  std::vector<std::string> out;
  for (auto& n : nodes_)
    if (n->running()) out.push_back(n->addr());
  return out;
}

std::string RedisCluster::seed() const { return node(first_running()).addr(); }

int RedisCluster::index_of_port(int port) const {
  for (int i = 0; i < size(); ++i)
    if (nodes_[static_cast<size_t>(i)]->port() == port) return i;
  return -1;
}

int RedisCluster::first_running() const {
  for (int i = 0; i < size(); ++i)
    if (nodes_[static_cast<size_t>(i)]->running()) return i;
  throw std::runtime_error("RedisCluster: no node is running");
}

std::string RedisCluster::query(int i, const std::string& line) const {
  std::string reply = node(i).raw_command(line, RedisServer::RawRead::until_complete);
  if (reply.starts_with("-"))
    throw std::runtime_error("RedisCluster: node " + std::to_string(i) + " " + line + ": " + reply);
  return reply;
}

RawReply RedisCluster::command(int i, const std::string& line) const { return parse(query(i, line)); }

std::string RedisCluster::node_id(int i) const { return ids_.at(static_cast<size_t>(i)); }

int RedisCluster::key_slot(const std::string& key) const {
  return std::stoi(parse(query(first_running(), "CLUSTER KEYSLOT " + quote(key))).str);
}

int RedisCluster::primary_for_slot(int slot) const {
  for (const Reply& range : parse(query(first_running(), "CLUSTER SLOTS")).elems)
    if (std::stoi(range.elems.at(0).str) <= slot && slot <= std::stoi(range.elems.at(1).str))
      return index_of_port(std::stoi(range.elems.at(2).elems.at(1).str));
  throw std::runtime_error("RedisCluster: no primary serves slot " + std::to_string(slot));
}

int RedisCluster::replica_of(int primary) const {
  const std::string id = node_id(primary);
  for (const NodeLine& n : parse_nodes(parse(query(first_running(), "CLUSTER NODES")).str))
    if (n.master == id && n.has("slave")) return index_of_port(n.port);
  throw std::runtime_error("RedisCluster: node " + std::to_string(primary) + " has no replica");
}

std::vector<int> RedisCluster::primaries() const {
  std::vector<int> out;
  for (const NodeLine& n : parse_nodes(parse(query(first_running(), "CLUSTER NODES")).str))
    if (n.has("master") && !n.slots.empty()) out.push_back(index_of_port(n.port));
  std::sort(out.begin(), out.end());
  return out;
}

std::string RedisCluster::cli(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"redis-cli"};
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult r = run(argv);
  if (r.status != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += " " + a;
    throw std::runtime_error("RedisCluster:" + cmd + " exited with " + std::to_string(r.status) + "\n" +
                             r.out + r.err);
  }
  return r.out;
}

void RedisCluster::begin_migration(int slot, int from, int to) {
  const std::string s = std::to_string(slot);
  query(to, "CLUSTER SETSLOT " + s + " IMPORTING " + node_id(from));
  query(from, "CLUSTER SETSLOT " + s + " MIGRATING " + node_id(to));
}

void RedisCluster::move_keys(int slot, int from, int to) {
  for (;;) {
    const Reply keys = parse(query(from, "CLUSTER GETKEYSINSLOT " + std::to_string(slot) + " 100"));
    if (keys.elems.empty()) return;
    std::string line = "MIGRATE 127.0.0.1 " + std::to_string(node(to).port()) + " \"\" 0 5000 REPLACE KEYS";
    for (const Reply& k : keys.elems) line += " " + quote(k.str);
    query(from, line);
  }
}

void RedisCluster::finish_migration(int slot, int to) {
  const std::string line = "CLUSTER SETSLOT " + std::to_string(slot) + " NODE " + node_id(to);
  query(to, line);  // first the new owner, which bumps its epoch
  for (const NodeLine& n : parse_nodes(parse(query(to, "CLUSTER NODES")).str)) {
    const int i = index_of_port(n.port);
    if (i != to && i >= 0 && n.has("master") && node(i).running()) query(i, line);
  }
  wait_ok();
}

void RedisCluster::migrate_slot(int slot, int from, int to) {
  begin_migration(slot, from, to);
  move_keys(slot, from, to);
  finish_migration(slot, to);
}

void RedisCluster::failover(int replica, std::string_view option) {
  query(replica, "CLUSTER FAILOVER " + std::string(option));
  const bool promoted = wait_until(
      [&] {
        try {
          return field(parse(query(replica, "INFO replication")).str, "role") == "master";
        } catch (const std::exception&) {
          return false;
        }
      },
      30s);
  if (!promoted)
    throw std::runtime_error("RedisCluster: node " + std::to_string(replica) + " not promoted in 30 s");
  wait_ok();
}

int RedisCluster::add_node(int replica_of_primary) {
  nodes_.push_back(start_node());
  const int i = size() - 1;
  ids_.push_back(parse(query(i, "CLUSTER MYID")).str);
  std::vector<std::string> args = {"--cluster", "add-node", node(i).addr(), seed()};
  if (replica_of_primary >= 0)
    args.insert(args.end(), {"--cluster-slave", "--cluster-master-id", node_id(replica_of_primary)});
  cli(args);
  wait_ok();
  return i;
}

void RedisCluster::reshard(int from, int to, int slots) {
  cli("--cluster", "reshard", node(from).addr(), "--cluster-from", node_id(from), "--cluster-to", node_id(to),
      "--cluster-slots", std::to_string(slots), "--cluster-yes");
  wait_ok();
}

std::string RedisCluster::disagreement() const {
  std::string first_nodes, first_slots;
  int first = -1;
  for (int i = 0; i < size(); ++i) {
    if (!node(i).running()) continue;
    const std::string at = "node " + std::to_string(i) + " (" + node(i).addr() + "): ";
    try {
      const std::string info = parse(query(i, "CLUSTER INFO")).str;
      if (field(info, "cluster_state") != "ok") return at + "cluster_state:" + field(info, "cluster_state");
      if (field(info, "cluster_known_nodes") != std::to_string(size()))
        return at + "cluster_known_nodes:" + field(info, "cluster_known_nodes");

      // Roles, primaries and slot owners as this node sees them; failure
      // flags only for the nodes that do run.
      const std::string nodes_text = parse(query(i, "CLUSTER NODES")).str;
      std::map<std::string, std::string> view;
      int covered = 0;
      bool am_replica = false;
      for (const NodeLine& n : parse_nodes(nodes_text)) {
        const int k = index_of_port(n.port);
        const bool running = k >= 0 && node(k).running();
        if (running && (n.has("fail") || n.has("fail?") || n.has("handshake") || n.has("noaddr") ||
                        (!n.has("myself") && n.link != "connected")))
          return at + "sees " + n.flags + " " + n.link + " for node " + std::to_string(k) + "\n" + nodes_text;
        std::string& v = view[n.id];
        if (running) v = n.has("master") ? "master" : "replica of " + n.master;
        for (const auto& s : n.slots) {
          v += " " + s;
          covered += slot_count(s);
        }
        if (n.has("myself")) am_replica = n.has("slave");
      }
      if (covered != kSlots) return at + std::to_string(covered) + " slots covered\n" + nodes_text;
      std::string nodes_view;
      for (const auto& [id, v] : view) nodes_view += id + " " + v + "\n";

      // CLUSTER SLOTS, what a client reads: ranges, primary, replicas.
      std::string slots_view;
      for (const Reply& range : parse(query(i, "CLUSTER SLOTS")).elems) {
        slots_view +=
            range.elems.at(0).str + "-" + range.elems.at(1).str + " " + range.elems.at(2).elems.at(1).str;
        std::vector<std::string> replicas;
        for (size_t r = 3; r < range.elems.size(); ++r) replicas.push_back(range.elems[r].elems.at(1).str);
        std::sort(replicas.begin(), replicas.end());
        for (const auto& r : replicas) slots_view += " " + r;
        slots_view += "\n";
      }
      // CLUSTER SHARDS says "loading" for a replica whose offset it has
      // seen as 0, and clients may skip those: every running node online.
      for (const Reply& shard : parse(query(i, "CLUSTER SHARDS")).elems)
        for (const Reply& n : member(shard, "nodes").elems) {
          const int k = index_of_port(std::atoi(member(n, "port").str.c_str()));
          if (k >= 0 && node(k).running() && member(n, "health").str != "online")
            return at + "CLUSTER SHARDS says " + member(n, "health").str + " for node " + std::to_string(k);
        }
      if (first < 0) {
        first = i;
        first_nodes = nodes_view;
        first_slots = slots_view;
      } else if (nodes_view != first_nodes) {
        return at + "CLUSTER NODES differs from node " + std::to_string(first) + ":\n" + nodes_view + "vs\n" +
               first_nodes;
      } else if (slots_view != first_slots) {
        return at + "CLUSTER SLOTS differs from node " + std::to_string(first) + ":\n" + slots_view + "vs\n" +
               first_slots;
      }
      if (am_replica) {
        const std::string repl = parse(query(i, "INFO replication")).str;
        if (field(repl, "master_link_status") != "up")
          return at + "master_link_status:" + field(repl, "master_link_status");
      }
    } catch (const std::exception& e) {
      return at + e.what();
    }
  }
  return first < 0 ? "no node is running" : "";
}

void RedisCluster::wait_ok(std::chrono::milliseconds limit) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const std::string why = disagreement();
    if (why.empty()) return;
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("RedisCluster: not ok after " + std::to_string(limit.count()) + " ms: " + why);
    std::this_thread::sleep_for(10ms);
  }
}

RedisCluster& shared_cluster() {
  static RedisCluster cluster;
  return cluster;
}

}  // namespace respool::test
