// A three-stage pipeline (otp/services/gen_stage.hpp): a producer that
// emits only what is asked for, a producer_consumer that transforms, and a
// slow consumer whose demand sets the pace; then a producer fed from a
// container and drained by the main thread. The snippets in
// docs/guide/stages.md are taken from this file.
#include <cstdio>
#include <vector>

#include "otp/otp.hpp"
#include "otp/services/enumerable_stage.hpp"
#include "otp/services/gen_stage.hpp"
#include "otp/services/stage_stream.hpp"

// [stages]
// A producer: emits 0, 1, 2, ... but never more than the demand it gets.
struct numbers {
  using out = long;
  long next = 0;
  long last;
  explicit numbers(long upto) : last(upto) {}
  std::vector<long> handle_demand(std::size_t demand) {  // handle_demand/2
    std::vector<long> events;
    while (events.size() < demand && next <= last) events.push_back(next++);
    return events;  // fewer than asked is fine: the rest of the demand is kept
  }
};

// A producer_consumer: takes longs, emits their squares.
struct squares {
  using in = long;
  using out = long;
  std::vector<long> handle_events(std::vector<long> events, otp::stage_from) {
    for (long& x : events) x *= x;
    return events;
  }
};

// A consumer: sums what it gets and reports once it has `expected` events.
struct summer {
  using in = long;
  otp::pid report;
  long expected;
  long seen = 0;
  long sum = 0;
  summer(otp::pid r, long n) : report(r), expected(n) {}
  void handle_events(std::vector<long> events, otp::stage_from) {
    for (long x : events) sum += x;
    seen += static_cast<long>(events.size());
    if (seen == expected) otp::send(report, sum);
  }
};
// [end]

int main() {
  otp::node node({.schedulers = 2});
  otp::mailbox main_box(node);

  // [pipeline]
  auto producer = otp::gen_stage::start_link<numbers>(999L).get();
  auto middle = otp::gen_stage::start_link<squares>().get();
  auto consumer = otp::gen_stage::start_link<summer>(main_box.self(), 1000L).get();

  // Each consumer asks for at most 100 events at a time, and asks again
  // once 50 of them are handled: no stage ever holds more.
  otp::gen_stage::sync_subscribe(consumer.ref(), middle.ref(), {.max_demand = 100}).get();
  otp::gen_stage::sync_subscribe(middle.ref(), producer.ref(), {.max_demand = 100}).get();

  const long sum = main_box.receive<long>();  // 0^2 + 1^2 + ... + 999^2
  // [end]
  std::printf("sum of squares 0..999 = %ld (expected 332833500)\n", sum);

  // [plain]
  // A producer fed from a container, drained by this thread: the stream
  // asks for 2 items at a time, and ends once the producer has sent its
  // last item and stopped (normal, which a transient subscription accepts).
  auto source = otp::gen_stage::from_enumerable(std::vector<long>{1, 2, 3, 4, 5}).get();
  otp::stage_stream<long> stream(main_box);
  stream.subscribe(source.ref(), {.max_demand = 2, .cancel = otp::cancel_mode::transient});
  long total = 0;
  for (long x : stream) total += x;
  // [end]
  std::printf("sum of 1..5 drained by the main thread = %ld (expected 15)\n", total);
  return sum == 332833500L && total == 15 ? 0 : 1;
}
