// pubsub::Link: commands queued on a connection, and frames read from it
// (see link.hpp).
#include "pubsub/link.hpp"

namespace respool::pubsub {
namespace {

bool is_kind(std::string_view a, std::string_view lower) noexcept {
  if (a.size() != lower.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto c = static_cast<unsigned char>(a[i]);
    if ((c | 0x20u) != static_cast<unsigned char>(lower[i])) return false;
  }
  return true;
}

std::string text_of(Resp& r) { return std::move(r).str().value_or(std::string()); }

}  // namespace

void Link::send(Op op, const std::string& name) {
  client->pipe_append(command_of(op), name);
  owed.emplace_back(std::in_place, op, name);
  if (op == Op::sunsubscribe) own_sunsubscribes.insert(name);
}

void Link::send_ping() {
  client->pipe_append("PING");
  owed.emplace_back(std::nullopt);
}

Frame classify(Resp&& r) {
  Frame f;
  if (r.is_server_error()) {
    f.kind = Frame::Kind::error;
    f.text = r.text();
    return f;
  }
  if (r.type() != Resp::Type::array && r.type() != Resp::Type::push) return f;
  std::vector<Resp>& e = r.elements();
  if (e.size() < 3) return f;  // a RESP2 PONG while subscribed: ["pong", ""]
  const auto t = e[0].type();
  if (t != Resp::Type::bulk_string && t != Resp::Type::simple_string) return f;
  const std::string_view k = e[0].text();
  if (e.size() == 3 && (is_kind(k, "message") || is_kind(k, "smessage"))) {
    f.kind = Frame::Kind::message;
    f.message.kind = k.size() == 7 ? Message::Kind::message : Message::Kind::smessage;
    f.message.channel = text_of(e[1]);
    f.message.payload = text_of(e[2]);
    return f;
  }
  if (e.size() == 4 && is_kind(k, "pmessage")) {
    f.kind = Frame::Kind::message;
    f.message.kind = Message::Kind::pmessage;
    f.message.pattern = text_of(e[1]);
    f.message.channel = text_of(e[2]);
    f.message.payload = text_of(e[3]);
    return f;
  }
  if (e.size() == 3 && e[2].type() == Resp::Type::integer) {
    if (auto op = op_of_confirmation(k)) {
      f.kind = Frame::Kind::confirmation;
      f.op = *op;
      f.name = text_of(e[1]);
    }
  }
  return f;
}

}  // namespace respool::pubsub
