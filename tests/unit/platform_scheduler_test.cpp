// Scheduler (events keyed by cycle, deterministic order) and InputQueue.
#include <gtest/gtest.h>

#include "platform/input_queue.h"
#include "platform/scheduler.h"

using namespace platform;

namespace {

TEST(Scheduler, RunsDueEventsInCycleThenSchedulingOrder) {
  Scheduler s;
  std::vector<std::string> log;
  EXPECT_EQ(s.next_deadline(), Scheduler::kNever);
  s.schedule(300, [&](uint64_t) { log.push_back("c300"); });
  s.schedule(100, [&](uint64_t) { log.push_back("a100"); });
  s.schedule(100, [&](uint64_t) { log.push_back("b100"); });
  EXPECT_EQ(s.next_deadline(), 100u);
  EXPECT_EQ(s.run_due(99), 0u);
  EXPECT_EQ(s.run_due(100), 2u);
  EXPECT_EQ(log, (std::vector<std::string>{"a100", "b100"}));
  EXPECT_EQ(s.next_deadline(), 300u);
  EXPECT_EQ(s.run_due(1000), 1u);
  EXPECT_TRUE(s.empty());
}

TEST(Scheduler, CallbacksMayRescheduleAndCancel) {
  Scheduler s;
  int ticks = 0;
  std::function<void(uint64_t)> tick = [&](uint64_t now) {
    ++ticks;
    if (ticks < 5) s.schedule(now + 10, tick);
  };
  s.schedule(10, tick);
  s.run_due(25);  // 10, 20
  EXPECT_EQ(ticks, 2);
  EXPECT_EQ(s.next_deadline(), 30u);
  const auto id = s.schedule(35, [&](uint64_t) { ticks = 100; });
  EXPECT_TRUE(s.cancel(id));
  EXPECT_FALSE(s.cancel(id));
  s.run_due(1000);
  EXPECT_EQ(ticks, 5);
}

TEST(Scheduler, EventsDueNowScheduledByACallbackRunInTheSamePass) {
  Scheduler s;
  std::vector<uint64_t> seen;
  s.schedule(5, [&](uint64_t now) {
    seen.push_back(now);
    s.schedule(now, [&](uint64_t n) { seen.push_back(n + 1000); });
  });
  EXPECT_EQ(s.run_due(5), 2u);
  EXPECT_EQ(seen, (std::vector<uint64_t>{5, 1005}));
}

TEST(InputQueue, DeliversInPushOrderByCycle) {
  InputQueue q;
  EXPECT_EQ(q.next_cycle(), UINT64_MAX);
  q.push({100, InputChannel::Serial, 'a'});
  q.push({50, InputChannel::Serial, 'b'});  // earlier than the last: raised to 100
  q.push({200, InputChannel::Keyboard, 0x1C});
  EXPECT_EQ(q.size(), 3u);
  EXPECT_TRUE(q.take_due(99).empty());
  const auto due = q.take_due(150);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].byte, 'a');
  EXPECT_EQ(due[1].byte, 'b');
  EXPECT_EQ(due[1].cycle, 100u);
  EXPECT_EQ(q.next_cycle(), 200u);
}

}  // namespace
