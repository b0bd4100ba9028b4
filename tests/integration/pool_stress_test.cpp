// Stress: 64 threads mixing get/put/cmd/lease over pools that another thread
// keeps emptying and recreating with varied options. Every reply is checked
// against what its caller sent. Bounded in time; meant for TSan and ASan too.
#include <mutex>
#include <thread>

#include "pool_helpers.hpp"

namespace pooltest {
namespace {

PoolOptions options_for(int round) {
  PoolOptions o;
  switch (round % 4) {
    case 0:  // capped, with timeouts and an overflow buffer
      o.max_open = 8;
      o.get_timeout = 200ms;
      o.on_full_buffer = respool::OnFullBuffer{4, 5ms};
      o.ping_interval = 2ms;
      break;
    case 1:  // creation limit, idle timeout, lifetime
      o.create_limit = respool::CreateLimit{4, 2ms};
      o.get_timeout = 300ms;
      o.idle_timeout = 20ms;
      o.max_lifetime = 60ms;
      o.ping_interval = 3ms;
      break;
    case 2:  // radix.v2's defaults
      break;
    default:  // tight cap, no timeout: waiters woken by empty()
      o.max_open = 3;
      o.ping_interval = 1ms;
      break;
  }
  return o;
}

TEST_F(PoolTest, PoolStress_SixtyFourThreadsWhilePoolsAreEmptiedAndRecreated) {
  std::mutex pm;
  std::shared_ptr<Pool> current = Pool::create("tcp", server.addr(), 4, options_for(0)).pool;
  auto pool_now = [&] {
    std::lock_guard lk(pm);
    return current;
  };
  std::atomic<bool> stop{false};
  std::atomic<long> ops{0}, wrong{0}, unexpected{0};

  auto check = [&](const respool::Resp& r, const std::string& want) {
    if (r.err()) {
      const auto ec = r.err();
      if (ec != errc::pool_closed && ec != errc::get_timeout) {
        ++unexpected;
        ADD_FAILURE() << "unexpected error: " << ec.message();
      }
      return;
    }
    auto s = r.str();
    if (!s || *s != want) {
      ++wrong;
      ADD_FAILURE() << "wrong reply: " << r.to_string() << " for " << want;
    }
  };

  std::vector<std::thread> workers;
  for (int t = 0; t < 64; ++t) {
    workers.emplace_back([&, t] {
      for (long i = 0; !stop; ++i) {
        auto pool = pool_now();
        const std::string token = std::to_string(t) + ":" + std::to_string(i);
        switch (i % 6) {
          case 0:
          case 1: check(pool->cmd("ECHO", token), token); break;
          case 2: {
            auto c = pool->get();
            if (c) {
              check((*c)->cmd("ECHO", token), token);
              pool->put(std::move(*c));
            } else {
              check(respool::Resp::io_error(c.error()), token);
            }
            break;
          }
          case 3: {
            respool::Lease l = pool->lease();
            if (!l) break;
            for (int k = 0; k < 3; ++k) l->pipe_append("ECHO", token + "/" + std::to_string(k));
            for (int k = 0; k < 3; ++k) check(l->pipe_resp(), token + "/" + std::to_string(k));
            break;
          }
          case 4: {
            // Leave the connection dirty: it must be discarded, not passed on.
            auto c = pool->get();
            if (!c) break;
            if (t % 2 == 0) {
              (*c)->pipe_append("ECHO", token);
              (*c)->pipe_append("ECHO", token);
              (void)(*c)->pipe_resp();  // one reply left unread
            } else {
              (void)(*c)->cmd("MULTI");
            }
            pool->put(std::move(*c));
            break;
          }
          default: {
            // Possibly into a newer pool than it came from: foreign, closed.
            auto c = pool->get();
            if (!c) break;
            check((*c)->cmd("ECHO", token), token);
            const auto ec = pool_now()->put(std::move(*c));
            if (ec && ec != errc::foreign_connection && ec != errc::pool_closed) ++unexpected;
            break;
          }
        }
        ++ops;
      }
    });
  }

  std::thread manager([&] {
    for (int round = 1; !stop; ++round) {
      std::this_thread::sleep_for(40ms);
      auto fresh = Pool::create("tcp", server.addr(), round % 5, options_for(round)).pool;
      std::shared_ptr<Pool> old;
      {
        std::lock_guard lk(pm);
        old = std::exchange(current, fresh);
      }
      if (round % 2 == 0) old->empty();  // else: the last user destroys it
    }
  });

  const auto t0 = Clock::now();
  while (ms_since(t0) < 3000 && wrong == 0 && unexpected == 0) std::this_thread::sleep_for(10ms);
  stop = true;
  for (auto& w : workers) w.join();
  manager.join();
  {
    std::lock_guard lk(pm);
    current.reset();
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(unexpected, 0);
  EXPECT_GT(ops, 1000);
  EXPECT_TRUE(wait_until([&] { return connected(server) == 0; }, 20s));
  std::printf("[ stress   ] %ld operations\n", ops.load());
}

}  // namespace
}  // namespace pooltest
