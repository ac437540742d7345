#include "otp/services/registry.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "otp/otp.hpp"
#include "support/bodies.hpp"
#include "support/supervision.hpp"

using namespace std::chrono_literals;

namespace {

using otp::exit_reason;
using otp::registry_keys;
using otp_test::kill_and_wait;
using reg_t = otp::registry<std::string, int>;

/// Runs `fn` in the puppet's own process.
struct run {
  std::function<void()> fn;
};
/// A puppet has run one function.
struct puppet_done {
  otp::pid who;
};

/// A process that runs the functions it is sent and answers `puppet_done` after
/// each, so a test can act as several processes in turn.
otp::proc puppet(otp::pid report) {
  for (;;) {
    co_await otp::receive([report](run& r) {
      r.fn();
      otp::send(report, puppet_done{otp::self()});
    });
  }
}

/// Runs `fn` in process `p` and waits until it has run.
void in(otp::mailbox& mb, otp::pid p, std::function<void()> fn) {
  otp::send(p, run{std::move(fn)});
  mb.receive(
      otp::when([p](const puppet_done& d) { return d.who == p; }, [](const puppet_done&) {}));
}

std::vector<int> sorted_values(const std::vector<reg_t::entry>& es) {
  std::vector<int> v;
  for (const auto& e : es) v.push_back(e.second);
  std::sort(v.begin(), v.end());
  return v;
}

// Rule (Registry.register/3, unique keys): a key held by a live process is
// refused with {error, {already_registered, Holder}}; the holder keeps it.
TEST(Registry, UniqueKeyHeldByALiveProcessIsAlreadyRegisteredWithTheHolder) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  reg_t reg(n);
  ASSERT_TRUE(reg.start_link().is_ok());
  otp::pid a = n.spawn(puppet, mb.self());
  otp::pid b = n.spawn(puppet, mb.self());
  std::optional<otp::register_result> ra, rb;
  in(mb, a, [&] { ra = reg.register_key("k", 1); });
  in(mb, b, [&] { rb = reg.register_key("k", 2); });
  ASSERT_TRUE(ra && rb);
  EXPECT_TRUE(ra->is_ok());
  EXPECT_EQ(ra->to_string(), "ok");
  EXPECT_TRUE(rb->is_already_registered());
  EXPECT_EQ(rb->holder(), a);
  EXPECT_EQ(rb->to_string(), "{error,{already_registered," + a.to_string() + "}}");
  EXPECT_EQ(reg.lookup("k"), (std::vector<reg_t::entry>{{a, 1}}));
}

// Rule: registering a unique key one already holds is refused too, naming
// the caller itself (Elixir returns {error, {already_registered, self()}}).
TEST(Registry, RegisteringAHeldUniqueKeyAgainNamesTheCallerAsHolder) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  reg_t reg(n);
  ASSERT_TRUE(reg.start_link().is_ok());
  ASSERT_TRUE(reg.register_key("k", 1).is_ok());
  otp::register_result again = reg.register_key("k", 2);
  EXPECT_TRUE(again.is_already_registered());
  EXPECT_EQ(again.holder(), mb.self());
  EXPECT_EQ(reg.values("k", mb.self()), std::vector<int>{1});
}

// Rule (duplicate keys): a key takes any number of entries, several of them
// from one process; keys/values list each entry.
TEST(Registry, DuplicateKeysTakeManyEntriesAlsoFromOneProcess) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  reg_t reg(n, {.keys = registry_keys::duplicate});
  ASSERT_TRUE(reg.start_link().is_ok());
  otp::pid a = n.spawn(puppet, mb.self());
  ASSERT_TRUE(reg.register_key("topic", 1).is_ok());
  ASSERT_TRUE(reg.register_key("topic", 2).is_ok());
  in(mb, a, [&] { ASSERT_TRUE(reg.register_key("topic", 3).is_ok()); });
  EXPECT_EQ(sorted_values(reg.lookup("topic")), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(reg.keys(mb.self()), (std::vector<std::string>{"topic", "topic"}));
  std::vector<int> mine = reg.values("topic", mb.self());
  std::sort(mine.begin(), mine.end());
  EXPECT_EQ(mine, (std::vector<int>{1, 2}));
  EXPECT_EQ(reg.values("topic", a), std::vector<int>{3});
  EXPECT_EQ(reg.count(), 3u);
}

