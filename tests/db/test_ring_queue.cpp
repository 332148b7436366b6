#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "db/backends/postgresql/ring_queue.hpp"

using duet::db::postgresql::detail::RingQueue;

namespace {

/// Counts the live objects, so a test can tell every element was destroyed exactly once.
struct Tracked {
  static inline int live = 0;
  explicit Tracked(int v) : value(v), text(std::string(40, static_cast<char>('a' + v % 26))) { ++live; }
  Tracked(Tracked&& o) noexcept : value(o.value), text(std::move(o.text)) { ++live; }
  ~Tracked() { --live; }
  int value;
  std::string text;  // long enough to live on the heap: a bitwise relocation would show under ASan
};

std::vector<int> values(const RingQueue<Tracked>& q) {
  std::vector<int> out;
  for (const Tracked& t : q)
    out.push_back(t.value);
  return out;
}

}  // namespace

TEST(RingQueue, KeepsFifoOrderAcrossWrapAroundAndGrowth) {
  {
    RingQueue<Tracked> q;
    int next = 0, expected_front = 0;
    // Push three, pop two, repeatedly: the head walks around the buffer while it grows from 8 slots.
    for (int round = 0; round < 40; ++round) {
      for (int i = 0; i < 3; ++i, ++next)
        EXPECT_EQ(q.emplace_back(next).value, next);
      for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(q.front().value, expected_front);
        EXPECT_EQ(q.front().text, std::string(40, static_cast<char>('a' + expected_front % 26)));
        ++expected_front;
        q.pop_front();
      }
      EXPECT_EQ(q.back().value, next - 1);
    }
    ASSERT_EQ(q.size(), 40u);
    std::vector<int> want;
    for (int v = expected_front; v < next; ++v)
      want.push_back(v);
    EXPECT_EQ(values(q), want);
    for (std::size_t i = 0; i < q.size(); ++i)
      EXPECT_EQ(q[i].value, want[i]);
    EXPECT_EQ(Tracked::live, 40);
  }
  EXPECT_EQ(Tracked::live, 0);
}

TEST(RingQueue, MovedFromQueueIsEmptyAndReusable) {
  RingQueue<Tracked> a;
  for (int i = 0; i < 5; ++i)
    a.emplace_back(i);
  a.pop_front();
  RingQueue<Tracked> b = std::move(a);
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(values(b), (std::vector<int>{1, 2, 3, 4}));
  a.emplace_back(7);
  EXPECT_EQ(values(a), std::vector<int>{7});
  a = std::move(b);
  EXPECT_EQ(values(a), (std::vector<int>{1, 2, 3, 4}));
  a.clear();
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(Tracked::live, 0);
}
