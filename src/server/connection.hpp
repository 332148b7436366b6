// Connection: one HTTP/1.1 connection on one loop, serving requests in order through the Application.
//
// A read is kept outstanding whenever the buffer has room (the "reader"), so pipelined requests are
// gathered while the application runs, a client that goes away is noticed at once (http.disconnect and
// cancellation of the application), and a full buffer stops reading (back-pressure). Responses are
// accumulated and written with one write per batch of pipelined requests.
//
// On plain sockets, once a read leaves the socket drained the reader waits for readability instead of
// reading into the buffer: that saves the recv() that would only say EAGAIN, and it lets an idle
// keep-alive connection give its read buffer, output string and header vector back to the loop's
// ConnectionPool, so it costs little more than this object and its suspended coroutines. Responses are
// written with a non-blocking send first; only what the kernel does not take goes through async_write.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include "access_log.hpp"
#include "head_scanner.hpp"
#include "read_hint.hpp"
#include "request_parser.hpp"
#include "response_head.hpp"
#include "server_core.hpp"
#include "tls.hpp"
#include "waiter.hpp"
#include "websocket_session.hpp"

namespace duet::server::detail {

template <class Socket>
class Connection final : public ConnectionBase {
 public:
  Connection(std::shared_ptr<LoopState> loop, Socket socket, std::optional<asgi::Address> client,
             std::optional<asgi::Address> server)
      : ConnectionBase(*loop),
        socket_(std::move(socket)),
        flow_(ContextSlot::create(loop_.io)),
        conn_waiter_(loop_.io.get_executor()),
        parser_(loop_.core.options.limits, scope_),
        keep_loop_(std::move(loop)),
        app_waiter_(loop_.io.get_executor()) {
    scope_.client = std::move(client);
    scope_.server = std::move(server);
    scope_.root_path = options().root_path;
    scope_.scheme = tls ? "https" : "http";
    scope_.state = loop_.core.state;
  }

  /// Starts serving the connection; it deletes itself at the end.
  ///
  /// Each request's application runs on this connection's coroutine, awaited directly (no co_spawn: that
  /// was a frame, a post before its completion and so one more loop turn per request). The coroutine's
  /// executor is its ContextSlot's, which makes the request's Context current while the application runs.
  /// The cancellation signal that cancels an application (client gone) is bound to the coroutine's
  /// completion handler, which owns it: the coroutine's cancellation state lives in the signal's memory,
  /// so the signal must outlive the coroutine, and the Connection does not.
  static void start(Connection* raw) {
    auto signal = std::make_unique<boost::asio::cancellation_signal>();
    raw->app_cancel_ = signal.get();
    auto slot = signal->slot();
    boost::asio::co_spawn(raw->flow_->executor(), raw->serve_all(),
                          boost::asio::bind_cancellation_slot(
                              slot, [signal = std::move(signal)](const std::exception_ptr&) {}));
  }

  void on_timeout() override { close_socket(); }
  void on_shutdown() override {
    if (ws_) {
      ws_->on_shutdown();
    } else if (idle_) {
      close_socket();
    }
  }
  void force_close() override { close_socket(); }

 private:
  static constexpr bool tls = is_tls_stream<Socket>::value;
  static constexpr std::size_t max_batched_output = 64 * 1024;
  enum class Response { not_started, started, streaming, done };