// Rule (match/4, count_match/4, count/1): match returns the entries whose
// value passes the predicate, count_match counts them, count counts all.
TEST(Registry, MatchAndCountMatchSelectEntriesByValueAndCountCountsAll) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  reg_t reg(n, {.keys = registry_keys::duplicate, .partitions = 3});
  ASSERT_TRUE(reg.start_link().is_ok());
  std::vector<otp::pid> ps;
  for (int i = 0; i < 6; ++i) {
    ps.push_back(n.spawn(puppet, mb.self()));
    in(mb, ps.back(), [&reg, i] { ASSERT_TRUE(reg.register_key("t", i).is_ok()); });
  }
  in(mb, ps[0], [&] { ASSERT_TRUE(reg.register_key("other", 100).is_ok()); });
  auto even = [](int v) { return v % 2 == 0; };
  EXPECT_EQ(sorted_values(reg.match("t", even)), (std::vector<int>{0, 2, 4}));
  EXPECT_EQ(reg.match("t", [](int v) { return v == 5; }), (std::vector<reg_t::entry>{{ps[5], 5}}));
  EXPECT_EQ(reg.count_match("t", even), 3u);
  EXPECT_EQ(reg.count_match("none", even), 0u);
  EXPECT_EQ(reg.count(), 7u);
}

// Rule (dispatch/3): the callback gets the entries of each partition that
// has some, is never called for a key without entries, and may use the
// registry itself.
TEST(Registry, DispatchCallsBackPerPartitionWithItsEntriesAndNeverWithout) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  reg_t reg(n, {.keys = registry_keys::duplicate, .partitions = 4});
  ASSERT_TRUE(reg.start_link().is_ok());
  for (int i = 0; i < 8; ++i) {
    otp::pid p = n.spawn(puppet, mb.self());
    in(mb, p, [&reg, i] { ASSERT_TRUE(reg.register_key("topic", i).is_ok()); });
  }
  int calls = 0;
  std::vector<reg_t::entry> seen;
  reg.dispatch("topic", [&](const std::vector<reg_t::entry>& es) {
    ++calls;
    EXPECT_FALSE(es.empty());
    EXPECT_EQ(reg.count(), 8u);  // no lock is held here
    seen.insert(seen.end(), es.begin(), es.end());
  });
  EXPECT_GE(calls, 1);
  EXPECT_LE(calls, 4);
  EXPECT_EQ(sorted_values(seen), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
  bool called = false;
  reg.dispatch("nobody", [&](const std::vector<reg_t::entry>&) { called = true; });
  EXPECT_FALSE(called);
}

// Rule (update_value/3): only the holder of a unique key updates its value;
// it gets {new, old}; anyone else gets :error (nullopt).
TEST(Registry, UpdateValueChangesTheHoldersValueAndReturnsNewAndOld) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  reg_t reg(n);
  ASSERT_TRUE(reg.start_link().is_ok());
  ASSERT_TRUE(reg.register_key("k", 1).is_ok());
  auto r = reg.update_value("k", [](int v) { return v + 10; });
  EXPECT_EQ(r, (std::pair<int, int>{11, 1}));
  EXPECT_EQ(reg.lookup("k"), (std::vector<reg_t::entry>{{mb.self(), 11}}));
  EXPECT_EQ(reg.update_value("missing", [](int v) { return v; }), std::nullopt);
  otp::pid a = n.spawn(puppet, mb.self());
  in(mb, a, [&] { EXPECT_EQ(reg.update_value("k", [](int) { return 0; }), std::nullopt); });
  EXPECT_EQ(reg.values("k", mb.self()), std::vector<int>{11});
}

// Rule (unregister/2): removes the caller's entries under the key, and only
// those; other processes' entries stay.
TEST(Registry, UnregisterRemovesOnlyTheCallersEntriesUnderTheKey) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  reg_t reg(n, {.keys = registry_keys::duplicate});
  ASSERT_TRUE(reg.start_link().is_ok());
  otp::pid a = n.spawn(puppet, mb.self());
  ASSERT_TRUE(reg.register_key("t", 1).is_ok());
  ASSERT_TRUE(reg.register_key("t", 2).is_ok());
  ASSERT_TRUE(reg.register_key("u", 3).is_ok());
  in(mb, a, [&] { ASSERT_TRUE(reg.register_key("t", 4).is_ok()); });
  reg.unregister("t");
  reg.unregister("never-registered");
  EXPECT_EQ(reg.lookup("t"), (std::vector<reg_t::entry>{{a, 4}}));
  EXPECT_EQ(reg.keys(mb.self()), std::vector<std::string>{"u"});
}

