// Stages the gen_stage suites share, after the helpers of GenStage's own
// test suite: a counting producer, a consumer and a producer_consumer that
// tell the test each batch they handle, and what their callbacks saw.
//
// | stage           | kind              | tells the test                          |
// |-----------------|-------------------|-----------------------------------------|
// | counter         | producer          | each handle_demand, as demanded{n}      |
// | forwarder       | consumer          | each batch, as consumed{events}         |
// | doubler         | producer_consumer | each batch, as passed{events}; emits    |
// |                 |                   | each event twice                        |
// Each stage also reports handle_subscribe and handle_cancel as a `seen`.
// stage_fixture: a manual node, the test's mailbox, captured log events, and
// helpers to start these stages and read what they tell.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "otp/otp.hpp"
#include "otp/services/gen_stage.hpp"
#include "support/captured_log.hpp"

namespace otp_test {

struct consumed {
  std::vector<long> events;
};
struct demanded {
  std::size_t n;
};
/// What a doubler got (before doubling it).
struct passed {
  std::vector<long> events;
};
/// A callback other than the event handlers ran: "subscribe producer",
/// "cancel cancel normal", "cancel down killed", "terminate shutdown", ...
struct seen {
  std::string what;
};

inline std::vector<long> range(long from, long to) {  // [from, to]
  std::vector<long> v;
  for (long i = from; i <= to; ++i) v.push_back(i);
  return v;
}

inline std::string cancel_text(const otp::cancellation& c) {
  return std::string("cancel ") + (c.kind == otp::cancellation::cause::down ? "down " : "cancel ") +
         c.reason.to_string();
}

/// Emits next, next+1, ... for each demand (GenStage's test Counter), up
/// to `limit` events in all (a manual node runs until nothing is runnable,
/// so a test's pipeline must come to rest).
struct counter {
  using out = long;
  struct emit {  // cast: emit these now, demand or not
    std::vector<long> events;
  };
  long next;
  otp::pid test;
  otp::stage_options options;
  long limit;
  counter(long start, otp::pid t, otp::stage_options o = {}, long lim = 3000)
      : next(start), test(t), options(std::move(o)), limit(start + lim) {}
  otp::stage_options init() { return options; }
  std::vector<long> handle_demand(std::size_t n) {
    otp::send(test, demanded{n});
    std::vector<long> v;
    for (std::size_t i = 0; i < n && next < limit; ++i) v.push_back(next++);
    return v;
  }
  std::vector<long> handle_cast(emit e) { return std::move(e.events); }
  void handle_cancel(const otp::cancellation& c, otp::stage_from) {
    otp::send(test, seen{cancel_text(c)});
  }
};

/// Tells the test each batch (GenStage's test Forwarder).
struct forwarder {
  using in = long;
  otp::pid test;
  otp::stage_options options;
  otp::demand_mode mode = otp::demand_mode::automatic;
  forwarder(otp::pid t, otp::stage_options o = {}, otp::demand_mode m = otp::demand_mode::automatic)
      : test(t), options(std::move(o)), mode(m) {}
  otp::stage_options init() { return options; }
  otp::demand_mode handle_subscribe(otp::stage_peer, const otp::subscription_options&,
                                    otp::stage_from from) {
    otp::send(test, seen{"subscribe producer"});
    otp::send(test, from);
    return mode;
  }
  void handle_events(std::vector<long> events, otp::stage_from) {
    otp::send(test, consumed{std::move(events)});
  }
  void handle_cancel(const otp::cancellation& c, otp::stage_from) {
    otp::send(test, seen{cancel_text(c)});
  }
  void terminate(const otp::exit_reason& r) { otp::send(test, seen{"terminate " + r.to_string()}); }
};

/// Emits each event twice and tells the test each batch it got.
struct doubler {
  using in = long;
  using out = long;
  otp::pid test;
  otp::stage_options options;
  doubler(otp::pid t, otp::stage_options o = {}) : test(t), options(std::move(o)) {}
  otp::stage_options init() { return options; }
  std::vector<long> handle_events(std::vector<long> events, otp::stage_from) {
    otp::send(test, passed{events});
    std::vector<long> out;
    for (long e : events) {
      out.push_back(e);
      out.push_back(e);
    }
    return out;
  }
};

/// A manual node (virtual time) with the test's mailbox, log captured.
class stage_fixture : public captured_log {
 protected:
  otp::node node{{.manual = true}};
  otp::mailbox mb{node};

  std::vector<long> next_batch() { return mb.receive<consumed>().events; }
  std::string next_seen() { return mb.receive<seen>().what; }
  /// No message of type T is queued now.
  template <class T>
  bool none_queued() {
    return mb.receive([](const T&) { return false; }, otp::after(0, [] { return true; }));
  }
  /// Lets `t` of virtual time pass (the node runs what becomes due).
  void idle_for(std::chrono::milliseconds t) {
    struct nothing {};
    (void)mb.receive<nothing>(otp::timeout(t));
  }
  /// Waits for the DOWN of monitor `r` and returns its reason.
  otp::exit_reason down_of(otp::ref r) {
    return mb.receive(otp::when([r](const otp::down_msg& d) { return d.monitor == r; },
                                [](otp::down_msg&& d) { return std::move(d.reason); }));
  }
  /// Monitors `p` and waits for its DOWN reason (noproc if it is dead already).
  otp::exit_reason down_of(otp::pid p) { return down_of(otp::monitor(p)); }

  otp::stage_ref<counter> start_counter(long from = 0, otp::stage_options o = {},
                                        long limit = 3000) {
    auto s = otp::gen_stage::start<counter>({}, from, mb.self(), std::move(o), limit).get();
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    return s.ref();
  }
  otp::stage_ref<forwarder> start_forwarder(otp::stage_options o = {},
                                            otp::demand_mode m = otp::demand_mode::automatic) {
    auto s = otp::gen_stage::start<forwarder>({}, mb.self(), std::move(o), m).get();
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    return s.ref();
  }
};

}  // namespace otp_test
