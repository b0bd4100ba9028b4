// Pub/sub: a Subscriber with channels and a pattern, messages published
// through a Pool, read with next(); then the same with a callback.
//   example_pubsub [host:port]      (default 127.0.0.1:6379)
#include <atomic>
#include <chrono>
#include <cstdio>
#include <respool/respool.hpp>
#include <string>
#include <thread>

int main(int argc, char** argv) {
  const std::string addr = argc > 1 ? argv[1] : "127.0.0.1:6379";
  using namespace std::chrono_literals;

  auto [pool, perr] = respool::Pool::create("tcp", addr, 2);
  if (perr) {
    std::fprintf(stderr, "pool at %s: %s\n", addr.c_str(), perr.message().c_str());
    return 1;
  }

  // Messages wait in a bounded buffer (10,000 by default) for next().
  auto [sub, err] = respool::Subscriber::create("tcp", addr, respool::SubscriberOptions{});
  if (err) {
    std::fprintf(stderr, "subscriber at %s: %s\n", addr.c_str(), err.message().c_str());
    return 1;
  }
  // Each call returns once the server confirmed every name.
  if (auto ec = sub->subscribe({"example:news", "example:alerts"})) {
    std::fprintf(stderr, "SUBSCRIBE: %s\n", ec.message().c_str());
    return 1;
  }
  if (auto ec = sub->psubscribe({"example:user:*"})) {
    std::fprintf(stderr, "PSUBSCRIBE: %s\n", ec.message().c_str());
    return 1;
  }

  pool->cmd("PUBLISH", "example:news", "hello");
  pool->cmd("PUBLISH", "example:alerts", "disk almost full");
  pool->cmd("PUBLISH", "example:user:42", "logged in");

  int received = 0;
  while (received < 3) {
    std::optional<respool::Message> m = sub->next(5s);
    if (!m) {
      std::fprintf(stderr, "no message within 5 s\n");
      return 1;
    }
    if (m->is_notice()) {  // reconnected: messages published meanwhile were lost
      std::printf("notice from %s\n", m->payload.c_str());
      continue;
    }
    std::printf("%s%s%s: %s\n", m->channel.c_str(), m->pattern.empty() ? "" : " via ", m->pattern.c_str(),
                m->payload.c_str());
    ++received;
  }
  respool::SubscriberStats s = sub->stats();
  std::printf("received %llu, dropped %llu\n", static_cast<unsigned long long>(s.received),
              static_cast<unsigned long long>(s.dropped));

  // A callback instead of next(): runs on the subscriber's reader thread,
  // so it should be quick.
  std::atomic<int> calls{0};
  respool::SubscriberOptions with_callback;
  with_callback.on_message = [&](respool::Message&& m) {
    std::printf("callback: %s: %s\n", m.channel.c_str(), m.payload.c_str());
    ++calls;
  };
  auto [cb_sub, cb_err] = respool::Subscriber::create("tcp", addr, with_callback);
  if (cb_err || cb_sub->subscribe({"example:events"})) {
    std::fprintf(stderr, "callback subscriber: %s\n", cb_err.message().c_str());
    return 1;
  }
  pool->cmd("PUBLISH", "example:events", "started");
  for (int i = 0; i < 500 && calls == 0; ++i) std::this_thread::sleep_for(10ms);
  if (calls == 0) {
    std::fprintf(stderr, "the callback was not called\n");
    return 1;
  }
  return 0;
}