// Rule (unregister_match/4): removes the caller's entries under the key whose
// value matches, and nothing else.
TEST(Registry, UnregisterMatchRemovesOnlyTheCallersMatchingEntries) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  reg_t reg(n, {.keys = registry_keys::duplicate});
  ASSERT_TRUE(reg.start_link().is_ok());
  otp::pid a = n.spawn(puppet, mb.self());
  for (int v : {1, 2, 3}) ASSERT_TRUE(reg.register_key("t", v).is_ok());
  in(mb, a, [&] { ASSERT_TRUE(reg.register_key("t", 5).is_ok()); });
  reg.unregister_match("t", [](int v) { return v >= 2; });
  EXPECT_EQ(reg.values("t", mb.self()), std::vector<int>{1});
  EXPECT_EQ(reg.values("t", a), std::vector<int>{5});
}

// Rule: a unique key released by unregister can be taken by another process.
TEST(Registry, AKeyReleasedByUnregisterCanBeTakenByAnotherProcess) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  reg_t reg(n);
  ASSERT_TRUE(reg.start_link().is_ok());
  otp::pid a = n.spawn(puppet, mb.self());
  otp::pid b = n.spawn(puppet, mb.self());
  in(mb, a, [&] { ASSERT_TRUE(reg.register_key("k", 1).is_ok()); });
  in(mb, a, [&] { reg.unregister("k"); });
  in(mb, b, [&] { ASSERT_TRUE(reg.register_key("k", 2).is_ok()); });
  EXPECT_EQ(reg.lookup("k"), (std::vector<reg_t::entry>{{b, 2}}));
  EXPECT_TRUE(reg.keys(a).empty());
}

// Rule: when a registered process dies, the owner of its partition gets its
// EXIT and removes all its entries (keys and reverse index).
TEST(Registry, EntriesOfADeadProcessAreRemovedOnceTheOwnerHandlesItsExit) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  reg_t reg(n, {.keys = registry_keys::unique, .partitions = 4});
  ASSERT_TRUE(reg.start_link().is_ok());
  otp::pid a = n.spawn(puppet, mb.self());
  in(mb, a, [&] {
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(reg.register_key("k" + std::to_string(i), i).is_ok());
  });
  ASSERT_EQ(reg.count(), 10u);
  kill_and_wait(mb, a);
  n.run_until_idle();
  EXPECT_EQ(reg.count(), 0u);
  EXPECT_TRUE(reg.keys(a).empty());
  EXPECT_TRUE(reg.lookup("k3").empty());
}

// Rule (as Elixir): reads skip a holder that died before the owner handled
// its EXIT, and its unique key may already be taken by another process.
TEST(Registry, ADeadHoldersKeyIsFreeAndHiddenBeforeItsCleanup) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  reg_t reg(n);
  ASSERT_TRUE(reg.start_link().is_ok());
  otp::pid holder;
  bool registered = false;
  std::thread t([&] {
    otp::mailbox other(n);  // nothing runs the node here: the owner stays behind
    holder = other.self();
    registered = reg.register_key("k", 1).is_ok();
  });  // `other` exits when the thread's mailbox goes
  t.join();
  ASSERT_TRUE(registered);
  EXPECT_FALSE(n.is_alive(holder));
  EXPECT_EQ(reg.count(), 1u);  // its EXIT is not handled yet
  EXPECT_TRUE(reg.lookup("k").empty());
  EXPECT_TRUE(reg.register_key("k", 2).is_ok());
  n.run_until_idle();
  EXPECT_EQ(reg.lookup("k"), (std::vector<reg_t::entry>{{mb.self(), 2}}));
  EXPECT_EQ(reg.count(), 1u);
  EXPECT_TRUE(reg.keys(holder).empty());
}