  /// Serves the connection to its end, then deletes it. The only coroutine frame an idle connection adds
  /// is this one's and serve()'s: the object lives on the heap, one type per frame.
  Task<void> serve_all() {
    // The coroutine owns its connection: deleted as the body ends, however it ends (the frame outlives it).
    // Not a separate owning coroutine around this one: that frame was ~290 bytes of every idle connection.
    // The loop's keep-alive reference, moved here: declared before `self`, it is destroyed after the
    // connection's every member and its base (which unlinks it from the loop), and the member it came from
    // can sit with the cold ones instead of on the first cache line.
    const std::shared_ptr<LoopState> keep_loop = std::move(keep_loop_);
    std::unique_ptr<Connection> self(this);
    if constexpr (tls) {
      // Bounded like the header phase: a client that connects and never completes the handshake (or
      // speaks plain HTTP to the TLS port) is closed by the sweeper or fails the handshake.
      deadline = Clock::now() + options().timeouts.tls_handshake;
      boost::system::error_code ec;
      co_await socket_.async_handshake(boost::asio::ssl::stream_base::server,
                                       boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      deadline = Clock::time_point::max();
      if (ec || closed_) {
        close_socket();
        co_return;
      }
    }
    if constexpr (!tls) {
      // Reads and writes are tried at once and must not block: would_block sends them to the reactor.
      boost::system::error_code ignored;
      socket_.non_blocking(true, ignored);
    }
    receive_fn_ = [this] { return receive(); };
    // By reference: std::function hands its argument on as an rvalue, and each move of the variant is a
    // visit (two per message saved).
    send_fn_ = [this](asgi::SendEvent&& event) { return send(event); };
    // A read, not a readiness wait: bytes that came with the connection raised no edge we could wait for.
    start_read();
    try {
      co_await serve();
    } catch (const std::exception&) {
      // A failed write or a cancelled wait: the connection is over either way.
    }
    close_socket();
    while (reading_ || app_running_)
      co_await conn_waiter_.wait();
  }

  // Not members: the options are the server's (a line every connection shares), and the members a
  // request touches should take as few cache lines as they can.
  const ServerOptions& options() const noexcept { return loop_.core.options; }
  /// The read buffer's largest size.
  std::size_t max_cap() const noexcept {
    return std::max<std::size_t>(options().limits.max_request_line + options().limits.max_header_bytes + 4096,
                                 64 * 1024);
  }

  std::size_t available() const noexcept { return end_ - begin_; }
  const char* data() const noexcept { return buf_.get() + begin_; }

  // ---- the reader ----

  /// Makes room for `n` more bytes at the end of the buffer (taking one from the pool if there is none);
  /// false when that would take it past its largest.
  bool reserve(std::size_t n) {
    if (!buf_) {
      buf_ = loop_.pool.take_buffer();
      cap_ = ConnectionPool::buffer_size;
      begin_ = end_ = 0;
    }
    if (begin_ == end_) {
      begin_ = end_ = 0;
    } else if (begin_ > 0 && cap_ - end_ < n) {
      std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (cap_ - end_ >= n) return true;
    if (end_ + n > max_cap()) return false;  // full: the consumer calls start_read() again once it took some
    std::size_t grown = cap_;
    while (grown - end_ < n)
      grown = std::min(grown * 2, max_cap());
    std::unique_ptr<char[]> bigger(new char[grown]);
    std::memcpy(bigger.get(), buf_.get(), end_);
    buf_ = std::move(bigger);
    cap_ = grown;
    return true;
  }
  bool make_room() { return reserve(1); }

  /// Starts a read into the buffer. Asio tries it at once, so it is right whatever the socket's state.
  void start_read() {
    if (reading_ || eof_ || closed_ || upgrading_) return;
    if (!make_room()) return;
    reading_ = true;
    reading_into_buffer_ = true;
    read_by_reactor_ = false;
    const std::size_t want = cap_ - end_;
    socket_.async_read_some(
        boost::asio::buffer(buf_.get() + end_, want),
        [this, want](boost::system::error_code ec, std::size_t n) { on_read(ec, n, want, false); });
  }

  // Plain sockets. A read whose recv() the reactor made, in the handler it called directly (nothing else
  // ran in between, so no epoll_wait), leaves the socket drained with every later byte still to raise an
  // edge. The next read can then be queued without trying first (queue_read_without_trying: no recv() that
  // says EAGAIN) into the small inline buffer, so an idle connection needs no read buffer either. Which
  // reads qualify: waits and queued reads (the reactor performs them) that no asynchronous write overlapped
  // (the reactor completes a write before a read of the same event, and posts the second).

  /// Queues the next read into small_ (see above). Only from a handler the reactor called directly.
  void queue_read() {
    if (reading_ || eof_ || closed_ || upgrading_) return;
    if (available() + small_read > max_cap()) {
      start_read();  // near the bound: ordinary reads, which respect it
      return;
    }
    reading_ = true;
    reading_into_buffer_ = false;
    read_by_reactor_ = true;
    write_overlapped_ = async_writing_;
    queue_read_without_trying(
        socket_, boost::asio::buffer(small_, small_read),
        [this](boost::system::error_code ec, std::size_t n) { on_read(ec, n, small_read, true); });
  }

  /// Waits for readability (an epoll_ctl): how a connection whose last read was tried at once gets back
  /// to reads the reactor makes. Only right after a read that left the socket drained, in the same handler.
  void wait_readable() {
    reading_ = true;
    reading_into_buffer_ = false;
    read_by_reactor_ = true;
    write_overlapped_ = async_writing_;
    socket_.async_wait(Socket::wait_read, [this](boost::system::error_code ec) { on_readable(ec); });
  }

  void on_readable(boost::system::error_code ec) {
    if (!ec && !upgrading_ && !closed_ && make_room()) {
      const std::size_t want = cap_ - end_;
      std::size_t n = socket_.read_some(boost::asio::buffer(buf_.get() + end_, want), ec);
      if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
        ec = {};
        n = 0;  // readable, then not: drained all the same
      }
      on_read(ec, n, want, false);
      return;
    }
    if (!ec && !upgrading_ && !closed_) {
      // Full at its largest: the consumer restarts reading once it took some.
      reading_ = false;
      conn_waiter_.notify();
      wake_app();
      return;
    }
    on_read(ec, 0, 0, false);
  }

  /// After a successful read of `n` of `want` bytes on a plain socket: starts the next read.
  void continue_reading(std::size_t n, std::size_t want, bool direct) {
    if (!direct) {
      // Tried at once, or completed together with a write: whether an epoll_wait ran since the recv() is
      // unknown. A short read has drained the socket: wait (in this handler) to get back to direct reads.
      if (n < want) {
        wait_readable();
      } else {
        start_read();
      }
      return;
    }
    bool drained = n < want;
    if (!drained) {
      // The small buffer was filled: take the rest now, in this same handler, so the socket ends drained.
      if (!make_room()) return;  // full at its largest: the consumer restarts reading
      boost::system::error_code ec;
      const std::size_t room = cap_ - end_;
      std::size_t more = socket_.read_some(boost::asio::buffer(buf_.get() + end_, room), ec);
      if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
        drained = true;
      } else if (ec) {
        on_end_of_input();
        return;
      } else {
        end_ += more;
        drained = more < room;
      }
    }
    if (drained) {
      queue_read();
    } else {
      start_read();
    }
  }

