// One connection, no pool: dial, run commands, read typed replies, pipeline.
//   example_client_basics [host:port]
#include <cstdio>
#include <respool/respool.hpp>
#include <string>

int main(int argc, char** argv) {
  const char* addr = argc > 1 ? argv[1] : "127.0.0.1:6379";

  auto client = respool::Client::dial("tcp", addr);
  if (!client) {
    std::fprintf(stderr, "dial %s: %s\n", addr, client.error().message().c_str());
    return 1;
  }
  auto& c = **client;

  // A command and its reply: errors are values, never exceptions.
  if (auto r = c.cmd("SET", "example:greeting", "hello"); r.err()) {
    std::fprintf(stderr, "SET: %s\n", r.error_message().c_str());
    return 1;
  }
  auto greeting = c.cmd("GET", "example:greeting").str();
  auto count = c.cmd("INCRBY", "example:counter", 5).integer();
  if (!greeting || !count) return 1;
  std::printf("GET example:greeting -> %s\nINCRBY example:counter 5 -> %lld\n", greeting->c_str(),
              static_cast<long long>(*count));

  // A server error reply is not critical: the connection stays usable.
  auto bad = c.cmd("INCR", "example:greeting");
  std::printf("INCR of a string -> server error: %s (connection still open: %s)\n",
              bad.error_message().c_str(), c.is_closed() ? "no" : "yes");

  // Pipelining: queued locally, sent in one write, replies read in order.
  for (int i = 0; i < 3; ++i) c.pipe_append("RPUSH", "example:list", i);
  c.pipe_append("LRANGE", "example:list", 0, -1);
  for (int i = 0; i < 3; ++i) (void)c.pipe_resp();
  auto list = c.pipe_resp().list();
  if (!list) return 1;
  std::printf("LRANGE example:list 0 -1 ->");
  for (const auto& s : *list) std::printf(" %s", s.c_str());
  std::printf("\n");

  (void)c.cmd("DEL", "example:greeting", "example:counter", "example:list");
  return 0;
}
