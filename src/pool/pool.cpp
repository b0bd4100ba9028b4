// respool::Pool and respool::Lease: the public face of PoolState.
#include "respool/pool.hpp"

#include "pool/state.hpp"

namespace respool {

Pool::CreateResult Pool::create(std::string_view network, std::string_view addr, int size,
                                PoolOptions options) {
  auto ec = detail::validate(network, addr, size, options);
  // A pool created closed (bad arguments) gets an inert configuration.
  auto config = ec ? detail::Config{} : detail::make_config(size, std::move(options));
  auto state = std::make_shared<detail::PoolState>(network, addr, std::move(config), ec);
  if (!ec) ec = state->start();
  return {std::shared_ptr<Pool>(new Pool(std::move(state))), ec};
}

Pool::Pool(std::shared_ptr<detail::PoolState> state) noexcept : state_(std::move(state)) {}

Pool::~Pool() { state_->shutdown(); }

Lease Pool::lease() {
  auto c = state_->get();
  if (!c) return Lease(c.error());
  return Lease(state_, std::move(*c));
}

int Pool::avail() const { return state_->avail(); }

void Pool::empty() { state_->shutdown(); }

void Pool::retire_connections() { state_->retire(); }

bool Pool::closed() const { return state_->closed(); }

const std::string& Pool::network() const noexcept { return state_->network; }
const std::string& Pool::addr() const noexcept { return state_->addr; }

PoolStats Pool::stats() const { return state_->stats(); }

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    reset();
    state_ = std::move(other.state_);
    client_ = std::move(other.client_);
    error_ = other.error_;
    other.error_ = {};
  }
  return *this;
}

void Lease::reset() noexcept {
  if (client_) {
    if (state_) {
      state_->put(std::move(client_));
    } else {
      client_.reset();
    }
  }
  state_.reset();
}

}  // namespace respool
