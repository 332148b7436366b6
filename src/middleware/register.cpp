#include "duet/middleware/register.hpp"

#include "duet/middleware/common.hpp"
#include "duet/middleware/gzip.hpp"
#include "duet/middleware/http.hpp"
#include "duet/middleware/security.hpp"

namespace duet::middleware {

void register_builtin_middleware() {
  handlers::register_middleware<CommonMiddleware>("duet.middleware.common.CommonMiddleware");
  handlers::register_middleware<SecurityMiddleware>("duet.middleware.security.SecurityMiddleware");
  handlers::register_middleware<GZipMiddleware>("duet.middleware.gzip.GZipMiddleware");
  handlers::register_middleware<ConditionalGetMiddleware>("duet.middleware.http.ConditionalGetMiddleware");
}

}  // namespace duet::middleware