  /// The buffer, output string and header vector go back to the loop's pool while nothing is in them.
  void release_idle_memory() {
    if (buf_ && begin_ == end_ && !(reading_ && reading_into_buffer_)) {
      if (cap_ == ConnectionPool::buffer_size) {
        loop_.pool.give_buffer(std::move(buf_));
      } else {
        buf_.reset();
      }
      cap_ = 0;
      begin_ = end_ = 0;
    }
    if (out_.empty()) loop_.pool.give(out_);
    loop_.pool.give(scope_.headers);
    asgi::Headers().swap(start_.headers);
  }

  void on_end_of_input() {
    eof_ = true;
    if (app_running_ && response_ != Response::done && !disconnected_) {
      // The client went away mid-request: the application hears http.disconnect and is cancelled.
      disconnected_ = true;
      app_cancel_->emit(boost::asio::cancellation_type::terminal);
    }
  }

  void on_read(boost::system::error_code ec, std::size_t n, std::size_t want, bool into_small) {
    const bool direct = read_by_reactor_ && !write_overlapped_ && !async_writing_;
    reading_ = false;
    reading_into_buffer_ = false;
    if (!ec && n > 0) {
      if (into_small) {
        // queue_read() left room for this below max_cap(), and only the consumer took bytes since.
        if (reserve(n)) {
          std::memcpy(buf_.get() + end_, small_, n);
          end_ += n;
        } else {
          ec = boost::asio::error::no_buffer_space;
        }
      } else {
        end_ += n;
      }
    }
    if (upgrading_) {
      // The read was cancelled to hand the socket to the WebSocket: not an end of the connection.
      if (ec && ec != boost::asio::error::operation_aborted) eof_ = true;
      conn_waiter_.notify();
      return;
    }
    if (ec) {
      on_end_of_input();
    } else {
      if constexpr (!tls) {
        continue_reading(n, want, direct);
      } else {
        start_read();
      }
    }
    wake_app();
    // Last: serve() resumes right here (no trip through the queue) and may end the connection.
    if (flow_->context()) {
      conn_waiter_.notify_now();
    } else {
      // Between requests (the only time serve() waits here) the slot holds no flow: its executor would
      // only make no Context current around the call.
      ContextScope no_flow(nullptr);
      conn_waiter_.resume_here();
    }
  }

  /// Wakes receive() if it waits. The flag, not the Waiter, is what a request's read and response look at:
  /// app_waiter_ sits with the cold members (few applications wait for body bytes).
  void wake_app() {
    if (app_waiting_) app_waiter_.notify();
  }

