// ConnectionPool: per-loop free lists of the memory a connection needs only while a request is in progress
// (the read buffer, the output string, the header vector). An idle keep-alive connection hands them back,
// so 10,000 idle connections hold none of it, and a busy loop reuses the same few blocks without malloc.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "duet/asgi/scope.hpp"

namespace duet::server::detail {

/// Touched only on its loop's thread. Each list is bounded; past the bound, memory goes back to malloc.
class ConnectionPool {
 public:
  /// The size of every pooled read buffer (a connection grows its own past it when a head needs more).
  static constexpr std::size_t buffer_size = 2048;
  static constexpr std::size_t max_entries = 256;
  /// Strings and vectors that grew past these are freed rather than kept.
  static constexpr std::size_t max_string_capacity = 16 * 1024;
  static constexpr std::size_t max_header_capacity = 64;

  std::unique_ptr<char[]> take_buffer() {
    if (buffers_.empty()) return std::unique_ptr<char[]>(new char[buffer_size]);
    auto buffer = std::move(buffers_.back());
    buffers_.pop_back();
    return buffer;
  }
  /// `buffer` must be buffer_size bytes.
  void give_buffer(std::unique_ptr<char[]> buffer) {
    if (buffers_.size() < max_entries) buffers_.push_back(std::move(buffer));
  }

  /// Gives `s` (empty, no capacity) a pooled string's capacity, if there is one.
  void take(std::string& s) {
    if (strings_.empty()) return;
    s.swap(strings_.back());
    strings_.pop_back();
  }
  /// Takes `s`'s capacity and leaves it empty with none. Always inlined, as give(Headers&): called once per
  /// keep-alive request from Connection::serve(), a coroutine big enough that g++ otherwise calls them.
  [[gnu::always_inline]] void give(std::string& s) {
    if (s.capacity() == std::string().capacity()) return;  // nothing on the heap
    if (s.capacity() <= max_string_capacity && strings_.size() < max_entries) {
      s.clear();
      strings_.push_back(std::move(s));
    }
    std::string().swap(s);
  }

  void take(asgi::Headers& headers) {
    if (header_lists_.empty()) return;
    headers.swap(header_lists_.back());
    header_lists_.pop_back();
  }
  [[gnu::always_inline]] void give(asgi::Headers& headers) {
    if (headers.capacity() == 0) return;
    if (headers.capacity() <= max_header_capacity && header_lists_.size() < max_entries) {
      headers.clear();
      header_lists_.push_back(std::move(headers));
    }
    asgi::Headers().swap(headers);
  }

 private:
  std::vector<std::unique_ptr<char[]>> buffers_;
  std::vector<std::string> strings_;
  std::vector<asgi::Headers> header_lists_;
};

}  // namespace duet::server::detail
