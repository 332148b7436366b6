// TLS for the async server: the OpenSSL context built from TlsOptions, and a trait telling a TLS stream
// from a plain socket so Connection can handshake first (Asio's ssl::stream stays out of public headers).
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <memory>
#include <type_traits>

#include "duet/server/options.hpp"

namespace duet::server::detail {

template <class Stream>
struct is_tls_stream : std::false_type {};
template <class Next>
struct is_tls_stream<boost::asio::ssl::stream<Next>> : std::true_type {};

/// A server context for TLS 1.2 and later with the certificate chain and key of `options`. Throws
/// std::runtime_error naming the file when one cannot be loaded or the key does not match.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const TlsOptions& options);

}  // namespace duet::server::detail