  void close_socket() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    // The TCP socket under TLS too: no close_notify, but nothing can block here.
    socket_.lowest_layer().shutdown(boost::asio::socket_base::shutdown_both, ignored);
    socket_.lowest_layer().close(ignored);
    conn_waiter_.notify();
    app_waiter_.notify();
  }

  /// Plain sockets: one non-blocking send of what is pending. True if all of it went out; otherwise the
  /// rest stays in out_ for flush().
  bool write_now() {
    if constexpr (tls) {
      return out_.empty();
    } else {
      if (out_.empty()) return true;
      if (closed_) return false;
      boost::system::error_code ec;
      std::size_t n = socket_.write_some(boost::asio::buffer(out_), ec);
      if (ec) return false;  // would_block, or an error flush() will meet and report
      if (n == out_.size()) {
        out_.clear();
        return true;
      }
      out_.erase(0, n);
      return false;
    }
  }

  Task<void> flush() {
    if (write_now()) co_return;
    if (closed_) throw boost::system::system_error(boost::asio::error::not_connected);
    deadline = Clock::now() + options().timeouts.write;
    async_writing_ = true;
    write_overlapped_ = true;  // a read pending now may complete in the same reactor event as this write
    // Deferred, as the waits: awaited in place, no coroutine frame per write.
    const boost::system::error_code ec = std::get<0>(co_await boost::asio::async_write(
        socket_, boost::asio::buffer(out_), boost::asio::as_tuple(boost::asio::deferred)));
    async_writing_ = false;
    deadline = Clock::time_point::max();
    out_.clear();
    if (ec) throw boost::system::system_error(ec);
  }

  /// Answers with an error status and closes, reading (and dropping) for a moment what the client still
  /// sends, so the kernel does not reset the connection before the client has read the answer.
  Task<void> respond_error(int status) {
    // What out_ holds are complete answers to earlier pipelined requests: they go first.
    write_error(out_, status, options().server_header);
    co_await flush();
    boost::system::error_code ignored;
    socket_.lowest_layer().shutdown(boost::asio::socket_base::shutdown_send, ignored);
    deadline = Clock::now() + std::chrono::seconds(2);
    std::size_t dropped = 0;
    while (!eof_ && !closed_ && dropped < 1024 * 1024) {
      dropped += available();
      begin_ = end_;
      start_read();
      co_await conn_waiter_.wait();
    }
  }

  // ---- one request after another ----

