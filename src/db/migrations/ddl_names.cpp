#include "ddl_names.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <cctype>
#include <stdexcept>

namespace duet::db::migrations::ddl {

namespace {
// Django's names_digest(*args, length=8): md5 over the arguments concatenated, first 8 hex digits.
std::string names_digest(std::string_view table, const std::vector<std::string>& columns) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) throw std::bad_alloc();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  bool ok = EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx, table.data(), table.size()) == 1;
  for (auto& c : columns)
    ok = ok && EVP_DigestUpdate(ctx, c.data(), c.size()) == 1;
  ok = ok && EVP_DigestFinal_ex(ctx, digest, &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok || len < 4) throw std::runtime_error("md5 digest failed");
  std::string out;
  for (unsigned i = 0; i < 4; ++i)
    out += fmt::format("{:02x}", digest[i]);
  return out;
}
}  // namespace

std::string index_name(std::string_view table, const std::vector<std::string>& columns,
                       std::string_view suffix, std::size_t max_length) {
  std::string joined;
  for (auto& c : columns)
    joined += (joined.empty() ? "" : "_") + c;
  std::string hash_suffix = names_digest(table, columns) + std::string(suffix);
  std::string name = fmt::format("{}_{}_{}", table, joined, hash_suffix);
  if (name.size() <= max_length) return name;
  if (hash_suffix.size() > max_length / 3) hash_suffix.resize(max_length / 3);
  const std::size_t other = (max_length - hash_suffix.size()) / 2 - 1;
  name =
      fmt::format("{}_{}_{}", table.substr(0, other), std::string_view(joined).substr(0, other), hash_suffix);
  // Django prepends D to a name that starts with an underscore or a digit (not allowed on Oracle).
  if (name[0] == '_' || std::isdigit(static_cast<unsigned char>(name[0])))
    name = "D" + name.substr(0, name.size() - 1);
  return name;
}

std::string foreign_key_name(std::string_view table, std::string_view column, std::string_view to_table,
                             std::string_view to_column) {
  return index_name(table, {std::string(column)}, fmt::format("_fk_{}_{}", to_table, to_column));
}

std::string postgresql_default_name(std::string_view table, std::string_view column, std::string_view label) {
  const std::size_t overhead = label.size() + 2;  // two underscores
  const std::size_t avail = postgresql_max_name_length - overhead;
  std::size_t n1 = table.size(), n2 = column.size();
  while (n1 + n2 > avail) {
    if (n1 > n2) {
      --n1;
    } else {
      --n2;
    }
  }
  return fmt::format("{}_{}_{}", table.substr(0, n1), column.substr(0, n2), label);
}

}  // namespace duet::db::migrations::ddl
