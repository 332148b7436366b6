#include "duet/http/body.hpp"

#include <algorithm>
#include <cstring>

namespace duet::http {

std::size_t BufferBodySource::read(std::span<char> dst) {
  std::size_t n = std::min(dst.size(), data_.size() - pos_);
  std::memcpy(dst.data(), data_.data() + pos_, n);
  pos_ += n;
  return n;
}

Task<std::size_t> BufferBodySource::aread(std::span<char> dst) {
  co_return read(dst);
}

}  // namespace duet::http
