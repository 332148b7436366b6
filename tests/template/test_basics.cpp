#include <gtest/gtest.h>
#include <duet/template/engine.hpp>

using namespace duet::templates;

TEST(Template, RendersVariable) {
  Engine engine;
  Context ctx{{"name", "<World>"}};
  EXPECT_EQ(engine.from_string("Hello {{ name }}!")->render(ctx), "Hello &lt;World&gt;!");
}
