// respool::Subscriber: the public face of Core (callers) and Reader (the
// background thread); see respool/subscriber.hpp.
#include "respool/subscriber.hpp"

#include <thread>

#include "pubsub/core.hpp"
#include "pubsub/reader.hpp"
#include "respool/cluster.hpp"
#include "respool/error.hpp"

namespace respool {

struct Subscriber::Impl {
  explicit Impl(std::shared_ptr<pubsub::Core> c) : core(std::move(c)) {}
  std::shared_ptr<pubsub::Core> core;
  std::thread thread;
  std::mutex close_mu;  // one close() joins the thread
};

namespace {

std::error_code validate(const SubscriberOptions& o) {
  using std::chrono::nanoseconds;
  if (o.buffer_size == 0 || o.ping_interval < nanoseconds::zero() || o.min_backoff < nanoseconds::zero() ||
      o.max_backoff < o.min_backoff || o.confirm_timeout < nanoseconds::zero())
    return errc::invalid_argument;
  return {};
}

}  // namespace

Subscriber::Subscriber(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}

// The thread owns what reader_loop holds (the reader): should on_message
// destroy the Subscriber, the thread is detached and finishes with it.
Subscriber::CreateResult Subscriber::launch(std::unique_ptr<Impl> impl, std::function<void()> reader_loop,
                                            std::error_code dial_error) {
  impl->thread = std::thread(std::move(reader_loop));
  return {std::unique_ptr<Subscriber>(new Subscriber(std::move(impl))), dial_error};
}

Subscriber::CreateResult Subscriber::create(std::string_view network, std::string_view addr,
                                            SubscriberOptions options) {
  if (auto ec = validate(options)) return {nullptr, ec};
  if (network != "tcp" && network != "unix") return {nullptr, errc::unknown_network};
  auto core = std::make_shared<pubsub::Core>(std::move(options));
  if (auto ec = core->wake_error()) return {nullptr, ec};
  auto reader = std::make_shared<pubsub::Reader>(core, std::string(network), std::string(addr));
  const std::error_code ec = reader->first_dial();
  if (ec == errc::bad_address || ec == errc::unknown_network) return {nullptr, ec};
  return launch(
      std::make_unique<Impl>(std::move(core)), [reader = std::move(reader)] { reader->run(); }, ec);
}

Subscriber::CreateResult Subscriber::create(std::shared_ptr<Cluster> cluster, SubscriberOptions options) {
  if (!cluster) return {nullptr, errc::invalid_argument};
  if (auto ec = validate(options)) return {nullptr, ec};
  auto core = std::make_shared<pubsub::Core>(std::move(options));
  if (auto ec = core->wake_error()) return {nullptr, ec};
  const std::error_code ec =
      cluster->primaries().empty() ? std::error_code(errc::cluster_down) : std::error_code();
  auto reader = std::make_shared<pubsub::Reader>(core, std::move(cluster));
  return launch(
      std::make_unique<Impl>(std::move(core)), [reader = std::move(reader)] { reader->run(); }, ec);
}

Subscriber::~Subscriber() {
  close();
  if (impl_->thread.joinable()) impl_->thread.detach();  // destroyed from on_message
}

std::error_code Subscriber::subscribe(const std::vector<std::string>& channels) {
  return impl_->core->request(pubsub::Op::subscribe, channels);
}
std::error_code Subscriber::psubscribe(const std::vector<std::string>& patterns) {
  return impl_->core->request(pubsub::Op::psubscribe, patterns);
}
std::error_code Subscriber::ssubscribe(const std::vector<std::string>& shard_channels) {
  return impl_->core->request(pubsub::Op::ssubscribe, shard_channels);
}
std::error_code Subscriber::unsubscribe(const std::vector<std::string>& channels) {
  return impl_->core->request(pubsub::Op::unsubscribe, channels);
}
std::error_code Subscriber::punsubscribe(const std::vector<std::string>& patterns) {
  return impl_->core->request(pubsub::Op::punsubscribe, patterns);
}
std::error_code Subscriber::sunsubscribe(const std::vector<std::string>& shard_channels) {
  return impl_->core->request(pubsub::Op::sunsubscribe, shard_channels);
}

std::optional<Message> Subscriber::next(std::chrono::nanoseconds timeout) {
  return impl_->core->next(timeout);
}

SubscriberStats Subscriber::stats() const { return impl_->core->stats(); }

void Subscriber::close() {
  impl_->core->stop();
  if (impl_->core->on_reader_thread()) return;  // from on_message: the loop ends after it
  std::lock_guard lock(impl_->close_mu);
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace respool
