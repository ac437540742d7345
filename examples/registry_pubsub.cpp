// otp::registry in three uses: finding a process by key, publishing to every
// subscriber of a topic, and naming a process through a via name. The
// snippets in docs/guide/registry.md are taken from this file.
#include <cstdio>
#include <otp/otp.hpp>
#include <string>
#include <vector>

namespace {

struct news {
  std::string text;
};
struct got_news {
  otp::pid who;
};

// [subscriber]
// Subscribes the calling process to `topic`, tells `ready`, then acknowledges
// every piece of news to `ready`.
otp::proc subscriber(otp::registry<std::string> topics, std::string topic, otp::pid ready) {
  (void)topics.register_key(topic);  // duplicate keys: never already_registered
  otp::send(ready, otp::self());
  for (;;) {
    co_await otp::receive([ready](const news&) { otp::send(ready, got_news{otp::self()}); });
  }
}
// [subscriber end]

struct never {};

// A session: registers under its user name with its start time as value.
otp::proc session(otp::registry<std::string, int> sessions, std::string user, otp::pid ready) {
  otp::register_result r = sessions.register_key(user, 1700);
  otp::send(ready, r);
  co_await otp::receive([](never) {});
}

}  // namespace

int main() {
  otp::node node;
  otp::mailbox me(node);
  int failures = 0;

  // [unique]
  otp::registry<std::string, int> sessions(node, {.keys = otp::registry_keys::unique});
  if (!sessions.start_link()) return 1;  // linked to `me`, like a supervised child
  otp::pid alice = node.spawn(session, sessions, std::string("alice"), me.self());
  otp::register_result first = me.receive<otp::register_result>();
  node.spawn(session, sessions, std::string("alice"), me.self());
  otp::register_result second = me.receive<otp::register_result>();
  // first: ok; second: {error,{already_registered,<alice>}}
  std::vector<otp::registry<std::string, int>::entry> found = sessions.lookup("alice");
  // found: {{alice, 1700}}, read straight from the table
  // [unique end]
  failures += first.is_ok() && second.holder() == alice ? 0 : 1;
  failures += found.size() == 1 && found[0].first == alice ? 0 : 1;

  // [death]
  otp::ref watch = otp::monitor(alice);
  otp::exit(alice, otp::exit_reason::kill());
  me.receive(otp::when([watch](const otp::down_msg& d) { return d.monitor == watch; },
                       [](const otp::down_msg&) {}));
  sessions.sync().get();  // the owner has handled alice's EXIT
  // sessions.keys(alice) is empty, and "alice" is free again
  // [death end]
  failures += sessions.keys(alice).empty() ? 0 : 1;

  // [pubsub]
  otp::registry<std::string> topics(node, {.keys = otp::registry_keys::duplicate, .partitions = 2});
  if (!topics.start_link()) return 1;
  for (int i = 0; i < 3; ++i) {
    node.spawn(subscriber, topics, std::string("weather"), me.self());
    me.receive<otp::pid>();  // subscribed
  }
  topics.dispatch("weather", [](const std::vector<otp::registry<std::string>::entry>& subs) {
    for (const auto& sub : subs) otp::send(sub.first, news{"rain at noon"});
  });
  // [pubsub end]
  for (int i = 0; i < 3; ++i) me.receive<got_news>();

  // [via]
  otp::server_name name(sessions.via("cache"));  // {via,registry,cache}
  otp::pid cache = node.spawn(
      [](otp::server_name n, otp::pid ready) -> otp::proc {
        bool registered = n.via()->register_name(otp::self());  // what a behaviour's start does
        otp::send(ready, registered);
        co_await otp::receive([](never) {});
      },
      name, me.self());
  bool registered = me.receive<bool>();
  // name.whereis() == cache
  // [via end]
  failures += registered && name.whereis() == cache ? 0 : 1;

  std::printf("registry example: %s\n", failures == 0 ? "ok" : "FAILED");
  return failures == 0 ? 0 : 1;
}
