// radix.v2's pool example "Custom connections": a dial function that runs AUTH on every
// new connection of the pool (those dialed at creation and those dialed on
// demand later).
//   example_custom_dial_auth [host:port] [password]
//
// With a password, the dial function sends `AUTH password` (the server's
// requirepass). Without one, so that the example runs against any local
// server, it first creates a throwaway ACL user with a random password, has
// the dial function send `AUTH user password`, and deletes the user at the
// end (Redis >= 6).
//
// Go (radix.v2):                               C++ (respool):
//   df := func(network, addr string) (...) {     respool::DialFunc df = [](auto network, auto addr) ... {
//     client, err := redis.Dial(network, addr)     auto client = respool::Client::dial(network, addr);
//     client.Cmd("AUTH", "SUPERSECRET").Err        (*client)->cmd("AUTH", password).err()
//   p, err := pool.NewCustom("tcp", addr, 10, df) Pool::create("tcp", addr, 10, {.dial = df});
#include <cstdio>
#include <random>
#include <respool/respool.hpp>
#include <string>

namespace {

std::string random_password() {
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 24; ++i) s += "abcdefghijklmnopqrstuvwxyz0123456789"[rd() % 36];
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string addr = argc > 1 ? argv[1] : "127.0.0.1:6379";
  std::string user;  // empty: the default user (requirepass)
  std::string password = argc > 2 ? argv[2] : "";

  if (password.empty()) {
    // Set-up only: a user that may touch the example's keys.
    auto admin = respool::Client::dial("tcp", addr);
    if (!admin) {
      std::fprintf(stderr, "dial %s: %s\n", addr.c_str(), admin.error().message().c_str());
      return 1;
    }
    user = "respool-example";
    password = random_password();
    auto r = (*admin)->cmd("ACL", "SETUSER", user, "reset", "on", ">" + password, "~example:*", "+@all");
    if (r.err()) {
      std::fprintf(stderr, "ACL SETUSER: %s\n", r.error_message().c_str());
      return 1;
    }
  }

  // The dial function: dial, then AUTH; a refused AUTH fails the dial.
  respool::DialFunc df = [&](std::string_view network,
                             std::string_view address) -> respool::Result<std::unique_ptr<respool::Client>> {
    auto client = respool::Client::dial(network, address);
    if (!client) return client.error();
    auto r = user.empty() ? (*client)->cmd("AUTH", password) : (*client)->cmd("AUTH", user, password);
    if (r.err()) return r.err();
    return client;
  };

  int status = 0;
  {
    auto [pool, err] = respool::Pool::create("tcp", addr, 10, respool::PoolOptions{.dial = df});
    if (err) {
      std::fprintf(stderr, "create pool: %s\n", err.message().c_str());
      status = 1;
    } else {
      // Every connection of the pool runs as the authenticated user.
      auto whoami = pool->cmd("ACL", "WHOAMI").str();
      auto set = pool->cmd("SET", "example:auth", "ok");
      if (!whoami || set.err()) {
        std::fprintf(stderr, "commands failed\n");
        status = 1;
      } else {
        std::printf("pool of %d connections, authenticated as %s\n", pool->avail(), whoami->c_str());
      }
      (void)pool->cmd("DEL", "example:auth");
    }
  }

  if (!user.empty()) {
    auto admin = respool::Client::dial("tcp", addr);
    if (!admin || (*admin)->cmd("ACL", "DELUSER", user).err()) status = 1;
  }
  return status;
}
