// Randomized faults against a real server: caller threads run tagged
// commands through the pool (pipelined through Leases, and one-shot cmd()),
// while a killer client kills random connections (CLIENT KILL ID, and now
// and then CLIENT KILL TYPE normal) and a sleeper client makes the server
// run DEBUG SLEEPs longer than the callers' read timeout. Every reply is
// compared with the value its command carried: zero mismatches over at
// least 200,000 checked commands.
//
// A second run has eight one-shot callers on a pool capped at two, so most
// commands ride in another caller's round trip (shared round trips).
//
// Scale: RESPOOL_RANDOM_COMMANDS overrides the count; under a sanitizer
// (ASan, TSan: 2-15x slower) the default is a quarter of it. RESPOOL_RANDOM_SEED
// replays a run (the seed is printed).
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "fault_helpers.hpp"

namespace faulttest {
namespace {

long env_or(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atol(v) : fallback;
}

// CLIENT LIST -> ids, skipping clients named `skip_name` and the one with `self`.
std::vector<long long> victims(const std::string& list, long long self) {
  std::vector<long long> ids;
  std::size_t pos = 0;
  while ((pos = list.find("id=", pos)) != std::string::npos) {
    const long long id = std::atoll(list.c_str() + pos + 3);
    const auto eol = list.find('\n', pos);
    const std::string line = list.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    if (id != self && line.find("name=sleeper ") == std::string::npos) ids.push_back(id);
    pos = eol == std::string::npos ? list.size() : eol;
  }
  return ids;
}

// How the callers use the pool.
struct Shape {
  int size;         // the pool's size
  int max_open;     // its cap (0: none)
  int callers;      // caller threads
  int one_shot_in;  // one command in this many is a one-shot cmd(); the rest are Lease pipelines
  long commands;    // checked commands to reach (a quarter of it under a sanitizer)
};

void random_faults(const RedisServer& server, Shape shape) {
  const long target =
      env_or("RESPOOL_RANDOM_COMMANDS", under_sanitizer() ? shape.commands / 4 : shape.commands);
  const auto seed = static_cast<std::uint64_t>(env_or("RESPOOL_RANDOM_SEED", std::random_device{}()));
  std::printf("RandomFaults: seed %llu, target %ld commands\n", static_cast<unsigned long long>(seed),
              target);
  const auto limit = under_sanitizer() ? 120s : 60s;  // a hard stop; debug needs well under 30 s

  PoolOptions o;
  o.dial_options.read_timeout = 100ms;  // shorter than every DEBUG SLEEP below
  o.dial_options.write_timeout = 1s;
  o.dial_options.connect_timeout = 1s;
  o.max_open = shape.max_open;
  auto made = Pool::create("tcp", server.addr(), shape.size, o);
  ASSERT_FALSE(made.error);
  auto& pool = *made.pool;

  std::atomic<bool> stop{false};
  std::atomic<long> checked{0}, mismatches{0}, kills{0}, sleeps{0};
  std::mutex mu;
  std::map<std::string, long> errors;
  std::vector<std::string> mismatch_details;
  auto note_error = [&](std::error_code ec) {
    std::lock_guard lk(mu);
    const bool expected = ec == errc::connection_closed || ec == errc::timeout;
    ++errors[(expected ? "" : "UNEXPECTED ") + ec.message()];
  };
  auto check = [&](const Resp& r, const std::string& want) {
    if (r.err() && r.is_io_error()) {
      note_error(r.err());
      return false;
    }
    if (r.str().value_or("<" + r.to_string() + ">") != want) {
      ++mismatches;
      std::lock_guard lk(mu);
      if (mismatch_details.size() < 10)
        mismatch_details.push_back("wanted " + want + ", got " + r.to_string());
      return false;
    }
    ++checked;
    return true;
  };

  std::vector<std::thread> threads;
  const int callers = shape.callers;
  for (int t = 0; t < callers; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(seed + static_cast<std::uint64_t>(t));
      const std::string key = tag("rnd-key-" + std::to_string(t));
      while (!stop.load()) {
        if (rng() % static_cast<std::uint64_t>(shape.one_shot_in) == 0) {  // a one-shot command
          const std::string v = tag("one");
          check(pool.cmd("ECHO", v), v);
          continue;
        }
        respool::Lease l = pool.lease();
        if (!l) {
          note_error(l.error());
          continue;
        }
        // A pipeline of ECHOs and SET+GET pairs, each with its own value.
        std::vector<std::string> want;
        const int n = 1 + static_cast<int>(rng() % 64);
        for (int i = 0; i < n; ++i) {
          const std::string v = tag("p");
          if (rng() % 2 == 0) {
            l->pipe_append("ECHO", v);
            want.push_back(v);
          } else {
            l->pipe_append("SET", key, v);
            want.push_back("OK");
            l->pipe_append("GET", key);
            want.push_back(v);
          }
        }
        for (const auto& w : want) {
          if (!check(l->pipe_resp(), w)) break;  // a critical error fails the rest the same way
        }
      }
    });
  }

