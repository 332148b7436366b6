// BodySource: where a request's body comes from — a complete buffer, or a server connection streaming it.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "duet/runtime/task.hpp"

namespace duet::http {

/// A request body read front to back, once. A server-backed implementation reads from its connection:
/// its read() blocks (and so should call duet::ensure_sync_context), its aread() suspends. Both return the
/// number of bytes copied into `dst`, 0 at the end of the body, and throw UnreadablePostError when the body
/// is cut short. Calls never overlap.
class BodySource {
 public:
  virtual ~BodySource() = default;
  virtual std::size_t read(std::span<char> dst) = 0;
  virtual Task<std::size_t> aread(std::span<char> dst) = 0;
  /// The announced length (Content-Length), when known.
  virtual std::optional<std::size_t> length() const { return std::nullopt; }
};

/// A body already in memory (test clients, small bodies the server read whole). Never blocks.
class BufferBodySource final : public BodySource {
 public:
  explicit BufferBodySource(std::string data) : data_(std::move(data)) {}
  std::size_t read(std::span<char> dst) override;
  Task<std::size_t> aread(std::span<char> dst) override;
  std::optional<std::size_t> length() const override { return data_.size(); }

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

}  // namespace duet::http
