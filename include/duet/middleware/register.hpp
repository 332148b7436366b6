// Registration of duet's built-in middleware under Django-like names, for settings.MIDDLEWARE.
#pragma once

namespace duet::middleware {

/// Registers, with their default options:
///   "duet.middleware.common.CommonMiddleware"
///   "duet.middleware.security.SecurityMiddleware"
///   "duet.middleware.gzip.GZipMiddleware"
///   "duet.middleware.http.ConditionalGetMiddleware"
/// Idempotent; call at startup before the handler is built. To use other options, register a spec
/// (e.g. `handlers::register_middleware(SecurityMiddleware::spec({...}))`) after this call.
void register_builtin_middleware();

}  // namespace duet::middleware
