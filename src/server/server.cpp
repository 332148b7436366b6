#include "duet/server/server.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <future>

#include "connection.hpp"
#include "duet/asgi/lifespan.hpp"
#include "server_core.hpp"

namespace duet::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using unix_socket = asio::local::stream_protocol;

namespace {

using detail::Connection;
using detail::LoopState;
using detail::ServerCore;

// Connections' sockets carry their loop's io_context executor (8 bytes), not the polymorphic any_io_executor
// (56): smaller Connections, and every read or write operation on them copies the executor it is given.
template <class Protocol>
using SocketOf = typename Protocol::socket::template rebind_executor<asio::io_context::executor_type>::other;
using TcpSocket = SocketOf<tcp>;

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

std::optional<asgi::Address> address_of(const tcp::endpoint& e) {
  return asgi::Address{e.address().to_string(), e.port()};
}
std::optional<asgi::Address> address_of(const unix_socket::endpoint& e) {
  return asgi::Address{e.path(), 0};
}

/// On the connection's loop: wraps the socket in a Connection (TLS or not) and starts it. Not a coroutine,
/// so no frame holds a Connection of the type not chosen.
template <class Socket>
void start_connection(std::shared_ptr<LoopState> loop, Socket socket) {
  boost::system::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  std::optional<asgi::Address> client = ec ? std::nullopt : address_of(peer);
  auto local = socket.local_endpoint(ec);
  std::optional<asgi::Address> server = ec ? std::nullopt : address_of(local);
  if constexpr (std::is_same_v<Socket, TcpSocket>) {
    socket.set_option(tcp::no_delay(true), ec);
    if (loop->core.tls) {
      using TlsSocket = asio::ssl::stream<TcpSocket>;
      using TlsConnection = Connection<TlsSocket>;
      auto& context = *loop->core.tls;
      auto* connection = new TlsConnection(std::move(loop), TlsSocket(std::move(socket), context),
                                           std::move(client), std::move(server));
      TlsConnection::start(connection);
      return;
    }
  }
  auto* connection =
      new Connection<Socket>(std::move(loop), std::move(socket), std::move(client), std::move(server));
  Connection<Socket>::start(connection);
}

template <class Socket>
Task<void> reject_connection(Socket socket, std::string server_header) {
  std::string out;
  detail::write_error(out, 503, server_header);
  boost::system::error_code ec;
  co_await asio::async_write(socket, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
  socket.shutdown(Socket::shutdown_both, ec);
}

std::shared_ptr<LoopState> loop_state_of(ServerCore& core, asio::io_context& io) {
  for (auto& loop : core.loops) {
    if (&loop->io == &io) return loop;
  }
  return core.loops.front();
}

/// Keeps the server's descriptors out of processes a view starts (a subprocess inherited every open socket
/// otherwise, and held connections and the port open after the server closed them). Asio opens and accepts
/// without SOCK_CLOEXEC.
template <class Socket>
void close_on_exec(Socket& socket) {
  ::fcntl(socket.native_handle(), F_SETFD, FD_CLOEXEC);
}

/// Accepts until the acceptor is closed. `spread`: hand connections to the loops in turn (a Unix socket
/// has one acceptor); otherwise they stay on the acceptor's loop (SO_REUSEPORT spreads them).
///
/// A socket is accepted on the acceptor's own loop, whose reactor it is registered with. The runtime's loops
/// run without Asio's per-descriptor lock (BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO), so a socket is used only
/// on the thread of the loop it is registered with: one bound for another loop leaves this one as a bare
/// descriptor and is registered there, on that loop's thread.
template <class Acceptor>
Task<void> accept_loop(ServerCore& core, Acceptor& acceptor, asio::io_context& home, bool spread) {
  using Socket = SocketOf<typename Acceptor::protocol_type>;
  for (;;) {
    // Into `home` by its io_context, not the acceptor's polymorphic executor: accepting with the latter cost
    // ~155 bytes more per idle connection (measured; the larger accept operation's recycled block is likely
    // what each connection's first read then takes).
    auto [ec, socket] = co_await acceptor.async_accept(home, asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open() || core.shutting_down) break;
      // Out of descriptors: wait a little rather than spin.
      asio::steady_timer pause(home, std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    if (core.shutting_down) break;
    close_on_exec(socket);
    if (core.open_connections.load(std::memory_order_relaxed) >= core.options.limits.max_connections) {
      asio::co_spawn(home, reject_connection(std::move(socket), core.options.server_header), asio::detached);
      continue;
    }
    core.open_connections.fetch_add(1, std::memory_order_relaxed);
    asio::io_context& target = spread ? core.runtime.next_loop() : home;
    if (&target == &home) {
      // At once: the connection is built on its own loop's thread (its LoopState is touched only there).
      start_connection<Socket>(loop_state_of(core, home), std::move(socket));
      continue;
    }
    const auto protocol = socket.local_endpoint(ec).protocol();
    const auto fd = ec ? -1 : socket.release(ec);
    if (ec) {
      core.connection_closed();
      continue;
    }
    asio::post(target, [&core, &target, protocol, fd] {
      boost::system::error_code error;
      Socket moved(target);
      moved.assign(protocol, fd, error);
      if (error) {
        ::close(fd);
        core.connection_closed();
        return;
      }
      start_connection<Socket>(loop_state_of(core, target), std::move(moved));
    });
  }
  if (core.active_acceptors.fetch_sub(1) == 1) core.notify();
}

tcp::endpoint resolve(const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (!ec) return {address, port};
  asio::io_context io;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(host, std::to_string(port));
  if (results.empty()) throw std::runtime_error("cannot resolve host " + host);
  return *results.begin();
}

/// Runs `f` on `io`'s thread and waits for it (the loop state is touched only there).
template <class F>
void run_on(asio::io_context& io, F f) {
  std::promise<void> done;
  asio::post(io, [&] {
    f();
    done.set_value();
  });
  done.get_future().wait();
}

}  // namespace

struct Server::Impl {
  Impl(Runtime& runtime, asgi::Application app, ServerOptions options)
      : core(runtime, std::move(app), std::move(options)) {}

  ServerCore core;
  std::unique_ptr<asgi::Lifespan> lifespan;
  std::vector<std::unique_ptr<tcp::acceptor>> tcp_acceptors;
  std::unique_ptr<unix_socket::acceptor> unix_acceptor;
  // Atomic: serve() on one thread sets it while another (a test, a supervisor) polls port().
  std::atomic<std::uint16_t> port{0};
  enum State { created, running, stopping, stopped };
  std::atomic<int> state{created};
  std::chrono::steady_clock::time_point grace_deadline;
};

Server::Server(Runtime& runtime, asgi::Application app, ServerOptions options)
    : impl_(std::make_unique<Impl>(runtime, std::move(app), std::move(options))) {}

Server::~Server() {
  if (impl_->state == Impl::running) {
    impl_->core.options.graceful_timeout = std::chrono::milliseconds(0);
    shutdown();
  }
  if (impl_->state == Impl::stopping) wait();
}

std::uint16_t Server::port() const noexcept {
  return impl_->port.load(std::memory_order_acquire);
}
std::uint64_t Server::requests_served() const noexcept {
  return impl_->core.requests_served.load();
}
std::size_t Server::open_connections() const noexcept {
  return impl_->core.open_connections.load();
}

void Server::start() {
  auto& core = impl_->core;
  auto& runtime = core.runtime;
  if (impl_->state != Impl::created) throw std::logic_error("Server::start() called twice");
  if (core.options.tls.enabled()) {
    if (!core.options.unix_socket.empty())
      throw std::invalid_argument("TLS is served on TCP only, not on the Unix socket " +
                                  core.options.unix_socket);
    core.tls = detail::make_tls_context(core.options.tls);  // before lifespan: a bad file fails fast
  }
  if (core.options.lifespan) {
    impl_->lifespan = std::make_unique<asgi::Lifespan>(
        core.app, runtime.new_context(runtime.loop(0), "lifespan")->executor());
    bool supported = runtime.block_on(impl_->lifespan->startup(), "lifespan.startup");
    if (supported) core.state = impl_->lifespan->state();
  }
  if (!core.state) core.state = std::make_shared<asgi::State>();

  for (std::size_t i = 0; i < runtime.loop_count(); ++i) {
    core.loops.push_back(std::make_shared<LoopState>(core, runtime.loop(i), i));
  }
  if (!core.options.unix_socket.empty()) {
    const std::string& path = core.options.unix_socket;
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
    impl_->unix_acceptor =
        std::make_unique<unix_socket::acceptor>(runtime.loop(0), unix_socket::endpoint(path));
    close_on_exec(*impl_->unix_acceptor);
  } else {
    tcp::endpoint endpoint = resolve(core.options.host, core.options.port);
    for (std::size_t i = 0; i < runtime.loop_count(); ++i) {
      auto acceptor = std::make_unique<tcp::acceptor>(runtime.loop(i));
      acceptor->open(endpoint.protocol());
      close_on_exec(*acceptor);
      acceptor->set_option(tcp::acceptor::reuse_address(true));
      acceptor->set_option(ReusePort(true));
      acceptor->bind(endpoint);
      acceptor->listen(asio::socket_base::max_listen_connections);
      // Port 0: the others join the port the first one got.
      endpoint.port(acceptor->local_endpoint().port());
      impl_->tcp_acceptors.push_back(std::move(acceptor));
    }
    impl_->port.store(endpoint.port(), std::memory_order_release);
  }
  impl_->state = Impl::running;
  for (auto& loop : core.loops) {
    asio::post(loop->io, [loop] { loop->start_sweeper(); });
  }
  if (impl_->unix_acceptor) {
    core.active_acceptors = 1;
    asio::co_spawn(runtime.loop(0), accept_loop(core, *impl_->unix_acceptor, runtime.loop(0), true),
                   asio::detached);
  } else {
    core.active_acceptors = impl_->tcp_acceptors.size();
    for (std::size_t i = 0; i < impl_->tcp_acceptors.size(); ++i) {
      asio::co_spawn(runtime.loop(i), accept_loop(core, *impl_->tcp_acceptors[i], runtime.loop(i), false),
                     asio::detached);
    }
  }
}

void Server::shutdown() {
  int expected = Impl::running;
  if (!impl_->state.compare_exchange_strong(expected, Impl::stopping)) return;
  auto& core = impl_->core;
  impl_->grace_deadline = std::chrono::steady_clock::now() + core.options.graceful_timeout;
  core.shutting_down = true;
  for (std::size_t i = 0; i < impl_->tcp_acceptors.size(); ++i) {
    asio::post(core.runtime.loop(i), [a = impl_->tcp_acceptors[i].get()] {
      boost::system::error_code ignored;
      a->close(ignored);
    });
  }
  if (impl_->unix_acceptor) {
    asio::post(core.runtime.loop(0), [a = impl_->unix_acceptor.get()] {
      boost::system::error_code ignored;
      a->close(ignored);
    });
  }
  for (auto& loop : core.loops)
    asio::post(loop->io, [loop] { loop->begin_shutdown(); });
  core.notify();
}

void Server::wait() {
  auto& core = impl_->core;
  duet::detail::refuse_on_loop("Server::wait()");
  auto drained = [&core] { return core.open_connections.load() == 0 && core.active_acceptors.load() == 0; };
  {
    std::unique_lock lock(core.mutex);
    core.drained.wait(lock, [this] { return impl_->state.load() != Impl::running; });
    if (impl_->state == Impl::stopped) return;
    if (!core.drained.wait_until(lock, impl_->grace_deadline, drained)) {
      lock.unlock();
      for (auto& loop : core.loops)
        asio::post(loop->io, [loop] { loop->force_close_all(); });
      lock.lock();
      core.drained.wait_for(lock, std::chrono::seconds(10), drained);
    }
  }
  for (auto& loop : core.loops)
    run_on(loop->io, [loop] { loop->stop_sweeper(); });
  if (impl_->lifespan) {
    try {
      core.runtime.block_on(impl_->lifespan->shutdown(), "lifespan.shutdown");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "duet: %s\n", e.what());
    }
  }
  impl_->state = Impl::stopped;
}

int Server::serve() {
  start();
  asio::signal_set signals(impl_->core.runtime.loop(0), SIGINT, SIGTERM);
  signals.async_wait([this](boost::system::error_code ec, int) {
    if (!ec) shutdown();
  });
  const auto& options = impl_->core.options;
  if (options.unix_socket.empty()) {
    std::fprintf(stderr, "duet: serving on %s://%s:%u (%zu loops)\n", impl_->core.tls ? "https" : "http",
                 options.host.c_str(), port(), impl_->core.runtime.loop_count());
  } else {
    std::fprintf(stderr, "duet: serving on unix:%s\n", options.unix_socket.c_str());
  }
  wait();
  boost::system::error_code ignored;
  run_on(impl_->core.runtime.loop(0), [&] { signals.cancel(ignored); });
  return 0;
}

}  // namespace duet::server
