// Typed gen_servers across nodes (otp::remote_api): Erlang calls and casts a
// C++ otp::gen_server whose requests convert to terms; otp::call and
// otp::cast on a server_ref of another node reach an Erlang gen_server and a
// C++ server of another node; deferred replies, void replies, requests no
// type accepts, replies that do not convert, a server that stops mid-call.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "otp/dist/net_kernel.hpp"
#include "otp/dist/remote_api.hpp"
#include "otp/otp.hpp"
#include "support/dist_nodes.hpp"

namespace {

using namespace std::chrono_literals;
using otp::term;

/// The same requests as dist_peer's Erlang `counter`: get, {add, K} (call
/// answered ok, or cast), slow (answered at the next `release` cast).
struct typed_counter {
  struct get {
    using reply = std::int64_t;
    static constexpr const char* name = "get";
  };
  struct add {
    std::int64_t by;
  };
  struct slow {
    using reply = std::int64_t;
    static constexpr const char* name = "slow";
  };
  struct release {
    static constexpr const char* name = "release";
  };
  /// How many calls and casts no request type took (handle_info got them).
  struct odd_count {
    using reply = std::int64_t;
    static constexpr const char* name = "odd_count";
  };
  /// Stops the server with reason normal, without a reply.
  struct stop_now {
    static constexpr const char* name = "stop_now";
  };
  using remote =
      otp::remote_api<otp::calls<get, add, slow, odd_count, stop_now>, otp::casts<add, release>>;
  using info = otp::types<term>;

  explicit typed_counter(otp::pid report) : report(report) {}
  std::int64_t handle_call(get) { return n; }
  void handle_call(add a) { n += a.by; }
  otp::call_result<std::int64_t> handle_call(slow, otp::from<std::int64_t> f) {
    waiting.push_back(f);
    if (!report.is_null()) otp::send(report, term::atom("parked"));
    return otp::noreply();
  }
  std::int64_t handle_call(odd_count) { return odd; }
  otp::call_result<void> handle_call(stop_now) {
    return otp::server_result::stop(otp::exit_reason::normal());
  }
  void handle_cast(add a) { n += a.by; }
  void handle_cast(release) {
    for (const auto& f : waiting) otp::reply(f, n);
    waiting.clear();
  }
  void handle_info(term&) { ++odd; }

  otp::pid report;
  std::int64_t n = 0;
  std::int64_t odd = 0;
  std::vector<otp::from<std::int64_t>> waiting;
};

/// typed_counter::get, but expecting a string: no integer reply converts to it.
struct typed_wrong_counter {
  struct get {
    using reply = std::string;
    static constexpr const char* name = "get";
  };
  using remote = otp::remote_api<otp::calls<get>>;
  std::string handle_call(get) { return {}; }
};

/// An atom for a request type without fields.
template <class T>
struct typed_atom_codec {
  static term to(const T&) { return term::atom(T::name); }
  static T from(const term& t) {
    if (!t.is_atom(T::name)) throw otp::term_mismatch(T::name, t);
    return {};
  }
};

}  // namespace

template <>
struct otp::term_codec<typed_counter::get> : typed_atom_codec<typed_counter::get> {};
template <>
struct otp::term_codec<typed_counter::slow> : typed_atom_codec<typed_counter::slow> {};
template <>
struct otp::term_codec<typed_counter::release> : typed_atom_codec<typed_counter::release> {};
template <>
struct otp::term_codec<typed_counter::odd_count> : typed_atom_codec<typed_counter::odd_count> {};
template <>
struct otp::term_codec<typed_counter::stop_now> : typed_atom_codec<typed_counter::stop_now> {};
template <>
struct otp::term_codec<typed_wrong_counter::get> : typed_atom_codec<typed_wrong_counter::get> {};

