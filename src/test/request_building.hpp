// What Client and RequestFactory both need to turn Django-style arguments into a request.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "duet/test/client.hpp"

namespace duet::test::detail {

inline constexpr std::string_view kBoundary = "BoUnDaRyStRiNg";  // Django's, so failures read the same

std::string lower(std::string_view s);
/// multipart/form-data body of `form` and `files`, with kBoundary.
std::string encode_multipart(const Data& form, const std::vector<File>& files);
inline std::string multipart_content_type() {
  return "multipart/form-data; boundary=" + std::string(kBoundary);
}
/// `path` with `query` urlencoded after '?' (or '&').
std::string with_query(std::string_view path, const Data& query);

}  // namespace duet::test::detail
