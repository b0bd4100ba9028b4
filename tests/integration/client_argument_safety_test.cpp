// Arguments: UTF-8 text is bytes (never numbers), and an argument that
// throws while it is encoded leaves no half command behind.
#include <gtest/gtest.h>

#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "client_helpers.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"

namespace respool {
namespace {

using test::dial_shared;

TEST(ClientArguments, Utf8TextIsSentAsItsBytes) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  ASSERT_FALSE(c->cmd("DEL", "args:u8").err());
  const std::u8string s = u8"h\u00e9";
  ASSERT_EQ(c->cmd("RPUSH", "args:u8", u8"ab", s, std::u8string_view(u8"cd")).integer().value_or(-1), 3);
  auto items = c->cmd("LRANGE", "args:u8", 0, -1).list();
  ASSERT_TRUE(items);
  EXPECT_EQ(*items, (std::vector<std::string>{"ab", "h\xc3\xa9", "cd"}));
}

// A range of 10 strings whose iterator throws at the `fail_at`-th
// dereference, counted over every pass: the encoder walks it once to count
// the arguments, so fail_at > 10 throws half-way through writing them.
struct ThrowingRange {
  int fail_at;
  std::shared_ptr<int> derefs = std::make_shared<int>(0);
  struct iterator {
    using value_type = std::string;
    using difference_type = std::ptrdiff_t;
    int i = 0;
    int fail_at = 0;
    int* derefs = nullptr;
    std::string operator*() const {
      if (++*derefs == fail_at) throw std::runtime_error("argument failed");
      std::string v = "v";
      return v.append(std::to_string(i));
    }
    iterator& operator++() {
      ++i;
      return *this;
    }
    void operator++(int) { ++i; }
    bool operator==(const iterator& o) const { return i == o.i; }
  };
  iterator begin() const { return {0, fail_at, derefs.get()}; }
  iterator end() const { return {10, fail_at, derefs.get()}; }
};

TEST(ClientArguments, ThrowingArgumentLeavesNoHalfCommand) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  EXPECT_THROW((void)c->cmd("RPUSH", "args:throw", ThrowingRange{13}), std::runtime_error);
  EXPECT_EQ(c->pipe_pending(), 0u);
  EXPECT_TRUE(c->is_clean());
  EXPECT_EQ(c->cmd("PING").str().value_or("?"), "PONG");

  // In a pipeline: the commands queued before and after are unharmed.
  ASSERT_FALSE(c->cmd("DEL", "args:throw").err());
  c->pipe_append("SET", "args:before", 1);
  EXPECT_THROW(c->pipe_append("MULTI", ThrowingRange{12}), std::runtime_error);
  EXPECT_THROW(c->pipe_append("RPUSH", "args:throw", ThrowingRange{15}), std::runtime_error);
  c->pipe_append("GET", "args:before");
  EXPECT_EQ(c->pipe_pending(), 2u);
  EXPECT_EQ(c->pipe_resp().str().value_or("?"), "OK");
  EXPECT_EQ(c->pipe_resp().str().value_or("?"), "1");
  EXPECT_FALSE(c->is_closed());
  EXPECT_TRUE(c->is_clean());  // the MULTI that threw was never noted
  EXPECT_EQ(c->cmd("EXISTS", "args:throw").integer().value_or(-1), 0);
}

}  // namespace
}  // namespace respool

namespace respool {
namespace {

TEST(ClientEncoded, AnEncodedCommandRunsAsCmdWouldRunIt) {
  auto c = test::dial_shared();
  ASSERT_TRUE(c);
  std::string set, get;
  encode_command(set, "SET", "args:encoded", 42);
  encode_command(get, "GET", "args:encoded");
  EXPECT_EQ(c->cmd_encoded(set).str().value_or("?"), "OK");
  EXPECT_EQ(c->cmd_encoded(get).str().value_or("?"), "42");
  EXPECT_EQ(c->cmd_encoded("").err(), errc::invalid_argument);
  std::string sub;
  encode_command(sub, "SUBSCRIBE", "a");
  EXPECT_EQ(c->cmd_encoded(sub).err(), errc::pubsub_command);
  std::string watch, exec;
  encode_command(watch, "WATCH", "args:encoded");
  encode_command(exec, "EXEC");
  ASSERT_FALSE(c->cmd_encoded(watch).err());
  EXPECT_TRUE(c->session().watching);  // noted like any other command
  EXPECT_TRUE(c->cmd_encoded(exec).is_server_error());
  EXPECT_FALSE(c->is_clean());
  // The pipeline form, for a batch of encoded commands.
  c->pipe_append_encoded(get);
  c->pipe_append_encoded(get);
  EXPECT_EQ(c->pipe_resp().str().value_or("?"), "42");
  EXPECT_EQ(c->pipe_resp().str().value_or("?"), "42");
}

}  // namespace
}  // namespace respool
