#include "tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

namespace duet::server::detail {

namespace {
std::string openssl_error() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return text;
}

// Offer HTTP/1.1 by ALPN when the client asks (curl offers h2 first): this server speaks HTTP/1.1 only.
int select_http11(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                  unsigned int inlen, void*) {
  static const unsigned char http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, http11, sizeof http11, in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}
}  // namespace

std::shared_ptr<boost::asio::ssl::context> make_tls_context(const TlsOptions& options) {
  namespace ssl = boost::asio::ssl;
  if (options.certfile.empty() || options.keyfile.empty())
    throw std::runtime_error("TLS needs both a certificate file and a key file");
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                       ssl::context::single_dh_use);
  // OpenSSL's own error text says why (no such file, bad PEM, key mismatch), which Asio's does not.
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(native, options.certfile.c_str()) != 1)
    throw std::runtime_error("cannot load TLS certificate '" + options.certfile + "': " + openssl_error());
  if (SSL_CTX_use_PrivateKey_file(native, options.keyfile.c_str(), SSL_FILETYPE_PEM) != 1)
    throw std::runtime_error("cannot load TLS key '" + options.keyfile + "': " + openssl_error());
  if (SSL_CTX_check_private_key(native) != 1)
    throw std::runtime_error("TLS key '" + options.keyfile + "' does not match certificate '" +
                             options.certfile + "': " + openssl_error());
  SSL_CTX_set_alpn_select_cb(native, select_http11, nullptr);
  return context;
}

}  // namespace duet::server::detail