  Task<void> serve() {
    bool write_first = false;
    // The ways out that still write something are taken after the loop: g++ gives every co_await
    // expression slots of its own in this frame, in source order, and with these out of the loop the
    // slots of the two a keep-alive request takes (the wait for its head, the application) share a cache
    // line (one line of this frame fewer per request at hundreds of connections).
    enum class Exit : unsigned char { error, websocket, last_answer } exit = Exit::error;
    int error = 0;
    for (;;) {
      // Answers gathered for a pipelined batch go out in one write, once no complete head is left (or
      // they are many). One place for that write: every co_await has slots of its own in this frame, which
      // a request's resumptions touch.
      if (!out_.empty() && (write_first || !available() || out_.size() >= max_batched_output)) {
        if (!write_now()) co_await flush();
      }
      write_first = false;
      // The head.
      HeadScan scan;
      bool head_started = false;
      // The deadline is set only before a wait, once per phase (idle, then the head once its first byte is
      // here): a head already here in full (pipelined, or read before serve() resumed) needs no clock.
      enum class Armed : unsigned char { no, idle, head } armed = Armed::no;
      idle_ = true;
      for (;;) {
        if (available()) {
          begin_ += leading_empty_lines(data(), available());
          if (available()) {
            if (!head_started) {
              head_started = true;
              idle_ = false;
            }
            scan = scan_head(data(), available(), options().limits);
            if (scan.result != HeadScan::need_more) break;
          }
        }
        if (!out_.empty()) {
          write_first = true;  // before waiting for the rest of this head
          break;
        }
        if (eof_ || closed_) co_return;
        if (loop_.shutting_down && !head_started) co_return;
        if (const Armed phase = head_started ? Armed::head : Armed::idle; armed != phase) {
          armed = phase;
          deadline = Clock::now() +
                     (head_started || !had_request_ ? options().timeouts.header : options().timeouts.idle);
        }
        start_read();
        if (!head_started) release_idle_memory();
        // With deferred, not use_awaitable: Asio awaits the operation in place (awaitable_async_op) instead
        // of through a coroutine frame of its own, allocated per wait and cold by the time the wait ends.
        // conn_waiter_ is not cancellable and notify() completes without an error, so this never throws.
        co_await conn_waiter_.async_wait(boost::asio::deferred);
      }
      idle_ = false;
      if (write_first) continue;
      if (scan.result == HeadScan::error) {
        error = scan.status;
        break;
      }
      if (scope_.headers.capacity() == 0) loop_.pool.take(scope_.headers);
      int status = parser_.parse_head(data(), scan.head_length);
      begin_ += scan.head_length;
      if (status) {
        error = status;
        break;
      }
      deadline = Clock::time_point::max();
      if (parser_.upgrade() && is_websocket_upgrade(scope_)) {
        exit = Exit::websocket;
        break;
      }
      begin_request();

      // The application, in its own flow, on this coroutine (see start()). serve() has nothing else to do
      // meanwhile: the reader runs in its own handlers.
      {
        flow_->enter_new(loop_.core.runtime, scope_.method, scope_.path);
        app_running_ = true;
        try {
          co_await loop_.core.app(scope_, receive_fn_, send_fn_);
        } catch (...) {
          // Nothing to keep: a response the application did not finish is answered (500) or cut below.
        }
        app_running_ = false;
        flow_->leave();
        if (disconnected_) {
          // The application was cancelled: the cancellation stays in this coroutine's state, where it
          // would fail serve()'s own waits from now on.
          co_await boost::asio::this_coro::reset_cancellation_state();
        }
      }

      // After it.
      if (response_ != Response::done) {
        if (disconnected_ && !body_error_) co_return;
        if (response_ == Response::streaming) co_return;  // half a response: closing is the only signal left
        error = body_error_ ? body_error_ : 500;
        break;
      }
      loop_.core.requests_served.fetch_add(1, std::memory_order_relaxed);
      if (options().access_log) write_access_log(scope_, status_, body_bytes_);
      if (!body_done_) keep_alive_ = false;  // an unread body would be taken for the next request
      if (!keep_alive_ || loop_.shutting_down || closed_) {
        exit = Exit::last_answer;
        break;
      }
      // Bytes of the next request already here (pipelined) are answered before the write (at the top):
      // scanning for the end of the next head here as well was a second pass over it, on every request.
    }
    switch (exit) {
      case Exit::error:
        co_await respond_error(error);
        break;
      case Exit::websocket:
        co_await serve_websocket();
        break;
      case Exit::last_answer:
        co_await flush();
        break;
    }
  }

  /// Hands the connection to a WebSocketSession: the reader stops (Beast reads from now on) and the
  /// request is checked before the application hears websocket.connect.
  Task<void> serve_websocket() {
    if (!out_.empty()) co_await flush();  // answers to pipelined requests before it: the session writes next
    upgrading_ = true;
    if (reading_) {
      boost::system::error_code ignored;
      socket_.lowest_layer().cancel(ignored);
    }
    while (reading_)
      co_await conn_waiter_.wait();
    if (eof_ || closed_) co_return;
    // A client must wait for the 101 before sending frames (RFC 6455 §4.1), so bytes here are an error.
    int status = available() ? 400 : check_websocket_request(scope_);
    if (status) {
      upgrading_ = false;
      co_await respond_error(status);
      co_return;
    }
    make_websocket_scope(scope_, tls);
    ws_ = std::make_unique<WebSocketSession<Socket>>(loop_, socket_, scope_);
    if (loop_.shutting_down) ws_->on_shutdown();
    co_await ws_->run();
    loop_.core.requests_served.fetch_add(1, std::memory_order_relaxed);
  }

  void begin_request() {
    had_request_ = true;
    if (out_.capacity() == std::string().capacity()) loop_.pool.take(out_);
    keep_alive_ = parser_.keep_alive() && !loop_.shutting_down;
    chunked_body_ = parser_.chunked();
    body_remaining_ = chunked_body_ ? 0 : parser_.content_length().value_or(0);
    body_done_ = !chunked_body_ && body_remaining_ == 0;
    expect_continue_ = parser_.expect_continue() && !body_done_;
    continue_sent_ = false;
    last_piece_delivered_ = false;
    response_ = Response::not_started;
    disconnected_ = false;
    body_error_ = 0;
    body_bytes_ = 0;
  }

