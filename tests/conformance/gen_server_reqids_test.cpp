// Request-id collections (OTP 25) and check_response: many outstanding
// requests answered in any order, each with its label; Delete; timeouts
// that keep or abandon; answers taken from a message in handle_info.
//
// Mirrors gen_server:reqids_new/0, reqids_add/3, reqids_size/1,
// send_request/4, wait_response/3, receive_response/3, check_response/2,3
// and the send_request group of OTP's gen_server_SUITE.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "otp/otp.hpp"
#include "support/bodies.hpp"
#include "support/gen_servers.hpp"

namespace {

using namespace std::chrono_literals;
using event = otp_test::server_event;
using otp_test::go;
using response_status = otp::response<int>::status;

/// Replies its price at once, or (slow_price) once it gets `go`.
struct pricer {
  struct price {
    using reply = int;
  };
  struct slow_price {
    using reply = int;
  };
  int v;
  explicit pricer(int p) : v(p) {}
  int handle_call(price) { return v; }
  otp::task<int> handle_call(slow_price) {
    co_await otp::receive([](go) {});
    co_return v;
  }
};

/// On `ask`, sends a request to `to` and takes the reply in handle_info
/// through check_response, telling the observer what it got.
struct asker {
  struct ask {
    otp::server_ref<pricer> to;
    bool slow = false;
  };
  otp::pid observer;
  otp::request_id_collection<int> pending;
  explicit asker(otp::pid o) : observer(o) {}
  void handle_cast(ask a) {
    if (a.slow)
      otp::send_request(a.to, pricer::slow_price{}, std::string("slow"), pending);
    else
      otp::send_request(a.to, pricer::price{}, std::string("fast"), pending);
  }
  void handle_info(otp::any_message& m) {
    auto r = otp::check_response(m, pending);
    if (!r) {
      otp::send(observer, event{"no_reply"});
      return;
    }
    otp::send(observer, event{r->label + " " + std::to_string(r->value.value_or(-1))});
  }
};

class GenServerReqids : public otp_test::gen_server_fixture {
 protected:
  otp::server_ref<pricer> start_pricer(int price) {
    auto s = otp::gen_server::start<pricer>(price).get();
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    return s.ref();
  }
};

// Every request in a collection is answered once, with its label, whatever
// order the replies come in; an empty collection gives no_request at once.
TEST_F(GenServerReqids, ACollectionGivesEveryReplyWithItsLabel) {
  otp::request_id_collection<int> c;
  otp::send_request(start_pricer(10), pricer::price{}, std::string("a"), c);
  otp::send_request(start_pricer(20), pricer::price{}, std::string("b"), c);
  otp::send_request(start_pricer(30), pricer::price{}, std::string("c"), c);
  EXPECT_EQ(c.size(), 3u);
  std::map<std::string, int> got;
  for (int i = 0; i < 3; ++i) {
    auto r = otp::wait_response(c, 1s).get();
    ASSERT_EQ(r.state, response_status::reply);
    got[r.label] = *r.value;
  }
  EXPECT_EQ(got, (std::map<std::string, int>{{"a", 10}, {"b", 20}, {"c", 30}}));
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(otp::wait_response(c, 1s).get().state, response_status::no_request);
  EXPECT_TRUE(nothing_queued());  // no DOWN, no stray reply
}

// Delete = false keeps the answered request in the collection.
TEST_F(GenServerReqids, DeleteFalseKeepsTheAnsweredRequest) {
  otp::request_id_collection<int, int> c;
  otp::send_request(start_pricer(5), pricer::price{}, 7, c);
  auto r = otp::wait_response(c, 1s, false).get();
  ASSERT_EQ(r.state, response_status::reply);
  EXPECT_EQ(r.label, 7);
  EXPECT_EQ(c.size(), 1u);
}

// wait_response timing out keeps every request; receive_response timing
// out abandons them all (their late replies never reach the mailbox).
TEST_F(GenServerReqids, ReceiveResponseTimeoutAbandonsEveryRequest) {
  auto s = start_pricer(1);
  otp::request_id_collection<int> c;
  otp::send_request(s, pricer::slow_price{}, std::string("slow"), c);
  EXPECT_EQ(otp::wait_response(c, 50ms).get().state, response_status::timeout);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(otp::receive_response(c, 50ms).get().state, response_status::timeout);
  EXPECT_TRUE(c.empty());
  otp::send(s.get_pid(), go{});
  EXPECT_EQ(otp::call(s, pricer::price{}).get(), 1);  // handled after the slow call
  EXPECT_TRUE(nothing_queued());
}

// A request to a dead server is answered with an error and its label.
TEST_F(GenServerReqids, ADeadServerGivesAnErrorWithTheLabel) {
  auto s = start_pricer(1);
  otp::gen_server::stop(s).get();
  otp::request_id_collection<int> c;
  otp::send_request(s, pricer::price{}, std::string("gone"), c);
  auto r = otp::wait_response(c, 1s).get();
  ASSERT_EQ(r.state, response_status::error);
  EXPECT_EQ(r.label, "gone");
  EXPECT_TRUE(r.reason.is(otp::exit_reason::kind::noproc)) << r.reason;
}

// Adding a request id twice is badarg (reqids_add).
TEST_F(GenServerReqids, AddingARequestTwiceIsBadarg) {
  otp::request_id_collection<int> c;
  auto id = otp::send_request(start_pricer(1), pricer::price{});
  c.add(id, "x");
  EXPECT_THROW(c.add(id, "y"), otp::badarg);
  EXPECT_EQ(otp::wait_response(c, 1s).get().label, "x");
}

// check_response in handle_info: the reply to one of the server's own
// requests is recognised and labelled; any other message is no_reply while
// a request is outstanding.
TEST_F(GenServerReqids, CheckResponseRecognisesTheReplyInHandleInfo) {
  auto a = otp::gen_server::start<asker>(mb.self()).get();
  ASSERT_TRUE(a.is_ok()) << a.to_string();
  otp::cast(a.ref(), asker::ask{start_pricer(7), true});  // stays outstanding
  otp::cast(a.ref(), asker::ask{start_pricer(42)});
  EXPECT_EQ(next_event(), "fast 42");
  otp::send(a.child, go{});
  EXPECT_EQ(next_event(), "no_reply");
}

// check_response on an empty collection is no_request, whatever the message.
TEST_F(GenServerReqids, CheckResponseOnAnEmptyCollectionIsNoRequest) {
  otp::request_id_collection<int> c;
  otp::send(mb.self(), go{});
  otp::any_message m = mb.receive<otp::any_message>();
  auto r = otp::check_response(m, c);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->state, response_status::no_request);
}

// check_response/2 on a single request id, from a plain process's mailbox.
TEST_F(GenServerReqids, CheckResponseOnOneRequestId) {
  auto id = otp::send_request(start_pricer(3), pricer::price{});
  otp::any_message m = mb.receive<otp::any_message>();
  auto r = otp::check_response(m, id);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->state, response_status::reply);
  EXPECT_EQ(r->value, 3);
  EXPECT_TRUE(nothing_queued());
}

}  // namespace
