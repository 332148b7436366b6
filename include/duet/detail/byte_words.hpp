#pragma once

// Tests on eight bytes at once, for scanning the short strings of HTTP heads, JSON and templates: a loop
// the compiler vectorizes spends more setting up than such a string takes to scan, and one with a compare
// per byte costs a branch per byte. The word tests are the classic "has a byte equal to / less than n"
// ones: exact for the word as a whole (any byte matches or none), not for telling which byte.

#include <cstdint>
#include <cstring>
#include <string_view>

namespace duet::detail {

inline constexpr std::uint64_t kByteOnes = 0x0101010101010101ULL;
inline constexpr std::uint64_t kByteHighs = 0x8080808080808080ULL;

/// Eight bytes from `p` (unaligned), in the machine's order.
inline std::uint64_t load_word(const char* p) noexcept {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

/// Nonzero when a byte of `word` equals `c`. The high bit of the first such byte (in memory order, on a
/// little-endian machine) is set; bits above it may be set spuriously.
constexpr std::uint64_t word_has_byte(std::uint64_t word, unsigned char c) noexcept {
  const std::uint64_t x = word ^ (kByteOnes * c);
  return (x - kByteOnes) & ~x & kByteHighs;
}

/// Nonzero when a byte of `word` is below `n` (n <= 128).
constexpr std::uint64_t word_has_less(std::uint64_t word, unsigned n) noexcept {
  return (word - kByteOnes * n) & ~word & kByteHighs;
}

/// Whether any byte of `s` is below `n` (n <= 128) or equal to one of `bytes`.
template <unsigned char... bytes>
bool any_byte_below_or_in(std::string_view s, unsigned n) noexcept {
  const char* p = s.data();
  std::size_t size = s.size(), i = 0;
  for (; i + 8 <= size; i += 8) {
    const std::uint64_t word = load_word(p + i);
    if ((word_has_less(word, n) | ... | word_has_byte(word, bytes)) != 0) return true;
  }
  for (; i < size; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c < n || ((c == bytes) || ...)) return true;
  }
  return false;
}

/// Lower-cases the ASCII letters of `s` in place, eight bytes at a time; every other byte (bytes over 0x7F
/// included) is kept. For header names, about a dozen bytes, where a byte loop costs a branch per byte.
inline void lower_ascii_in_place(char* s, std::size_t n) noexcept {
  auto lower_word = [](char* p) {
    std::uint64_t word = load_word(p);
    const std::uint64_t low7 = word & ~kByteHighs;
    // The high bit of each byte in 'A'..'Z': at least 'A' and not above 'Z' (no carry between bytes: at most
    // 0x7F + 0x3F), and not a byte over 0x7F.
    const std::uint64_t upper =
        ((low7 + kByteOnes * (0x80 - 'A')) ^ (low7 + kByteOnes * (0x7F - 'Z'))) & ~word & kByteHighs;
    word |= upper >> 2;  // 0x20 where the high bit was
    std::memcpy(p, &word, sizeof word);
  };
  if (n < 8) {
    for (std::size_t i = 0; i < n; ++i)
      if (s[i] >= 'A' && s[i] <= 'Z') s[i] = static_cast<char>(s[i] + ('a' - 'A'));
    return;
  }
  for (std::size_t i = 0; i + 8 < n; i += 8)
    lower_word(s + i);
  lower_word(s + n - 8);  // the last eight, overlapping what is done: lower-casing twice changes nothing
}

}  // namespace duet::detail