// Rule: a registering process is linked to its partition's owner until its
// last entry there is removed; then the registry's exit no longer reaches it.
TEST(Registry, RemovingTheLastEntryUnlinksTheProcessFromTheRegistry) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::trap_exit(true);  // the registry's exit reaches us as a message
  reg_t reg(n);
  otp::start_result started = reg.start_link();
  ASSERT_TRUE(started.is_ok());
  otp::pid left = n.spawn(puppet, mb.self());
  otp::pid stayed = n.spawn(puppet, mb.self());
  in(mb, left, [&] {
    ASSERT_TRUE(reg.register_key("x", 1).is_ok());
    ASSERT_TRUE(reg.register_key("y", 2).is_ok());
    reg.unregister("x");
    reg.unregister("y");
  });
  in(mb, stayed, [&] { ASSERT_TRUE(reg.register_key("z", 3).is_ok()); });
  otp::ref m = otp::monitor(stayed);
  otp::exit(started.child, exit_reason::shutdown());
  auto down = mb.receive(otp::when([m](const otp::down_msg& d) { return d.monitor == m; },
                                   [](otp::down_msg d) { return d; }));
  EXPECT_TRUE(down.reason.is_shutdown());
  in(mb, left, [] {});  // still alive and answering
  EXPECT_TRUE(n.is_alive(left));
}

// Rule: when the registry exits, its entries are removed and it refuses
// registrations; start_link starts it again, empty.
TEST(Registry, AStoppedRegistryIsEmptyRefusesRegistrationAndCanStartAgain) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::trap_exit(true);
  reg_t reg(n, {.partitions = 2});
  otp::start_result first = reg.start_link();
  ASSERT_TRUE(first.is_ok());
  ASSERT_TRUE(reg.register_key("a", 1).is_ok());
  ASSERT_TRUE(reg.register_key("b", 2).is_ok());
  otp::exit(first.child, exit_reason::shutdown());
  auto gone = mb.receive(otp::when([&](const otp::exit_msg& e) { return e.from == first.child; },
                                   [](otp::exit_msg e) { return e; }));
  EXPECT_TRUE(gone.reason.is_shutdown());
  n.run_until_idle();
  EXPECT_EQ(reg.count(), 0u);
  EXPECT_THROW((void)reg.register_key("a", 1), otp::badarg);
  otp::start_result second = reg.start_link();
  ASSERT_TRUE(second.is_ok());
  EXPECT_NE(second.child, first.child);
  EXPECT_TRUE(reg.register_key("a", 3).is_ok());
  EXPECT_EQ(reg.lookup("a"), (std::vector<reg_t::entry>{{mb.self(), 3}}));
}

// Rule (start_link of a running server): {error, {already_started, Pid}}.
TEST(Registry, StartLinkWhileRunningIsAlreadyStartedWithTheRoot) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  reg_t reg(n);
  otp::start_result first = reg.start_link();
  ASSERT_TRUE(first.is_ok());
  otp::start_result again = reg.start_link();
  EXPECT_TRUE(again.is_already_started());
  EXPECT_EQ(again.child, first.child);
}

// Rule: a partitioned unique registry finds every key in its partition.
TEST(Registry, PartitionedUniqueRegistryFindsEveryKey) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::registry<int, int> reg(n, {.keys = registry_keys::unique, .partitions = 8});
  ASSERT_TRUE(reg.start_link().is_ok());
  for (int k = 0; k < 200; ++k) ASSERT_TRUE(reg.register_key(k, k * 2).is_ok());
  EXPECT_EQ(reg.count(), 200u);
  EXPECT_EQ(reg.keys(mb.self()).size(), 200u);
  for (int k = 0; k < 200; ++k)
    ASSERT_EQ(reg.lookup(k), (std::vector<otp::registry<int, int>::entry>{{mb.self(), k * 2}}));
  for (int k = 0; k < 200; ++k) reg.unregister(k);
  EXPECT_EQ(reg.count(), 0u);
}

// Rule ({via, Registry, {Reg, Key}}): registering a via name registers the
// calling process; server_name resolves it to that process; a taken name
// gives false; unregister_name frees it.
TEST(Registry, ViaNameRegistersTheCallerAndResolvesToIt) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  reg_t reg(n);
  ASSERT_TRUE(reg.start_link().is_ok());
  otp::server_name name(reg.via("svc"));
  EXPECT_EQ(name.to_string(), "{via,registry,svc}");
  EXPECT_TRUE(name.whereis().is_null());
  otp::pid a = n.spawn(puppet, mb.self());
  otp::pid b = n.spawn(puppet, mb.self());
  in(mb, a, [&] { EXPECT_TRUE(name.via()->register_name(otp::self())); });
  EXPECT_EQ(name.whereis(), a);
  in(mb, b, [&] { EXPECT_FALSE(name.via()->register_name(otp::self())); });
  in(mb, a, [&] { name.via()->unregister_name(otp::self()); });
  EXPECT_TRUE(name.whereis().is_null());
  in(mb, b, [&] { EXPECT_TRUE(name.via()->register_name(otp::self())); });
  EXPECT_EQ(name.whereis(), b);
  kill_and_wait(mb, b);
  EXPECT_TRUE(name.whereis().is_null());
}

