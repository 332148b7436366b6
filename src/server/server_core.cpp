#include "server_core.hpp"

namespace duet::server::detail {

ConnectionBase::ConnectionBase(LoopState& loop) : loop_(loop) {
  next_ = loop.head_;
  if (next_) next_->prev_ = this;
  loop.head_ = this;
}

ConnectionBase::~ConnectionBase() {
  if (prev_) {
    prev_->next_ = next_;
  } else {
    loop_.head_ = next_;
  }
  if (next_) next_->prev_ = prev_;
  loop_.core.connection_closed();
}

LoopState::LoopState(ServerCore& core, boost::asio::io_context& io, std::size_t index)
    : core(core), io(io), index(index), sweeper_(io) {}

void LoopState::start_sweeper() {
  sweeping_ = true;
  arm();
}

void LoopState::stop_sweeper() {
  sweeping_ = false;
  sweeper_.cancel();
}

void LoopState::arm() {
  sweeper_.expires_after(std::chrono::seconds(1));
  // The handler owns the state, so the server may be destroyed while a sweep is still queued.
  sweeper_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || !self->sweeping_) return;
    self->sweep();
    self->arm();
  });
}

void LoopState::sweep() {
  const auto now = Clock::now();
  for (ConnectionBase* c = head_; c;) {
    // on_timeout() may not unlink synchronously, but read the successor first anyway.
    ConnectionBase* next = c->next_;
    if (c->deadline <= now) {
      c->deadline = Clock::time_point::max();
      c->on_timeout();
    }
    c = next;
  }
}

void LoopState::begin_shutdown() {
  shutting_down = true;
  for (ConnectionBase* c = head_; c;) {
    ConnectionBase* next = c->next_;
    c->on_shutdown();
    c = next;
  }
}

void LoopState::force_close_all() {
  for (ConnectionBase* c = head_; c;) {
    ConnectionBase* next = c->next_;
    c->force_close();
    c = next;
  }
}

ServerCore::ServerCore(Runtime& runtime, asgi::Application app, ServerOptions options)
    : runtime(runtime), app(std::move(app)), options(std::move(options)) {}

void ServerCore::connection_closed() {
  if (open_connections.fetch_sub(1, std::memory_order_acq_rel) == 1 && shutting_down.load()) notify();
}

void ServerCore::notify() {
  std::lock_guard lock(mutex);
  drained.notify_all();
}

}  // namespace duet::server::detail
