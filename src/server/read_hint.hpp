// queue_read_without_trying: starting a read that goes straight to Asio's reactor queue, without the recv()
// Asio tries first.
//
// Asio's epoll reactor starts every async_read_some with a "speculative" recv(); on a keep-alive socket that
// has just been drained, that recv() only says EAGAIN, and an async_wait instead costs an epoll_ctl(). Either
// way a request costs three system calls where nginx spends two. The reactor skips the attempt when the
// descriptor's try_speculative_ flag for reads is false; Asio keeps that flag private, so this header reaches
// it the one sanctioned way C++ has: an explicit instantiation, where access checks do not apply
// ([temp.spec.general]). Only for Asio's epoll reactor of Boost 1.81 (Debian 12's) on Linux; elsewhere the
// read is started as usual.
//
// When it is safe: the socket was drained by a recv() made in a handler the reactor called directly (no
// epoll_wait since), so any byte that arrives later raises an edge the reactor has not seen yet, and the
// queued read is performed then. The caller (Connection) tracks that.
#pragma once

#include <boost/asio/basic_socket.hpp>
#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/version.hpp>
#include <type_traits>
#include <utility>

namespace duet::server::detail {

// Only the Boost release whose reactor this was checked against (try_speculative_ set again by every
// readiness event, reads performed by the reactor in the handler it calls): another release falls back to
// Asio's ordinary read, which is always right, rather than trusting private members it has not been read for.
#if defined(BOOST_ASIO_HAS_EPOLL) && !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT) && \
    !defined(BOOST_ASIO_HAS_IOCP) && !defined(BOOST_ASIO_WINDOWS_RUNTIME) && BOOST_VERSION / 100 == 1081
#define DUET_SERVER_READ_HINT 1

namespace read_hint {

using Reactor = boost::asio::detail::epoll_reactor;
using DescriptorState = Reactor::descriptor_state;
// The executor of the server's sockets: their loop's io_context's own.
using Executor = boost::asio::io_context::executor_type;
template <class Protocol>
using Impl =
    boost::asio::detail::io_object_impl<boost::asio::detail::reactive_socket_service<Protocol>, Executor>;

template <class Tag, typename Tag::type Member>
struct Grant {
  friend typename Tag::type member(Tag) noexcept { return Member; }
};

struct TrySpeculative {
  using type = bool (DescriptorState::*)[Reactor::max_ops];
  friend type member(TrySpeculative) noexcept;
};
struct TcpImpl {
  using type = Impl<boost::asio::ip::tcp> boost::asio::basic_socket<boost::asio::ip::tcp, Executor>::*;
  friend type member(TcpImpl) noexcept;
};
struct UnixImpl {
  using type = Impl<boost::asio::local::stream_protocol>
      boost::asio::basic_socket<boost::asio::local::stream_protocol, Executor>::*;
  friend type member(UnixImpl) noexcept;
};

template struct Grant<TrySpeculative, &DescriptorState::try_speculative_>;
template struct Grant<TcpImpl, &boost::asio::basic_socket<boost::asio::ip::tcp, Executor>::impl_>;
template struct Grant<UnixImpl,
                      &boost::asio::basic_socket<boost::asio::local::stream_protocol, Executor>::impl_>;

template <class Protocol>
DescriptorState* state_of(boost::asio::basic_socket<Protocol, Executor>& socket) noexcept {
  if constexpr (std::is_same_v<Protocol, boost::asio::ip::tcp>) {
    return (socket.*member(TcpImpl{})).get_implementation().reactor_data_;
  } else {
    return (socket.*member(UnixImpl{})).get_implementation().reactor_data_;
  }
}

}  // namespace read_hint

/// Starts `socket.async_read_some(buffer, handler)` without the speculative recv(). The loop's io_context
/// is run by one thread, which is also the only one that runs its reactor, so the flag needs no lock.
template <class Protocol, class Buffer, class Handler>
void queue_read_without_trying(boost::asio::basic_stream_socket<Protocol, read_hint::Executor>& socket,
                               const Buffer& buffer, Handler&& handler) {
  read_hint::DescriptorState* state = read_hint::state_of<Protocol>(socket);
  bool* flags = state ? (state->*member(read_hint::TrySpeculative{})) : nullptr;
  if (flags) flags[read_hint::Reactor::read_op] = false;
  socket.async_read_some(buffer, std::forward<Handler>(handler));
  // Back to Asio's default at once: the reactor sets it again on the next edge anyway, and a read started
  // by anyone else (Beast after an upgrade) must try first.
  if (flags) flags[read_hint::Reactor::read_op] = true;
}
#else
template <class Socket, class Buffer, class Handler>
void queue_read_without_trying(Socket& socket, const Buffer& buffer, Handler&& handler) {
  socket.async_read_some(buffer, std::forward<Handler>(handler));
}
#endif

}  // namespace duet::server::detail
