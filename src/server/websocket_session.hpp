// WebSocketSession: the ASGI websocket protocol on a connection whose request asked to upgrade.
//
// The application hears websocket.connect first and answers websocket.accept (the 101 goes out then) or
// websocket.close (403). After the accept a reader keeps one Beast read outstanding, which also answers
// pings, and queues whole messages for receive() (bounded by bytes: back-pressure stops reading). A
// client close or a dead connection gives websocket.disconnect and cancels the application.
#pragma once

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <deque>
#include <string>
#include <tuple>

#include "response_head.hpp"
#include "server_core.hpp"
#include "waiter.hpp"

namespace duet::server::detail {

/// True if the request's Upgrade header names websocket.
bool is_websocket_upgrade(const asgi::Scope& scope) noexcept;
/// Checks an upgrade request's WebSocket fields (RFC 6455 §4.2.1). Returns 0 or the status to refuse with.
int check_websocket_request(const asgi::Scope& scope) noexcept;
/// Fills the websocket parts of `scope` (type, scheme, subprotocols) from the http scope of the request.
void make_websocket_scope(asgi::Scope& scope, bool tls);
/// Close codes an endpoint may send (RFC 6455 §7.4): 1000-1003, 1007-1014, 3000-4999.
bool valid_close_code(unsigned code) noexcept;

template <class Socket>
class WebSocketSession {
 public:
  WebSocketSession(LoopState& loop, Socket& socket, asgi::Scope& scope)
      : loop_(loop),
        options_(loop.core.options),
        socket_(socket),
        scope_(scope),
        ws_(socket),
        app_waiter_(loop.io.get_executor()),
        reader_waiter_(loop.io.get_executor()),
        done_waiter_(loop.io.get_executor()) {}

  /// Serves the scope until the application and the reader are done; the caller closes the socket.
  Task<void> run() {
    namespace websocket = boost::beast::websocket;
    request_.method(boost::beast::http::verb::get);
    std::string target = scope_.raw_path;
    if (!scope_.query_string.empty()) target.append("?").append(scope_.query_string);
    request_.target(target);
    request_.version(11);
    for (const auto& header : scope_.headers)
      request_.insert(header.name, header.value);

    ws_.read_message_max(options_.limits.max_websocket_message);
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = options_.timeouts.write;
    if (options_.timeouts.websocket_idle.count() > 0) {
      timeouts.idle_timeout = options_.timeouts.websocket_idle;
      timeouts.keep_alive_pings = true;
    } else {
      timeouts.idle_timeout = websocket::stream_base::none();
      timeouts.keep_alive_pings = false;
    }
    ws_.set_option(timeouts);

    receive_fn_ = [this] { return receive(); };
    send_fn_ = [this](asgi::SendEvent event) { return send(std::move(event)); };
    app_running_ = true;
    auto context = loop_.core.runtime.new_context(loop_.io, "WEBSOCKET " + scope_.path);
    boost::asio::co_spawn(
        context->executor(), loop_.core.app(scope_, receive_fn_, send_fn_),
        boost::asio::bind_cancellation_slot(app_cancel_.slot(), [this](std::exception_ptr e) {
          app_running_ = false;
          app_error_ = e;
          done_waiter_.notify();
        }));
    while (app_running_)
      co_await done_waiter_.wait();

    // What the application left undone.
    if (state_ == State::connecting) {
      // Returned (403, as ASGI servers do) or threw (500) without accepting.
      co_await write_http_error(app_error_ ? 500 : 403);
      state_ = State::closed;
    } else if (state_ == State::open) {
      close_reason_.clear();
      co_await close(app_error_ ? websocket::close_code::internal_error : websocket::close_code::normal);
    }
    // The stream must outlive every operation on it.
    while (reader_running_ || shutdown_close_running_)
      co_await done_waiter_.wait();
  }

  /// Graceful shutdown: tell the client the server is going away (1001); the application hears
  /// websocket.disconnect once the client answers.
  void on_shutdown() {
    if (state_ == State::connecting) {
      shutdown_requested_ = true;
      return;
    }
    if (state_ != State::open) return;
    state_ = State::closing;
    close_reason_.clear();
    shutdown_close_running_ = true;
    boost::asio::co_spawn(loop_.io, close_frame(boost::beast::websocket::close_code::going_away),
                          [this](std::exception_ptr) {
                            shutdown_close_running_ = false;
                            done_waiter_.notify();
                          });
  }

 private:
  enum class State { connecting, open, closing, closed };