  // The killer: its own connection, outside the pool.
  threads.emplace_back([&] {
    std::mt19937_64 rng(seed ^ 0x6b696c6cULL);
    std::unique_ptr<Client> k;
    long long self = -1;
    while (!stop.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2 + rng() % 20));  // pacing
      if (!k || k->is_closed()) {
        auto c = Client::dial("tcp", server.addr());
        if (!c) continue;
        k = std::move(*c);
        self = k->cmd("CLIENT", "ID").integer().value_or(-1);
      }
      if (rng() % 25 == 0) {
        auto r = k->cmd("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
        if (auto n = r.integer()) kills += static_cast<long>(*n);
        continue;
      }
      const auto ids = victims(k->cmd("CLIENT", "LIST").str().value_or(""), self);
      if (ids.empty()) continue;
      auto r = k->cmd("CLIENT", "KILL", "ID", ids[rng() % ids.size()]);
      if (r.integer().value_or(0) == 1) ++kills;
    }
  });

  // The sleeper: makes the server stall past the callers' read timeout.
  threads.emplace_back([&] {
    std::mt19937_64 rng(seed ^ 0x736c6570ULL);
    DialOptions so;
    so.client_name = "sleeper";
    so.read_timeout = 5s;
    std::unique_ptr<Client> s;
    while (!stop.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 400));  // pacing
      if (!s || s->is_closed()) {
        auto c = Client::dial("tcp", server.addr(), so);
        if (!c) continue;
        s = std::move(*c);
      }
      const double secs = 0.12 + static_cast<double>(rng() % 100) / 1000.0;
      if (s->cmd("DEBUG", "SLEEP", secs).str().value_or("") == "OK") ++sleeps;
    }
  });

  const auto t0 = Clock::now();
  // At least the target count, and at least 3 s, so that several sleeps and
  // many kills land.
  const bool reached = wait_until([&] { return checked.load() >= target && Clock::now() - t0 >= 3s; },
                                  std::chrono::duration_cast<std::chrono::milliseconds>(limit));
  stop = true;
  for (auto& th : threads) th.join();

  std::string error_list;
  for (const auto& [msg, n] : errors) error_list += "  " + msg + ": " + std::to_string(n) + "\n";
  const auto s = pool.stats();
  std::printf(
      "RandomFaults: %.1f s, %ld checked, %ld mismatches, %ld kills, %ld sleeps, %llu closed critical\n%s",
      ms_since(t0) / 1000, checked.load(), mismatches.load(), kills.load(), sleeps.load(),
      static_cast<unsigned long long>(s.closed_critical), error_list.c_str());
  EXPECT_TRUE(reached) << "only " << checked.load() << " commands in " << limit.count() << " s";
  EXPECT_EQ(mismatches.load(), 0) << (mismatch_details.empty() ? "" : mismatch_details.front());
  for (const auto& [msg, n] : errors) EXPECT_EQ(msg.rfind("UNEXPECTED", 0), std::string::npos) << msg;
  // The faults really happened.
  EXPECT_GT(kills.load(), 10);
  EXPECT_GE(sleeps.load(), 2);
  EXPECT_GT(errors.count("i/o timeout"), 0u);
  EXPECT_GT(errors.count("connection closed by peer"), 0u);
  EXPECT_GT(s.closed_critical, 10u);
  EXPECT_EQ(s.in_use, 0);
  if (shape.max_open != 0) {
    EXPECT_GT(s.shared, 0u);  // callers waited, and rode in others' round trips
  }
  // And the pool still works. Idle connections killed in the last moments
  // are still in it (a ping or a use finds them): each may fail once, with
  // connection_closed, before a command gets its own reply.
  const int idle = pool.avail();
  bool served = false;
  for (int i = 0; i <= idle && !served; ++i) {
    const std::string last = tag("last");
    Resp r = pool.cmd("ECHO", last);
    if (r.err()) {
      EXPECT_EQ(r.err(), errc::connection_closed) << r.to_string();
    } else {
      EXPECT_EQ(r.str().value_or(""), last);
      served = true;
    }
  }
  EXPECT_TRUE(served);
}

TEST_F(PoolTest, RandomFaults_TaggedCommandsUnderKillsAndSleepsNeverGetAnotherReply) {
  random_faults(server, Shape{.size = 8, .max_open = 0, .callers = 6, .one_shot_in = 8, .commands = 200'000});
}

// Eight one-shot callers on a pool capped at two: most commands ride in
// another caller's round trip (Pool::cmd's shared round trips), and the
// kills and sleeps hit those trips too.
TEST_F(PoolTest, RandomFaults_SharedRoundTripsUnderKillsAndSleepsNeverGetAnotherReply) {
  random_faults(server, Shape{.size = 2, .max_open = 2, .callers = 8, .one_shot_in = 1, .commands = 100'000});
}

}  // namespace
}  // namespace faulttest
