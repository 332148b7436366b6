// A self-signed certificate made for the test with the openssl command, and a server TLS context using it.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace duet::client::testing {

/// Key and certificate (CN=localhost, subjectAltName DNS:localhost only) in a fresh temporary directory.
struct SelfSignedCert {
  std::filesystem::path dir;
  std::string cert;
  std::string key;

  SelfSignedCert() {
    char pattern[] = "/tmp/duet-client-tls-XXXXXX";
    if (!::mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
    dir = pattern;
    cert = (dir / "cert.pem").string();
    key = (dir / "key.pem").string();
    std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=localhost -addext subjectAltName=DNS:localhost "
        "-addext basicConstraints=critical,CA:TRUE -keyout " +
        key + " -out " + cert + " >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("openssl req failed");
  }
  ~SelfSignedCert() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  std::shared_ptr<boost::asio::ssl::context> server_context() const {
    auto context = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    context->use_certificate_chain_file(cert);
    context->use_private_key_file(key, boost::asio::ssl::context::pem);
    return context;
  }
};

}  // namespace duet::client::testing