/// A session server for the guide's via example.
struct user_session {
  struct whoami {
    using reply = std::string;
  };
  std::string user;
  explicit user_session(std::string u) : user(std::move(u)) {}
  std::string handle_call(whoami) { return user; }
};

// Rule (guide: registry.md, a dynamic supervisor's child named by via): a
// child started under a dynamic supervisor with a via name is reached by
// that name, also after its restart; a second start under the same name is
// already_started with the holder.
TEST(Registry, ADynamicSupervisorChildNamedByViaIsReachedByTheName) {
  otp::node n({.manual = true, .on_report = [](const otp::report&) {}});
  otp::mailbox mb(n);
  otp::trap_exit(true);
  reg_t users(n);
  ASSERT_TRUE(users.start_link().is_ok());
  auto sup = otp::dynamic_supervisor::start_link().get();
  ASSERT_TRUE(sup.is_ok());
  auto started = otp::dynamic_supervisor::start_child(
                     sup.ref(), otp::named_worker<user_session>("session", users.via("user:42"),
                                                                std::string("ada")))
                     .get();
  const otp::server_ref<user_session> session(otp::server_name(users.via("user:42")));
  EXPECT_EQ(otp::call(session, user_session::whoami{}).get(), "ada");
  ASSERT_TRUE(started.is_ok()) << started.to_string();
  auto again = otp::dynamic_supervisor::start_child(
                   sup.ref(), otp::named_worker<user_session>("session", users.via("user:42"),
                                                              std::string("bob")))
                   .get();
  EXPECT_TRUE(again.is_already_started()) << again.to_string();
  EXPECT_EQ(again.child, started.child);
  otp::exit(started.child, otp::exit_reason::kill());  // permanent: restarted
  n.run_until_idle();
  EXPECT_NE(session.resolve(), started.child);
  EXPECT_EQ(otp::call(session, user_session::whoami{}).get(), "ada");
}

// Rule (no global state): two registries, also of two nodes, never share entries.
TEST(Registry, TwoRegistriesAreIndependent) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  reg_t one(n);
  reg_t two(n);
  ASSERT_TRUE(one.start_link().is_ok());
  ASSERT_TRUE(two.start_link().is_ok());
  ASSERT_TRUE(one.register_key("k", 1).is_ok());
  ASSERT_TRUE(two.register_key("k", 2).is_ok());
  one.unregister("k");
  EXPECT_TRUE(one.lookup("k").empty());
  EXPECT_EQ(two.lookup("k"), (std::vector<reg_t::entry>{{mb.self(), 2}}));
  otp::node other({.manual = true});
  reg_t elsewhere(other);
  EXPECT_TRUE(elsewhere.lookup("k").empty());
  EXPECT_THROW((void)elsewhere.start_link(), otp::badarg);  // our mailbox is not on `other`
}

// Rule: a registry made inside a process belongs to that process's node.
TEST(Registry, ARegistryMadeInsideAProcessBelongsToItsNode) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid a = n.spawn(puppet, mb.self());
  std::optional<reg_t> reg;
  in(mb, a, [&] { reg.emplace(otp::registry_options{.keys = registry_keys::duplicate}); });
  ASSERT_TRUE(reg.has_value());
  EXPECT_EQ(reg->kind(), registry_keys::duplicate);
  ASSERT_TRUE(reg->start_link().is_ok());
  EXPECT_TRUE(reg->register_key("k", 1).is_ok());
  EXPECT_EQ(reg->count(), 1u);
}

