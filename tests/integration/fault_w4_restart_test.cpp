// Workload W4 (docs/BENCHMARKS.md) as a test: W1b (8 callers, pool of 8, SET then
// GET of a value unique to the caller and the moment) while the server is
// SIGKILLed and restarted on the same port about a second later.
//
// Proves: every reply is the one its caller asked for (zero wrong replies:
// a GET returns exactly the value its caller just wrote, or nil only when a
// restart wiped the data in between); every failure is a clear error
// (connection_closed, timeout, ECONNREFUSED or ECONNRESET at dial); the pool serves again soon
// after the restart (within one ping interval plus one dial, with a generous
// margin); afterwards it holds no broken connection (each idle one answers
// PING, the server sees exactly those, the counters add up) and, once
// emptied, the process has the same file descriptors as before the pool.
#include <map>
#include <mutex>
#include <thread>

#include "fault_helpers.hpp"

namespace faulttest {
namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// What a caller may see while the server is down or restarting. A dial
// caught by the kill half-way fails with the OS's ECONNRESET (a connection
// already established reports it as connection_closed).
bool expected_failure(std::error_code ec) {
  return ec == errc::connection_closed || ec == errc::timeout ||
         ec == std::error_code(ECONNREFUSED, std::system_category()) ||
         ec == std::error_code(ECONNRESET, std::system_category());
}

TEST(W4ServerRestart, EightCallersGetOnlyTheirOwnRepliesAndThePoolHealsWithoutLeaks) {
  RedisServer server;
  const int fds_before = open_fds();
  constexpr int callers = 8;
  const auto ping_interval = 250ms;
  const auto dial_timeout = 1s;
  PoolOptions o;
  o.ping_interval = ping_interval;
  o.dial_options.connect_timeout = dial_timeout;
  o.dial_options.read_timeout = 1s;
  o.dial_options.write_timeout = 1s;
  auto made = Pool::create("tcp", server.addr(), callers, o);
  ASSERT_FALSE(made.error) << made.error.message();
  auto pool = made.pool;

  std::atomic<bool> stop{false};
  std::atomic<int> generation{0};  // bumped just before each kill
  std::atomic<long> ok{0}, failed{0}, wrong{0}, wiped{0};
  std::atomic<std::int64_t> restarted_at{0};                                          // ns; 0: not yet
  std::atomic<std::int64_t> first_success{std::numeric_limits<std::int64_t>::max()};  // ns, after the restart
  std::mutex mu;
  std::map<std::string, long> errors;  // message -> count
  std::vector<std::string> wrong_details;

  auto note_success = [&] {
    const auto r = restarted_at.load();
    if (r == 0) return;
    const auto t = now_ns();
    auto cur = first_success.load();
    while (t < cur && !first_success.compare_exchange_weak(cur, t)) {
    }
  };
  auto note_failure = [&](std::error_code ec) {
    ++failed;
    std::lock_guard lk(mu);
    ++errors[(expected_failure(ec) ? "" : "UNEXPECTED ") + ec.message()];
  };
  auto note_wrong = [&](std::string what) {
    ++wrong;
    std::lock_guard lk(mu);
    if (wrong_details.size() < 10) wrong_details.push_back(std::move(what));
  };

  std::vector<std::thread> threads;
  for (int t = 0; t < callers; ++t) {
    threads.emplace_back([&, t] {
      const std::string key = tag("w4-key-" + std::to_string(t));
      while (!stop.load()) {
        const std::string value = tag("w4-value-" + std::to_string(t));
        const int gen = generation.load();
        Resp set = pool->cmd("SET", key, value);
        if (set.err()) {
          note_failure(set.err());
          std::this_thread::sleep_for(5ms);  // pacing while the server is down, not a wait for a result
          continue;
        }
        if (set.str().value_or("") != "OK") note_wrong("SET " + value + " -> " + set.to_string());
        note_success();
        Resp get = pool->cmd("GET", key);
        if (get.err()) {
          note_failure(get.err());
          continue;
        }
        if (get.is_nil()) {
          if (generation.load() == gen) note_wrong("GET " + key + " -> nil with no restart");
          ++wiped;
          continue;
        }
        if (get.str().value_or("") != value) {
          note_wrong("GET " + key + " -> " + get.to_string() + ", wrote " + value);
          continue;
        }
        ++ok;
        note_success();
      }
    });
  }

  const auto load_started = Clock::now();
  ASSERT_TRUE(wait_until([&] { return ok.load() >= 500 && Clock::now() - load_started >= 1s; }, 20s));
  ++generation;
  server.kill();
  const auto killed_at = Clock::now();
  std::this_thread::sleep_for(1s);  // the scenario: the server stays down for about a second
  server.start();
  restarted_at = now_ns();
  const double down_ms = ms_since(killed_at);
  const bool recovered =
      wait_until([&] { return first_success.load() != std::numeric_limits<std::int64_t>::max(); }, 20s);
  const double recovery_ms =
      recovered ? static_cast<double>(first_success.load() - restarted_at.load()) / 1e6 : -1;
  const long ok_at_recovery = ok.load();
  const auto recovered_at = Clock::now();
  EXPECT_TRUE(
      wait_until([&] { return ok.load() >= ok_at_recovery + 500 && Clock::now() - recovered_at >= 500ms; },
                 20s));  // and keeps serving
  stop = true;
  for (auto& th : threads) th.join();

  std::string error_list;
  for (const auto& [msg, n] : errors) error_list += "  " + msg + ": " + std::to_string(n) + "\n";
  std::printf(
      "W4: down %.0f ms, first success %.3f ms after restart; %ld ok, %ld failed, %ld wiped, %ld wrong\n%s",
      down_ms, recovery_ms, ok.load(), failed.load(), wiped.load(), wrong.load(), error_list.c_str());
  EXPECT_EQ(wrong.load(), 0) << (wrong_details.empty() ? "" : wrong_details.front());
  EXPECT_GT(failed.load(), 0);  // the kill was felt
  for (const auto& [msg, n] : errors) EXPECT_EQ(msg.rfind("UNEXPECTED", 0), std::string::npos) << msg;
  ASSERT_TRUE(recovered);
  const double bound_ms =
      std::chrono::duration<double, std::milli>(ping_interval + dial_timeout).count() + 2000;  // generous
  EXPECT_LT(recovery_ms, bound_ms);

  // No broken connection left: every idle one answers PING, the server has
  // exactly those, and the counters add up.
  auto s = pool->stats();
  EXPECT_EQ(s.in_use, 0);
  EXPECT_EQ(s.dialing, 0);
  const int idle = pool->avail();
  EXPECT_GT(idle, 0);
  std::vector<ClientPtr> held;
  for (int i = 0; i < idle; ++i) {
    auto c = pool->get();
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_EQ((*c)->cmd("PING").str().value_or(""), "PONG");
    held.push_back(std::move(*c));
  }
  EXPECT_EQ(pool->stats().dials, s.dials) << "get() had to dial: an idle connection was missing";
  for (auto& c : held) pool->put(std::move(c));
  EXPECT_TRUE(wait_until([&] { return connected(server) == idle; }, 5s))
      << connected(server) << " vs " << idle;
  s = pool->stats();
  const auto closed = s.closed_full + s.closed_critical + s.closed_unclean + s.closed_ping_failed +
                      s.closed_idle + s.closed_lifetime + s.closed_emptied + s.closed_peer + s.closed_retired;
  EXPECT_EQ(s.dials - closed, static_cast<std::uint64_t>(s.idle + s.overflow + s.in_use));
  EXPECT_GT(s.closed_critical + s.closed_ping_failed, 0u);

  // No leaked descriptor once the pool's own idle connections are gone.
  pool->empty();
  pool.reset();
  made.pool.reset();
  EXPECT_EQ(open_fds(), fds_before);
}

}  // namespace
}  // namespace faulttest