  // ---- receive() and send() of the application ----

  Task<asgi::ReceiveEvent> receive() {
    for (;;) {
      if (disconnected_) co_return asgi::HttpDisconnect{};
      if (body_done_ && !last_piece_delivered_) {
        // No body (or its end already parsed): ASGI still gives one http.request with more_body false.
        last_piece_delivered_ = true;
        co_return asgi::HttpRequest();
      }
      if (body_done_) {
        if (response_ == Response::done || eof_ || closed_) co_return asgi::HttpDisconnect{};
        // A disconnect also cancels the application: it hears http.disconnect (above) all the same.
        app_waiting_ = true;
        const boost::system::error_code ec = std::get<0>(co_await app_waiter_.wait());
        app_waiting_ = false;
        if (ec && !disconnected_) throw boost::system::system_error(ec);
        continue;
      }
      if (expect_continue_ && !continue_sent_ && response_ == Response::not_started) {
        // The client waits for this before sending the body: only now that the application asks for it.
        continue_sent_ = true;
        out_.append("HTTP/1.1 100 Continue\r\n\r\n");
        co_await flush();
      }
      if (available()) {
        asgi::HttpRequest piece;
        if (chunked_body_) {
          int status = 0;
          begin_ += parser_.parse_chunked(data(), available(), piece.body, status);
          if (status) {
            body_error_ = status;
            disconnected_ = true;
            keep_alive_ = false;
            co_return asgi::HttpDisconnect{};
          }
          body_done_ = parser_.is_done();
        } else {
          std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(available(), body_remaining_));
          piece.body.assign(data(), n);
          begin_ += n;
          body_remaining_ -= n;
          body_done_ = body_remaining_ == 0;
        }
        if (!piece.body.empty() || body_done_) {
          piece.more_body = !body_done_;
          last_piece_delivered_ = body_done_;
          start_read();
          co_return piece;
        }
      }
      if (eof_ || closed_) {
        disconnected_ = true;
        co_return asgi::HttpDisconnect{};
      }
      deadline = Clock::now() + options().timeouts.body;
      start_read();
      app_waiting_ = true;
      const boost::system::error_code ec = std::get<0>(co_await app_waiter_.wait());
      app_waiting_ = false;
      deadline = Clock::time_point::max();
      if (ec && !disconnected_) throw boost::system::system_error(ec);
    }
  }

  static Task<void> ready() { co_return; }

  // Not a coroutine on purpose: the message is taken synchronously, and g++ 12 miscompiles some by-value
  // class parameters of coroutines (see asgi/messages.hpp). Returns the write to await, if any.
  Task<void> send(asgi::SendEvent& event) {
    if (take(event)) return flush();
    return ready();
  }

  /// Takes one message of the application; true if it must be written now (a streamed piece).
  bool take(asgi::SendEvent& event) {
    if (auto* start = std::get_if<asgi::HttpResponseStart>(&event)) {
      if (response_ != Response::not_started) throw asgi::ProtocolError("http.response.start sent twice");
      start_ = std::move(*start);
      response_ = Response::started;
      return false;
    }
    auto* piece = std::get_if<asgi::HttpResponseBody>(&event);
    if (!piece)
      throw asgi::ProtocolError(std::string(asgi::type_of(event)) + " is not valid in an http scope");
    if (response_ == Response::not_started) {
      throw asgi::ProtocolError("http.response.body sent before http.response.start");
    }
    if (response_ == Response::done) throw asgi::ProtocolError("http.response.body sent after the response");
    if (disconnected_ || closed_) return false;  // nobody to send to; the application is being cancelled
    if (response_ == Response::started) {
      bool keep = keep_alive_ && !loop_.shutting_down && (body_done_ || piece->more_body);
      plan_ = write_head(out_, start_.status, start_.headers,
                         piece->more_body ? -1 : static_cast<std::int64_t>(piece->body.size()),
                         parser_.head_request(), parser_.version(), keep, options().server_header);
      keep_alive_ = plan_.keep_alive;
      status_ = start_.status;
      response_ = Response::streaming;
      asgi::Headers().swap(start_.headers);  // written: free them now, not at the next request
    }
    const std::size_t size = piece->body.size();
    switch (plan_.framing) {
      case Framing::none:
        break;
      case Framing::content_length:
        if (body_bytes_ + size > static_cast<std::uint64_t>(plan_.declared_length)) {
          keep_alive_ = false;
          throw asgi::ProtocolError("response body longer than its Content-Length");
        }
        out_.append(piece->body);
        break;
      case Framing::chunked:
        if (size) {
          char hex[20];
          auto end = std::to_chars(hex, hex + sizeof hex, size, 16).ptr;
          out_.append(hex, end).append("\r\n").append(piece->body).append("\r\n");
        }
        break;
      case Framing::close_delimited:
        out_.append(piece->body);
        break;
    }
    body_bytes_ += size;
    if (!piece->more_body) {
      if (plan_.framing == Framing::chunked) out_.append("0\r\n\r\n");
      if (plan_.framing == Framing::content_length &&
          body_bytes_ != static_cast<std::uint64_t>(plan_.declared_length)) {
        keep_alive_ = false;  // short body: only closing tells the client
      }
      response_ = Response::done;
      wake_app();
      return false;
    }
    // A streamed piece goes out now; the application waits for the write (back-pressure).
    return true;
  }

  // Members in the order a keep-alive request touches them, the cold ones last: with hundreds of
  // connections a request finds few of its connection's cache lines still cached, so the fewer lines it
  // touches the better (callgrind's cache simulation at 256 connections: bench/http/instructions.sh with
  // CACHE=1): up to the Scope's per-request fields they fill ten lines. The Scope's other fields, what only
  // an application reading a body or a disconnect touches, the inline read buffer and the WebSocket
  // session go last, with the loop's keep-alive reference (moved to serve_all()'s frame as it starts,
  // which destroys it after the connection) and the application's Waiter (app_waiting_ says whether to
  // wake it). The members a request touches then take nine lines, the inline read buffer's first a tenth.
  Socket socket_;
  std::size_t cap_ = 0;
  std::unique_ptr<char[]> buf_;  // null while idle (plain sockets)
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool reading_ = false;
  bool reading_into_buffer_ = false;
  // See queue_read(): the pending read is performed by the reactor (not tried at once), and whether an
  // asynchronous write was pending meanwhile.
  bool read_by_reactor_ = false;
  bool write_overlapped_ = false;
  bool async_writing_ = false;
  bool eof_ = false;
  bool closed_ = false;
  bool idle_ = true;
  bool upgrading_ = false;

  // The request in progress.
  bool app_running_ = false;
  bool keep_alive_ = true;
  bool chunked_body_ = false;
  bool body_done_ = true;
  bool expect_continue_ = false;
  bool continue_sent_ = false;
  bool last_piece_delivered_ = false;
  bool disconnected_ = false;
  bool had_request_ = false;  // the first head gets the header timeout, later ones the idle one
  bool app_waiting_ = false;  // receive() waits in app_waiter_
  Response response_ = Response::not_started;
  int body_error_ = 0;
  int status_ = 0;
  std::uint64_t body_remaining_ = 0;
  std::uint64_t body_bytes_ = 0;

  // The flow of the request being served (see start()).
  boost::intrusive_ptr<ContextSlot> flow_;
  // serve() waits here only between applications; a client that goes away cancels the application
  // (app_waiter_), never serve()'s own waits.
  UncancellableWaiter conn_waiter_;
  std::string out_;
  RequestParser parser_;  // built once: parse_head() starts each head afresh
  asgi::Send send_fn_;
  HeadPlan plan_;
  asgi::HttpResponseStart start_;
  asgi::Scope scope_;

  asgi::Receive receive_fn_;
  // Owned by start()'s completion handler; valid while this coroutine runs.
  boost::asio::cancellation_signal* app_cancel_ = nullptr;

  std::unique_ptr<WebSocketSession<Socket>> ws_;
  std::shared_ptr<LoopState> keep_loop_;  // until serve_all() starts
  Waiter app_waiter_;
  // Plain sockets: queued reads land here, so an idle connection holds no read buffer. 248 rather than 256:
  // the plain TCP Connection is then 1,152 bytes, tcmalloc's size class below 1,280 (128 bytes less per
  // connection, measured with bench/http/idle_connections.py); a longer head takes one more recv().
  // Aligned: a head of up to 64 bytes (a benchmark's GET) then lands in one cache line, not two; the
  // object's size stays 1,152 (it already started on a 64-byte boundary, tcmalloc's class being 18 lines).
  static constexpr std::size_t small_read = tls ? 1 : 248;
  alignas(64) char small_[small_read];
};

}  // namespace duet::server::detail