  Task<void> write_http_error(int status) {
    std::string out;
    write_error(out, status, options_.server_header);
    boost::system::error_code ec;
    co_await boost::asio::async_write(socket_, boost::asio::buffer(out),
                                      boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  }

  // ---- the reader ----

  Task<void> read_loop() {
    namespace websocket = boost::beast::websocket;
    boost::beast::flat_buffer buffer;
    for (;;) {
      // Back-pressure: at most about one maximal message waits for the application.
      while (queued_bytes_ >= options_.limits.max_websocket_message || queue_.size() >= max_queued)
        co_await reader_waiter_.wait();
      boost::system::error_code ec;
      co_await ws_.async_read(buffer, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec) {
        if (ec == websocket::error::closed) {
          disconnect_code_ = ws_.reason().code == websocket::close_code::none ? 1005 : ws_.reason().code;
        } else if (ec == websocket::error::message_too_big) {
          disconnect_code_ = websocket::close_code::too_big;  // Beast has sent the 1009 close frame
        } else if (ec == boost::asio::error::operation_aborted && state_ == State::closing) {
          // Beast aborts the read once our close frame is out and reads the client's answer inside
          // async_close: the close code is known when that finishes.
          while (!close_done_)
            co_await reader_waiter_.wait();
          disconnect_code_ = close_answer_code_;
        } else {
          disconnect_code_ = 1006;
        }
        break;
      }
      std::string data(static_cast<const char*>(buffer.data().data()), buffer.size());
      buffer.consume(buffer.size());
      queued_bytes_ += data.size();
      queue_.push_back(ws_.got_text() ? asgi::WebSocketReceive::from_text(std::move(data))
                                      : asgi::WebSocketReceive::from_bytes(std::move(data)));
      app_waiter_.notify();
    }
    state_ = State::closed;
    app_waiter_.notify();
    // The client (or a timeout, or shutdown) ended it: an application that closed is left to finish.
    if (!app_closed_ && app_running_) app_cancel_.emit(boost::asio::cancellation_type::terminal);
  }

  void start_reader() {
    reader_running_ = true;
    boost::asio::co_spawn(loop_.io, read_loop(), [this](std::exception_ptr) {
      reader_running_ = false;
      if (state_ != State::closed) state_ = State::closed;
      app_waiter_.notify();
      done_waiter_.notify();
    });
  }

  // ---- receive() and send() of the application ----

  Task<asgi::ReceiveEvent> receive() {
    if (!connect_delivered_) {
      connect_delivered_ = true;
      co_return asgi::WebSocketConnect{};
    }
    for (;;) {
      if (!queue_.empty()) {
        asgi::WebSocketReceive message = std::move(queue_.front());
        queue_.pop_front();
        queued_bytes_ -= message.text ? message.text->size() : message.bytes->size();
        reader_waiter_.notify();
        co_return message;
      }
      if (state_ == State::closed) co_return asgi::WebSocketDisconnect(disconnect_code_);
      // A client that went away also cancels the application: it hears websocket.disconnect (above).
      if (const boost::system::error_code ec = std::get<0>(co_await app_waiter_.wait());
          ec && state_ != State::closed) {
        throw boost::system::system_error(ec);
      }
    }
  }

  // Not a coroutine: the message is taken synchronously (see Connection::send and asgi/messages.hpp).
  Task<void> send(asgi::SendEvent event) {
    if (sending_) throw asgi::ProtocolError("websocket: a send is still in progress (send one at a time)");
    if (auto* accept = std::get_if<asgi::WebSocketAccept>(&event)) {
      if (state_ != State::connecting)
        throw asgi::ProtocolError("websocket.accept sent twice or after close");
      for (const auto& h : accept->headers) {
        if (h.name.find_first_of("\r\n") != std::string::npos ||
            h.value.find_first_of("\r\n") != std::string::npos)
          throw asgi::ProtocolError("websocket.accept: CR or LF in a header");
      }
      if (accept->subprotocol) {
        bool offered = false;
        for (const auto& p : scope_.subprotocols)
          offered = offered || p == *accept->subprotocol;
        if (!offered) throw asgi::ProtocolError("websocket.accept: subprotocol the client did not offer");
      }
      pending_accept_ = std::move(*accept);
      sending_ = true;
      return do_accept();
    }
    if (auto* message = std::get_if<asgi::WebSocketSend>(&event)) {
      if (state_ == State::connecting) throw asgi::ProtocolError("websocket.send before websocket.accept");
      if (message->text.has_value() == message->bytes.has_value())
        throw asgi::ProtocolError("websocket.send needs exactly one of bytes and text");
      if (state_ != State::open) return ready();  // closed: nobody to send to; the app hears disconnect
      pending_text_ = message->text.has_value();
      pending_data_ = std::move(pending_text_ ? *message->text : *message->bytes);
      sending_ = true;
      return do_send();
    }
    if (auto* close_message = std::get_if<asgi::WebSocketClose>(&event)) {
      if (close_message->reason.size() > 123)
        throw asgi::ProtocolError("websocket.close: the reason is longer than 123 bytes");
      if (!valid_close_code(close_message->code))
        throw asgi::ProtocolError("websocket.close: invalid close code " +
                                  std::to_string(close_message->code));
      if (state_ == State::connecting) {
        state_ = State::closed;
        sending_ = true;
        return refuse();
      }
      if (state_ != State::open) return ready();
      close_reason_ = std::move(close_message->reason);
      app_closed_ = true;
      sending_ = true;
      return close(close_message->code);
    }
    throw asgi::ProtocolError(std::string(asgi::type_of(event)) + " is not valid in a websocket scope");
  }

  static Task<void> ready() { co_return; }

  Task<void> do_accept() {
    namespace websocket = boost::beast::websocket;
    struct Done {
      bool& flag;
      ~Done() { flag = false; }
    } done{sending_};
    const asgi::WebSocketAccept& accept = pending_accept_;
    const std::string& server_header = options_.server_header;
    ws_.set_option(websocket::stream_base::decorator([&accept, &server_header](websocket::response_type& r) {
      if (server_header.empty()) {
        r.erase(boost::beast::http::field::server);
      } else {
        r.set(boost::beast::http::field::server, server_header);
      }
      if (accept.subprotocol) r.set(boost::beast::http::field::sec_websocket_protocol, *accept.subprotocol);
      for (const auto& h : accept.headers)
        r.insert(h.name, h.value);
    }));
    boost::system::error_code ec;
    co_await ws_.async_accept(request_, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (ec) {
      state_ = State::closed;
      disconnect_code_ = 1006;
      throw boost::system::system_error(ec);
    }
    state_ = State::open;
    start_reader();
    if (shutdown_requested_) on_shutdown();
  }

  Task<void> do_send() {
    struct Done {
      bool& flag;
      ~Done() { flag = false; }
    } done{sending_};
    ws_.text(pending_text_);
    boost::system::error_code ec;
    co_await ws_.async_write(boost::asio::buffer(pending_data_),
                             boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    // A failed write means the connection is gone; the reader sees it too and the app hears disconnect.
    if (ec && ec != boost::asio::error::operation_aborted) {
      boost::system::error_code ignored;
      boost::beast::get_lowest_layer(socket_).close(ignored);
    }
  }

  Task<void> refuse() {
    struct Done {
      bool& flag;
      ~Done() { flag = false; }
    } done{sending_};
    co_await write_http_error(403);
  }

  Task<void> close(std::uint16_t code) {
    struct Done {
      bool& flag;
      ~Done() { flag = false; }
    } done{sending_};
    state_ = State::closing;
    co_await close_frame(code);
  }

  /// Sends the close frame; the reader then receives the client's answering close and ends.
  // The reason comes from close_reason_: a by-value string parameter of a coroutine is one of g++ 12's
  // miscompiled forms (asgi/messages.hpp).
  Task<void> close_frame(std::uint16_t code) {
    boost::beast::websocket::close_reason why(code);
    why.reason = close_reason_;
    boost::system::error_code ec;
    co_await ws_.async_close(why, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    close_done_ = true;
    if (!ec) close_answer_code_ = ws_.reason().code == 0 ? 1005 : ws_.reason().code;
    reader_waiter_.notify();
    if (ec) {
      boost::system::error_code ignored;
      boost::beast::get_lowest_layer(socket_).close(ignored);
    }
  }

  static constexpr std::size_t max_queued = 64;

  LoopState& loop_;
  const ServerOptions& options_;
  Socket& socket_;
  asgi::Scope& scope_;
  boost::beast::websocket::stream<Socket&> ws_;
  boost::beast::http::request<boost::beast::http::empty_body> request_;
  Waiter app_waiter_;
  Waiter reader_waiter_;
  Waiter done_waiter_;
  asgi::Receive receive_fn_;
  asgi::Send send_fn_;
  boost::asio::cancellation_signal app_cancel_;
  std::exception_ptr app_error_;
  bool app_running_ = false;
  bool reader_running_ = false;
  bool connect_delivered_ = false;
  bool sending_ = false;
  bool shutdown_requested_ = false;
  bool shutdown_close_running_ = false;
  bool app_closed_ = false;
  bool close_done_ = false;
  std::uint16_t close_answer_code_ = 1006;
  std::string close_reason_;
  State state_ = State::connecting;
  std::deque<asgi::WebSocketReceive> queue_;
  std::size_t queued_bytes_ = 0;
  std::uint16_t disconnect_code_ = 1006;
  asgi::WebSocketAccept pending_accept_;
  std::string pending_data_;
  bool pending_text_ = false;
};

}  // namespace duet::server::detail