template <>
struct otp::term_codec<typed_counter::add> {
  static term to(const typed_counter::add& a) {
    return term::tuple({term::atom("add"), term(a.by)});
  }
  static typed_counter::add from(const term& t) {
    auto [tag, by] = otp::from_term<std::tuple<otp::atom_value, std::int64_t>>(t);
    if (tag.name != "add") throw otp::term_mismatch("{add, K}", t);
    return {by};
  }
};

namespace {

struct typed_erl_pair : otp_test::erl_and_cpp {
  explicit typed_erl_pair(const std::string& tag) : otp_test::erl_and_cpp(tag, "typed_cookie") {}
  /// Starts a counter registered as `typed`, reporting to `report`.
  otp::server_ref<typed_counter> start_counter(otp::pid report) {
    otp::start_options o;
    o.name = "typed";
    auto s = otp::gen_server::start<typed_counter>(o, report).get();
    if (!s.is_ok()) throw std::runtime_error("counter did not start");
    return s.ref();
  }
  void call(const std::string& request) {
    erl.command("call_term typed " + k.name() + " " + request);
  }
  std::string reply() { return erl.line_with("reply ", 10s); }
};

TEST(DistTypedServer, ErlangCallsAndCastsATypedCppServer) {
  typed_erl_pair t("ec");
  otp::mailbox mb(t.n);
  t.start_counter(mb.self());
  t.call("get");
  EXPECT_EQ(t.reply(), "reply 0");
  t.call("{add,5}");
  EXPECT_EQ(t.reply(), "reply ok");  // a void reply is ok, as Erlang's counter answers
  t.erl.command("cast_term typed " + t.k.name() + " {add,2}");
  t.call("get");
  EXPECT_EQ(t.reply(), "reply 7");
}

TEST(DistTypedServer, ADeferredReplyGoesBackToTheErlangCaller) {
  typed_erl_pair t("ed");
  otp::mailbox mb(t.n);
  const otp::server_ref<typed_counter> s = t.start_counter(mb.self());
  t.call("{add,3}");
  EXPECT_EQ(t.reply(), "reply ok");
  t.call("slow");
  auto parked = mb.receive<term>(10s);
  ASSERT_TRUE(parked.has_value());
  EXPECT_TRUE(parked->is_atom("parked"));
  otp::cast(s, typed_counter::release{});  // a local cast answers the remote caller
  EXPECT_EQ(t.reply(), "reply 3");
}

TEST(DistTypedServer, ARequestNoTypeTakesIsAnInfoMessageAndTheCallerTimesOut) {
  typed_erl_pair t("eu");
  otp::mailbox mb(t.n);
  t.start_counter(mb.self());
  t.erl.command("call_timeout typed " + t.k.name() + " nonsense");
  EXPECT_EQ(t.erl.line_with("call_exit ", 10s), "call_exit timeout");
  // The right tag with a field of the wrong kind, and a tag nobody takes.
  t.erl.command("cast_term typed " + t.k.name() + " {add,not_a_number}");
  t.erl.command("cast_term typed " + t.k.name() + " {sub,1}");
  // The server went on: the three went to handle_info.
  t.call("odd_count");
  EXPECT_EQ(t.reply(), "reply 3");
}

/// Runs `body` in a process of `n` and returns the term it sends back, or
/// {exit, Reason} when it exits, to `mb` (`report`: mb's pid as n holds it).
template <class Body>
term typed_in_process(otp::node& n, otp::mailbox& mb, otp::pid report, Body body) {
  n.spawn(
      [](Body b, otp::pid to) -> otp::proc {
        term out;
        try {
          out = co_await b();
        } catch (const otp::exit_error& e) {
          out = term::tuple({term::atom("exit"), otp::to_term(e.reason())});
        }
        otp::send(to, out);
      },
      std::move(body), report);
  auto r = mb.receive<term>(15s);
  return r ? *r : term::atom("no_answer");
}

TEST(DistTypedServer, CppCallsAndCastsAnErlangGenServerTyped) {
  typed_erl_pair t("cc");
  otp::mailbox mb(t.n);
  const otp::server_ref<typed_counter> erl_counter(
      t.erlang_pid(mb, {term::atom("whereis"), term::atom("counter")}));
  const term out = typed_in_process(t.n, mb, mb.self(), [erl_counter]() -> otp::task<term> {
    co_await otp::call(erl_counter, typed_counter::add{5});
    otp::cast(erl_counter, typed_counter::add{1});
    const std::int64_t n = co_await otp::call(erl_counter, typed_counter::get{});
    co_return term(n);
  });
  EXPECT_EQ(out.to_string(), "6");
  // A reply that is not the request's reply type: the caller exits.
  const otp::server_ref<typed_wrong_counter> wrong(erl_counter.get_pid());
  const term bad = typed_in_process(t.n, mb, mb.self(), [wrong]() -> otp::task<term> {
    co_return term::binary(co_await otp::call(wrong, typed_wrong_counter::get{}));
  });
  EXPECT_EQ(bad.to_string(), "{exit,{bad_reply,6}}");
}

TEST(DistTypedServer, TwoCppNodesCallEachOthersTypedServers) {
  otp_test::cpp_pair t("typed", "typed_cookie");
  otp::mailbox mb(t.bn);
  otp::start_options o;
  auto started = otp::gen_server::start<typed_counter>(o, mb.self()).get();
  ASSERT_TRUE(started.is_ok());
  const otp::server_ref<typed_counter> far(t.on_b(started.ref().get_pid()));
  const term out = typed_in_process(t.an, mb, t.on_b(mb.self()), [far]() -> otp::task<term> {
    co_await otp::call(far, typed_counter::add{40});
    otp::cast(far, typed_counter::add{2});
    co_return term(co_await otp::call(far, typed_counter::get{}));
  });
  EXPECT_EQ(out.to_string(), "42");
  // A deferred reply, released by a local cast on the server's node.
  t.an.spawn(
      [](otp::server_ref<typed_counter> s, otp::pid to) -> otp::proc {
        const std::int64_t v = co_await otp::call(s, typed_counter::slow{}, 10s);
        otp::send(to, term(v));
      },
      far, t.on_b(mb.self()));
  auto parked = mb.receive<term>(10s);
  ASSERT_TRUE(parked.has_value());
  EXPECT_TRUE(parked->is_atom("parked"));
  otp::cast(started.ref(), typed_counter::release{});
  auto released = mb.receive<term>(10s);
  ASSERT_TRUE(released.has_value());
  EXPECT_EQ(released->to_string(), "42");
  // A server that stops without replying: {normal,{gen_server,call}}; then noproc.
  const term stopped = typed_in_process(t.an, mb, t.on_b(mb.self()), [far]() -> otp::task<term> {
    co_await otp::call(far, typed_counter::stop_now{});
    co_return term::atom("replied");
  });
  EXPECT_EQ(stopped.to_string(), "{exit,{normal,{gen_server,call}}}");
  const term gone = typed_in_process(t.an, mb, t.on_b(mb.self()), [far]() -> otp::task<term> {
    co_return term(co_await otp::call(far, typed_counter::get{}));
  });
  EXPECT_EQ(gone.to_string(), "{exit,noproc}");
}

TEST(DistTypedServer, ACallToAnotherNodeFromAThreadIsRefused) {
  otp_test::cpp_pair t("thread", "typed_cookie");
  otp::mailbox mb(t.bn);
  auto started = otp::gen_server::start<typed_counter>(otp::start_options{}, mb.self()).get();
  ASSERT_TRUE(started.is_ok());
  const otp::server_ref<typed_counter> far(t.on_b(started.ref().get_pid()));
  bool refused = false;
  std::thread([&] {
    otp::mailbox here(t.an);
    try {
      otp::call(far, typed_counter::get{}).get();
    } catch (const otp::badarg&) {
      refused = true;
    }
  }).join();
  EXPECT_TRUE(refused);
}

}  // namespace
