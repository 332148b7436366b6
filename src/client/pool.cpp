// The per-origin connection pool: idle keep-alive connections per loop, a bound on open connections, and a
// queue of requests waiting for a slot (PoolTimeout when none frees up in time).
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <future>
#include <thread>

#include "core.hpp"

namespace duet::client::detail {

bool Connection::looks_alive() {
  // A keep-alive connection the server has since closed reads as EOF; anything else readable is a stray
  // byte we did not ask for. Either way it cannot carry the next request.
  char byte;
  auto fd = lowest().socket().native_handle();
  ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

namespace {

boost::asio::io_context* home_of(const Connection& connection) {
  return connection.home;
}

/// Connections to close when the scope ends, after the pool's lock is released (see dispose()).
struct Discarded {
  std::vector<std::unique_ptr<Connection>> connections;
  ~Discarded() {
    for (auto& connection : connections)
      dispose(std::move(connection));
  }
};

}  // namespace

void dispose(std::unique_ptr<Connection> connection) {
  if (!connection) return;
  auto* io = home_of(*connection);
  if (!io || io->get_executor().running_in_this_thread()) return;  // closed here, as it goes out of scope
  boost::asio::post(*io, [connection = std::move(connection)]() mutable { connection.reset(); });
}

void close_on_their_loops(std::vector<std::unique_ptr<Connection>> connections, bool wait) {
  std::vector<std::pair<boost::asio::io_context*, std::future<void>>> pending;
  for (auto& connection : connections) {
    if (!connection) continue;
    auto* io = home_of(*connection);
    if (!wait || !io || io->get_executor().running_in_this_thread()) {
      dispose(std::move(connection));
      continue;
    }
    // The promise travels with the handler: a wait given up (the loop stopped) leaves nothing dangling.
    auto done = std::make_shared<std::promise<void>>();
    pending.emplace_back(io, done->get_future());
    boost::asio::post(*io, [connection = std::move(connection), done]() mutable {
      connection.reset();
      done->set_value();
    });
  }
  for (auto& [io, future] : pending) {
    // A loop that has stopped closes nothing until it runs again (or is destroyed, which closes it).
    while (future.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready) {
      if (io->stopped()) break;
    }
  }
}

OriginPool::~OriginPool() {
  for (auto& connection : idle_)
    dispose(std::move(connection));
}

struct OriginPool::Waiter {
  boost::asio::execution_context* loop;
  Executor executor;
  std::shared_ptr<boost::asio::steady_timer> timer;
  bool granted = false;
  std::unique_ptr<Connection> handed;
};

Task<std::unique_ptr<Connection>> OriginPool::acquire(boost::asio::execution_context* loop, std::size_t limit,
                                                      std::chrono::milliseconds pool_timeout,
                                                      std::chrono::milliseconds keepalive_expiry,
                                                      const std::string& method, const std::string& url) {
  std::shared_ptr<Waiter> waiter;
  {
    Discarded discarded;  // closed outside the lock, each on its own loop
    auto& discard = discarded.connections;
    std::unique_lock lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    for (auto it = idle_.begin(); it != idle_.end();) {
      if (now - (*it)->idle_since > keepalive_expiry) {
        discard.push_back(std::move(*it));
        it = idle_.erase(it);
        --open_;
      } else {
        ++it;
      }
    }
    // Most recently used first: it is the likeliest to still be open on the server's side.
    for (std::size_t i = idle_.size(); i-- > 0;) {
      if (idle_[i]->loop != loop) continue;
      auto connection = std::move(idle_[i]);
      idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(i));
      if (connection->looks_alive()) co_return connection;
      discard.push_back(std::move(connection));
      --open_;
    }
    if (open_ < limit) {
      ++open_;
      co_return nullptr;
    }
    if (!idle_.empty()) {
      // The origin is at its limit but a connection idles on another loop: close it and take its slot.
      discard.push_back(std::move(idle_.front()));
      idle_.pop_front();
      co_return nullptr;
    }
    auto executor = co_await boost::asio::this_coro::executor;
    waiter = std::make_shared<Waiter>(Waiter{
        loop, executor, std::make_shared<boost::asio::steady_timer>(executor, pool_timeout), false, nullptr});
    waiters_.push_back(waiter);
  }
  boost::system::error_code ec;
  co_await waiter->timer->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  std::unique_lock lock(mutex_);
  if (waiter->granted) {
    if (waiter->handed && waiter->handed->looks_alive()) co_return std::move(waiter->handed);
    co_return nullptr;  // the slot is ours; open a connection in it
  }
  std::erase(waiters_, waiter);
  throw PoolTimeout("no connection to this origin became free within the pool timeout", method, url);
}

void OriginPool::release(std::unique_ptr<Connection> connection, bool reusable) {
  Discarded discarded;  // declared first: closed after the lock is released
  std::unique_lock lock(mutex_);
  if (!waiters_.empty()) {
    // Hand the slot (and the connection, when the waiter runs on its loop) straight to the oldest waiter.
    auto waiter = std::move(waiters_.front());
    waiters_.pop_front();
    waiter->granted = true;
    if (connection && reusable && connection->loop == waiter->loop) waiter->handed = std::move(connection);
    discarded.connections.push_back(std::move(connection));  // if not handed on
    lock.unlock();
    // The timer belongs to the waiter's loop: cancel it there, not from this thread.
    boost::asio::post(waiter->executor, [timer = waiter->timer] { timer->cancel(); });
    return;
  }
  if (connection && reusable) {
    connection->idle_since = std::chrono::steady_clock::now();
    connection->reused = false;
    idle_.push_back(std::move(connection));
  } else {
    --open_;
    discarded.connections.push_back(std::move(connection));
  }
}

std::size_t OriginPool::open() const {
  std::lock_guard lock(mutex_);
  return open_;
}

std::vector<std::unique_ptr<Connection>> OriginPool::take_idle() {
  std::lock_guard lock(mutex_);
  open_ -= idle_.size();
  std::vector<std::unique_ptr<Connection>> taken(std::make_move_iterator(idle_.begin()),
                                                 std::make_move_iterator(idle_.end()));
  idle_.clear();
  return taken;
}

void OriginPool::forget_loop(boost::asio::execution_context* loop) {
  std::vector<std::unique_ptr<Connection>> discard;
  std::lock_guard lock(mutex_);
  for (auto it = idle_.begin(); it != idle_.end();) {
    if ((*it)->loop == loop) {
      discard.push_back(std::move(*it));
      it = idle_.erase(it);
      --open_;
    } else {
      ++it;
    }
  }
}

void ClientCore::forget_loop(boost::asio::execution_context* loop) {
  std::lock_guard lock(mutex_);
  for (auto& [key, pool] : pools_)
    pool->forget_loop(loop);
}

void LoopWatch::watch(const std::shared_ptr<ClientCore>& core) {
  std::lock_guard lock(mutex_);
  std::erase_if(cores_, [](const auto& weak) { return weak.expired(); });
  for (const auto& weak : cores_) {
    if (!weak.owner_before(core) && !core.owner_before(weak)) return;
  }
  cores_.push_back(core);
}

void LoopWatch::shutdown() {
  std::vector<std::shared_ptr<ClientCore>> alive;
  {
    std::lock_guard lock(mutex_);
    for (auto& weak : cores_) {
      if (auto core = weak.lock()) alive.push_back(std::move(core));
    }
    cores_.clear();
  }
  for (auto& core : alive)
    core->forget_loop(&context());
}

void Lease::release(bool reusable) {
  if (released_) return;
  released_ = true;
  if (pool_) pool_->release(std::move(connection_), reusable);
}

}  // namespace duet::client::detail
