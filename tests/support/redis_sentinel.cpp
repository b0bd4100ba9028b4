#include "redis_sentinel.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <respool/respool.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace respool::test {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// One command on a fresh connection with 1 s timeouts; an io_error Resp
// when the connection fails.
template <class... Args>
Resp probe(const std::string& addr, std::string_view name, const Args&... args) {
  DialOptions o;
  o.connect_timeout = o.read_timeout = o.write_timeout = std::chrono::seconds(1);
  auto c = Client::dial("tcp", addr, o);
  if (!c) return Resp::io_error(c.error());
  return (*c)->cmd(name, args...);
}

}  // namespace

std::string info_value(const std::string& text, const std::string& field) {
  const auto at = text.find(field + ":");
  if (at == std::string::npos) return {};
  const auto start = at + field.size() + 1;
  const auto end = text.find_first_of("\r\n", start);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// --- SentinelProcess ------------------------------------------------------

SentinelProcess::SentinelProcess(std::string dir, int primary_port, const std::string& name)
    : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
  for (int attempt = 0;; ++attempt) {
    port_ = free_port();
    std::ofstream conf(dir_ + "/sentinel.conf", std::ios::trunc);
    conf << "port " << port_ << "\n"
         << "bind 127.0.0.1\n"
         << "daemonize no\n"
         << "dir " << dir_ << "\n"
         << "logfile " << dir_ << "/sentinel.log\n"
         << "sentinel resolve-hostnames no\n"
         << "sentinel monitor " << name << " 127.0.0.1 " << primary_port << " 2\n"
         << "sentinel down-after-milliseconds " << name << " 1000\n"
         << "sentinel failover-timeout " << name << " 3000\n"
         << "sentinel parallel-syncs " << name << " 1\n";
    conf.close();
    try {
      start();
      return;
    } catch (const std::exception&) {
      if (attempt == 4) throw;  // the port may have been taken meanwhile: another one
    }
  }
}

SentinelProcess::~SentinelProcess() { kill(); }

void SentinelProcess::start() {
  if (pid_ > 0) return;
  std::string conf = dir_ + "/sentinel.conf";
  char* argv[] = {const_cast<char*>("redis-sentinel"), conf.data(), nullptr};
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("SentinelProcess: fork failed");
  if (pid == 0) {
    ::execvp("redis-sentinel", argv);
    ::_exit(127);
  }
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("redis-sentinel exited at start; log:\n" + read_text(dir_ + "/sentinel.log"));
    }
    if (probe(addr(), "PING").str().value_or("") == "PONG") return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill();
  throw std::runtime_error("redis-sentinel did not answer PING within 10 s");
}

void SentinelProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

// --- RedisSentinelSetup ---------------------------------------------------

RedisSentinelSetup::RedisSentinelSetup() {
  char tmpl[] = "/tmp/respool-sentinel-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("RedisSentinelSetup: mkdtemp failed");
  dir_ = tmpl;
  try {
    // No 5 s wait before a full sync (the default delay lets more replicas
    // share one transfer): each one here is waited for.
    servers_.push_back(
        std::make_unique<RedisServer>(RedisServerOptions{.extra_args = {"--repl-diskless-sync-delay", "0"}}));
    const std::string primary_port = std::to_string(servers_[0]->port());
    servers_.push_back(std::make_unique<RedisServer>(RedisServerOptions{
        .extra_args = {"--repl-diskless-sync-delay", "0", "--replicaof", "127.0.0.1", primary_port}}));
    for (int i = 0; i < 3; ++i)
      sentinels_.push_back(
          std::make_unique<SentinelProcess>(dir_ + "/s" + std::to_string(i), servers_[0]->port(), kName));
    if (!wait_ready(servers_[0]->port())) {
      std::string logs;
      for (int i = 0; i < 3; ++i) logs += read_text(dir_ + "/s" + std::to_string(i) + "/sentinel.log");
      throw std::runtime_error("RedisSentinelSetup: sentinels not ready within 30 s; logs:\n" + logs);
    }
  } catch (...) {
    sentinels_.clear();
    servers_.clear();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
}

RedisSentinelSetup::~RedisSentinelSetup() {
  sentinels_.clear();  // first, so that no failover starts while the servers stop
  servers_.clear();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::vector<std::string> RedisSentinelSetup::sentinel_addrs() const {
  std::vector<std::string> out;
  for (const auto& s : sentinels_) out.push_back(s->addr());
  return out;
}

RedisServer* RedisSentinelSetup::primary() {
  for (auto& s : servers_) {
    if (s->running() && s->raw_command("ROLE").find("master") != std::string::npos) return s.get();
  }
  return nullptr;
}

RedisServer* RedisSentinelSetup::replica() {
  for (auto& s : servers_) {
    if (s->running() && s->raw_command("ROLE").find("slave") != std::string::npos) return s.get();
  }
  return nullptr;
}

int RedisSentinelSetup::sentinel_primary_port(int i) const {
  auto parts =
      probe(sentinels_.at(static_cast<std::size_t>(i))->addr(), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", kName)
          .list();
  return parts && parts->size() == 2 ? std::atoi((*parts)[1].c_str()) : 0;
}

RedisServer* RedisSentinelSetup::kill_primary() {
  RedisServer* p = primary();
  if (p != nullptr) p->kill();
  return p;
}

void RedisSentinelSetup::restart_as_replica(RedisServer& server) {
  server.start();
  const RedisServer* p = nullptr;
  for (const auto& s : servers_) {
    if (s.get() != &server && s->running() && s->raw_command("ROLE").find("master") != std::string::npos)
      p = s.get();
  }
  if (p != nullptr) server.raw_command("REPLICAOF 127.0.0.1 " + std::to_string(p->port()));
}

bool RedisSentinelSetup::wait_for_failover(int old_port, std::chrono::milliseconds limit) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    bool moved = true;
    for (std::size_t i = 0; i < sentinels_.size(); ++i) {
      if (!sentinels_[i]->running()) continue;
      const int port = sentinel_primary_port(static_cast<int>(i));
      moved = moved && port != 0 && port != old_port;
    }
    if (moved) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool RedisSentinelSetup::ready(int primary_port) const {
  for (const auto& s : sentinels_) {
    if (!s->running()) continue;
    auto master = probe(s->addr(), "SENTINEL", "MASTER", kName).map();
    if (!master) return false;
    const auto& m = *master;
    if (m.count("port") == 0 || std::atoi(m.at("port").c_str()) != primary_port) return false;
    if (m.count("flags") == 0 || m.at("flags") != "master") return false;
    if (m.count("num-other-sentinels") == 0 || m.at("num-other-sentinels") != "2") return false;
    auto replicas = probe(s->addr(), "SENTINEL", "REPLICAS", kName).array();
    if (!replicas) return false;
    int healthy = 0;
    for (const auto& r : *replicas) {
      auto f = r.map();
      if (f && f->count("flags") && f->at("flags") == "slave" && f->count("master-link-status") &&
          f->at("master-link-status") == "ok")
        ++healthy;
    }
    if (healthy != 1) return false;
  }
  return true;
}

bool RedisSentinelSetup::wait_ready(int primary_port, std::chrono::milliseconds limit) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!ready(primary_port)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace respool::test