// Rule: misuse is otp::badarg and changes nothing.
TEST(Registry, MisuseIsBadargAndChangesNothing) {
  otp::node n({.manual = true});
  reg_t reg(n);
  EXPECT_THROW(reg_t(n, {.partitions = 0}), otp::badarg);
  EXPECT_THROW(reg_t(otp::registry_options{}), otp::badarg);  // not in a process
  EXPECT_THROW((void)reg.start_link(), otp::badarg);          // no mailbox
  EXPECT_THROW((void)reg.register_key("k", 1), otp::badarg);
  EXPECT_THROW(reg.unregister("k"), otp::badarg);
  EXPECT_THROW(reg.sync().get(), otp::badarg);
  otp::mailbox mb(n);
  EXPECT_THROW((void)reg.register_key("k", 1), otp::badarg);  // not started
  ASSERT_TRUE(reg.start_link().is_ok());
  reg_t dup(n, {.keys = registry_keys::duplicate});
  ASSERT_TRUE(dup.start_link().is_ok());
  EXPECT_THROW((void)dup.via("k"), otp::badarg);
  EXPECT_THROW((void)dup.update_value("k", [](int v) { return v; }), otp::badarg);
  otp::pid a = n.spawn(puppet, mb.self());
  EXPECT_THROW((void)reg.via("k").impl->register_name(a), otp::badarg);  // not the caller
  EXPECT_EQ(reg.count(), 0u);
  EXPECT_EQ(dup.count(), 0u);
}

// Rule: sync() returns after every owner handled what reached it before, so
// after the DOWNs of killed processes their entries are gone (real time).
TEST(RegistryThreaded, SyncAfterTheDownsLeavesNoEntryOfTheDeadProcesses) {
  otp::node n({.schedulers = 2});
  otp::mailbox mb(n);
  reg_t reg(n, {.keys = registry_keys::duplicate, .partitions = 4});
  ASSERT_TRUE(reg.start_link().is_ok());
  constexpr int kProcs = 64;
  std::vector<otp::pid> ps;
  for (int i = 0; i < kProcs; ++i) {
    ps.push_back(n.spawn(
        [](reg_t r, int i, otp::pid report) -> otp::proc {
          (void)r.register_key("all", i);
          (void)r.register_key("p" + std::to_string(i), i);
          otp::send(report, i);
          co_await otp::receive<otp_test::never>();
        },
        reg, i, mb.self()));
  }
  for (int i = 0; i < kProcs; ++i) ASSERT_TRUE(mb.receive<int>(30s).has_value());
  EXPECT_EQ(reg.count(), 2u * kProcs);
  for (otp::pid p : ps) otp::monitor(p);
  for (otp::pid p : ps) otp::exit(p, exit_reason::kill());
  for (int i = 0; i < kProcs; ++i) ASSERT_TRUE(mb.receive<otp::down_msg>(30s).has_value());
  reg.sync().get();
  EXPECT_EQ(reg.count(), 0u);
  for (otp::pid p : ps) EXPECT_TRUE(reg.keys(p).empty());
}

// Rule: of many processes racing for one unique key on two schedulers,
// exactly one wins and every other is told the winner's pid.
TEST(RegistryThreaded, ConcurrentRegistrationOfOneUniqueKeyHasOneWinner) {
  otp::node n({.schedulers = 2});
  otp::mailbox mb(n);
  reg_t reg(n, {.partitions = 2});
  ASSERT_TRUE(reg.start_link().is_ok());
  constexpr int kRacers = 16;
  for (int i = 0; i < kRacers; ++i)
    n.spawn(
        [](reg_t r, otp::pid report) -> otp::proc {
          otp::register_result res = r.register_key("only", 0);
          otp::send(report, std::pair{otp::self(), res});
          co_await otp::receive<otp_test::never>();
        },
        reg, mb.self());
  std::vector<std::pair<otp::pid, otp::register_result>> results;
  for (int i = 0; i < kRacers; ++i) {
    auto r = mb.receive<std::pair<otp::pid, otp::register_result>>(30s);
    ASSERT_TRUE(r.has_value());
    results.push_back(*r);
  }
  auto winners =
      std::count_if(results.begin(), results.end(), [](const auto& r) { return r.second.is_ok(); });
  ASSERT_EQ(winners, 1);
  otp::pid winner = std::find_if(results.begin(), results.end(), [](const auto& r) {
                      return r.second.is_ok();
                    })->first;
  for (const auto& r : results) {
    if (!r.second.is_ok()) {
      EXPECT_EQ(r.second.holder(), winner);
    }
  }
  EXPECT_EQ(reg.lookup("only"), (std::vector<reg_t::entry>{{winner, 0}}));
}

}  // namespace
