#include <gtest/gtest.h>
#include <duet/template/engine.hpp>

using namespace duet::templates;

TEST(Template, RendersVariable) {
  Engine engine;
  Context ctx{{"name", "<World>"}};
  EXPECT_EQ(engine.from_string("Hello {{ name }}!")->render(ctx), "Hello &lt;World&gt;!");
}

TEST(Template, MakeList) {
  Engine engine;
  Context ctx{{"s", "hello"}};
  EXPECT_EQ(engine.from_string("{{ s|make_list }}")->render(ctx),
            "[&#x27;h&#x27;, &#x27;e&#x27;, &#x27;l&#x27;, &#x27;l&#x27;, &#x27;o&#x27;]");
  EXPECT_EQ(engine.from_string("{% for c in s|make_list %}{{ c }}.{% endfor %}")->render(ctx), "h.e.l.l.o.");
}
