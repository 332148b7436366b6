// A throw-away self-signed certificate for the TLS and wss tests (made with the openssl command).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "support.hpp"

namespace duet::testing {

struct SelfSignedCert {
  SelfSignedCert() {
    char pattern[] = "/tmp/duet-tls-XXXXXX";
    if (!::mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
    dir = pattern;
    certfile = dir + "/cert.pem";
    keyfile = dir + "/key.pem";
    // EC keys are quick to make; the SANs let curl verify both names without -k.
    run_command(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "
        "/CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
        keyfile + " -out " + certfile + " 2>/dev/null");
    if (!std::filesystem::exists(certfile) || !std::filesystem::exists(keyfile))
      throw std::runtime_error("openssl could not make a self-signed certificate");
  }
  ~SelfSignedCert() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  SelfSignedCert(const SelfSignedCert&) = delete;
  SelfSignedCert& operator=(const SelfSignedCert&) = delete;

  std::string dir;
  std::string certfile;
  std::string keyfile;
};

}  // namespace duet::testing
