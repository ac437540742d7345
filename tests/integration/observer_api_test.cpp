// The observer's JSON API and its security, over real HTTP against a real
// node running a real supervision tree (include/otp/tools/observer.hpp).
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "otp/otp.hpp"
#include "otp/tools/observer.hpp"
#include "otp/tools/prometheus.hpp"
#include "support/bodies.hpp"
#include "support/supervision.hpp"

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

/// A plain gen_server: it serves no children and knows no system of its own.
struct obs_api_idle {
  struct ping {
    using reply = int;
  };
  int handle_call(ping) { return 1; }
};

/// A node with a tree: root{idle, fake_sup (a plain server declared as a
/// supervisor child), inner{leaf}}, a plain process, and the test's mailbox.
class ObserverApi : public ::testing::Test {
 protected:
  otp::node n{{.schedulers = 2}};
  otp::mailbox mb{n};
  otp::pid root;
  otp::pid plain;

  void SetUp() override {
    otp::trap_exit(true);
    otp::child_spec fake = otp::worker<obs_api_idle>("fake_sup");
    fake.type = otp::child_type::supervisor;
    otp::start_options inner_name;
    inner_name.name = "obs_inner";
    otp::start_options root_name;
    root_name.name = "obs_root";
    auto r = otp::supervisor::start_link(
                 {.strategy = otp::one_for_one, .intensity = 5, .period = 5000ms},
                 {otp::worker<obs_api_idle>("idle"), fake,
                  otp::supervisor_child("inner", {.strategy = otp::rest_for_one},
                                        {otp::worker<obs_api_idle>("leaf")}, inner_name)},
                 root_name)
                 .get();
    ASSERT_TRUE(r.is_ok()) << r.to_string();
    root = r.child;
    plain = n.spawn(otp_test::wait_forever);
  }

  static httplib::Result get(const otp::observer& o, const std::string& path,
                             const std::string& token = "") {
    httplib::Client c("127.0.0.1", o.port());
    c.set_read_timeout(10, 0);
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    return c.Get(path, h);
  }
  static json get_json(const otp::observer& o, const std::string& path, int status = 200) {
    const auto r = get(o, path);
    if (!r) return json();
    EXPECT_EQ(r->status, status) << path << ": " << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json") << path;
    return json::parse(r->body, nullptr, false);
  }
  static std::string bare(otp::pid p) {
    const std::string s = p.to_string();
    return s.substr(1, s.size() - 2);
  }
};

// Rule: any address but loopback needs a token; the refusal comes at start.
TEST_F(ObserverApi, ANonLoopbackBindWithoutATokenIsRefusedAtStart) {
  EXPECT_THROW(otp::observer(n, {.bind = "0.0.0.0"}), otp::badarg);
  EXPECT_THROW(otp::observer(n, {.bind = "192.168.1.10"}), otp::badarg);
  otp::observer local(n, {.bind = "127.0.0.1"});
  EXPECT_GT(local.port(), 0);
  EXPECT_EQ(local.url(), "http://127.0.0.1:" + std::to_string(local.port()) + "/");
}

// Rule: with a token, an API request without it (or with another) is 401; with it, 200.
TEST_F(ObserverApi, WithATokenARequestNeedsTheBearerToken) {
  otp::observer o(n, {.bind = "0.0.0.0", .token = "s3cret-token"});
  const auto none = get(o, "/api/system");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(json::parse(none->body)["error"], "unauthorized");
  const auto wrong = get(o, "/api/system", "s3cret-tokeN");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  const auto right = get(o, "/api/system", "s3cret-token");
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200) << right->body;
  EXPECT_EQ(get(o, "/metrics")->status, 401);
}

// Rule: the scheme is case-insensitive (RFC 7235 section 2.1) and may be
// followed by more than one space; the token itself is compared exactly.
TEST_F(ObserverApi, TheBearerSchemeIsCaseInsensitive) {
  otp::observer o(n, {.token = "s3cret-token"});
  httplib::Client c("127.0.0.1", o.port());
  const auto status = [&c](const std::string& auth) {
    const auto r = c.Get("/api/system", {{"Authorization", auth}});
    return r ? r->status : -1;
  };
  EXPECT_EQ(status("bearer s3cret-token"), 200);
  EXPECT_EQ(status("BEARER  s3cret-token"), 200);
  EXPECT_EQ(status("Bearer S3CRET-TOKEN"), 401);
  EXPECT_EQ(status("Bearer"), 401);
  EXPECT_EQ(status("Bearer "), 401);
  EXPECT_EQ(status("Bearers3cret-token"), 401);
  EXPECT_EQ(status("Basic s3cret-token"), 401);
}

// Rule: kill, suspend and resume answer 403 unless actions were enabled.
TEST_F(ObserverApi, ActionsAreRefusedWhenNotEnabled) {
  otp::observer o(n);
  httplib::Client c("127.0.0.1", o.port());
  const otp::pid inner = otp::whereis("obs_inner");
  for (const char* op : {"kill", "suspend", "resume"}) {
    const auto r = c.Post(std::string("/api/") + op + "/" + bare(inner), "", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << op;
    EXPECT_EQ(json::parse(r->body)["error"], "actions_disabled");
  }
  EXPECT_TRUE(n.is_alive(inner));
}

// Rule: a malformed pid is 400, a dead one 404, a plain process is no
// supervisor (404); each with a JSON error, and the observer goes on serving.
TEST_F(ObserverApi, BadInputIsAJsonErrorNeverACrash) {
  otp::observer o(n, {.allow_actions = true});
  EXPECT_EQ(get_json(o, "/api/processes/not-a-pid", 400)["error"], "bad_pid");
  EXPECT_EQ(get_json(o, "/api/processes/0.1", 400)["error"], "bad_pid");
  EXPECT_EQ(get_json(o, "/api/processes/0.99999.77", 404)["error"], "not_found");
  EXPECT_EQ(get_json(o, "/api/children/" + bare(plain), 404)["error"], "not_a_supervisor");
  EXPECT_EQ(get_json(o, "/api/nope", 404)["error"], "not_found");
  httplib::Client c("127.0.0.1", o.port());
  const auto bad = c.Post("/api/kill/" + bare(plain), "{\"reason\": 5}", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  const auto plain_suspend = c.Post("/api/suspend/" + bare(plain), "", "application/json");
  ASSERT_TRUE(plain_suspend);
  EXPECT_EQ(plain_suspend->status, 409);
  EXPECT_TRUE(get_json(o, "/api/system").contains("process_count"));
}

// Rule: a supervisor that does not answer (suspended) costs one process
// timeout and a 409, not an HTTP worker: with the two workers waiting on
// it for good, the API (resume included) would never answer again.
TEST_F(ObserverApi, ASuspendedSupervisorsChildrenAreA409NotAHang) {
  otp::observer o(n, {.allow_actions = true, .process_timeout = 200ms});
  const otp::pid inner = otp::whereis("obs_inner");
  otp::sys::suspend(inner, otp::timeout(5s)).get();
  httplib::Client c("127.0.0.1", o.port());
  c.set_read_timeout(3, 0);
  for (int i = 0; i < 3; ++i) {  // more than the workers
    const auto r = c.Get("/api/children/" + bare(inner));
    ASSERT_TRUE(r) << "no answer within 3 s";
    EXPECT_EQ(r->status, 409) << r->body;
    EXPECT_EQ(json::parse(r->body)["error"], "no_answer");
  }
  const auto resumed = c.Post("/api/resume/" + bare(inner), "", "application/json");
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->status, 200) << resumed->body;
  EXPECT_EQ(get_json(o, "/api/children/" + bare(inner))["total"], 1);
}

// Rule: a query value that is not what the API takes is a 400 bad_query,
// never a silent default: a limit or offset that is not digits (-1, abc),
// an unknown sort, a malformed %-escape. A number past the maximum is the
// maximum.
TEST_F(ObserverApi, ABadQueryIsA400NotADefault) {
  otp::observer o(n);
  for (const char* q : {"limit=-1", "limit=abc", "limit=1e3", "offset=-5", "offset=+1",
                        "sort=unknown", "sort=%zz", "filter=%zz", "filter=%4", "limit=%31%"}) {
    const json e = get_json(o, std::string("/api/processes?") + q, 400);
    EXPECT_EQ(e["error"], "bad_query") << q;
  }
  EXPECT_EQ(get_json(o, "/api/children/" + bare(root) + "?limit=x", 400)["error"], "bad_query");
  const json huge = get_json(o, "/api/processes?limit=99999999999999999999&offset=0");
  EXPECT_FALSE(huge["processes"].empty());
  EXPECT_EQ(get_json(o, "/api/processes?offset=99999999999999999999")["offset"], 1U << 30);
  EXPECT_EQ(get_json(o, "/api/processes?sort=name&filter=obs_r%6Fot")["total"], 1);
}

// Rule: only supervisors are asked for children: neither a plain gen_server
// declared as a supervisor child nor a plain process gets such a request.
TEST_F(ObserverApi, APlainServerIsNeverAskedForChildren) {
  otp::observer o(n);
  const json tree = get_json(o, "/api/tree");
  ASSERT_EQ(tree["roots"].size(), 1U) << tree.dump();
  EXPECT_EQ(tree["roots"][0]["name"], "obs_root");
  const json kids = get_json(o, "/api/children/" + bare(root));
  std::string fake_pid;
  for (const json& c : kids["children"])
    if (c["id"] == "fake_sup") fake_pid = c["pid"];
  ASSERT_FALSE(fake_pid.empty()) << kids.dump();
  EXPECT_EQ(get_json(o, "/api/children/" + fake_pid.substr(1, fake_pid.size() - 2), 404)["error"],
            "not_a_supervisor");
  // The plain server still runs, as itself; the plain process got nothing.
  const json again = get_json(o, "/api/children/" + bare(root));
  EXPECT_EQ(again["children"][1]["pid"], fake_pid);
  EXPECT_EQ(n.process_info(plain)->message_queue_len, 0U);
}

// Rule: the API's answers have the documented shapes.
TEST_F(ObserverApi, TheApiAnswersHaveTheirShapes) {
  const otp::prometheus_exporter exporter(n, {});
  otp::observer o(n, {.metrics = [&exporter] { return exporter.scrape(); }});
  const json sys = get_json(o, "/api/system");
  for (const char* k : {"uptime_ms", "process_count", "schedulers", "scheduler_utilisation",
                        "run_queue_lengths", "memory_bytes", "run_queue", "messages_queued",
                        "reductions_per_s", "actions_enabled", "applications"})
    EXPECT_TRUE(sys.contains(k)) << k;
  EXPECT_EQ(sys["schedulers"], 2);

  const json procs = get_json(o, "/api/processes?sort=memory&limit=3&filter=obs_");
  EXPECT_EQ(procs["total"], 2);  // obs_root and obs_inner
  ASSERT_EQ(procs["processes"].size(), 2U);
  const json row = procs["processes"][0];
  for (const char* k : {"pid", "name", "behaviour", "status", "message_queue_len", "reductions",
                        "memory", "reductions_delta", "links", "monitors"})
    EXPECT_TRUE(row.contains(k)) << k;
  EXPECT_EQ(row["behaviour"], "supervisor");
  EXPECT_GE(procs["processes"][0]["memory"], procs["processes"][1]["memory"]);

  const json tree = get_json(o, "/api/tree");
  const json r0 = tree["roots"][0];
  EXPECT_EQ(r0["strategy"], "one_for_one");
  EXPECT_EQ(r0["intensity"], 5);
  EXPECT_EQ(r0["period_ms"], 5000);
  EXPECT_EQ(r0["child_count"], 3);
  const json kids = get_json(o, "/api/children/" + bare(root) + "?offset=1&limit=5");
  EXPECT_EQ(kids["total"], 3);
  ASSERT_EQ(kids["children"].size(), 2U);
  const json inner = kids["children"][1];
  EXPECT_EQ(inner["id"], "inner");
  EXPECT_EQ(inner["type"], "supervisor");
  EXPECT_EQ(inner["restart"], "permanent");
  EXPECT_EQ(inner["restarts"], 0);
  EXPECT_EQ(inner["supervisor"]["strategy"], "rest_for_one");

  const json detail = get_json(o, "/api/processes/" + bare(otp::whereis("obs_inner")));
  EXPECT_EQ(detail["status_info"]["behaviour"], "supervisor");
  EXPECT_EQ(detail["ancestors"][0], root.to_string());
  EXPECT_EQ(detail["links"].size(), 2U);  // its parent and its leaf
  EXPECT_TRUE(detail["last_crash"].is_null());

  const json hist = get_json(o, "/api/history");
  ASSERT_GE(hist["samples"].size(), 1U);
  EXPECT_TRUE(hist["samples"][0].contains("messages_queued"));
  auto orders =
      otp::table<int, int>::create({.access = otp::table_access::public_, .name = "obs_orders"});
  orders.insert(1, 10);
  orders.insert(2, 20);
  const json tables = get_json(o, "/api/tables")["tables"];
  ASSERT_EQ(tables.size(), 1U);
  EXPECT_EQ(tables[0]["name"], "obs_orders");
  EXPECT_EQ(tables[0]["type"], "set");
  EXPECT_EQ(tables[0]["access"], "public");
  EXPECT_EQ(tables[0]["size"], 2);
  EXPECT_EQ(tables[0]["owner"], otp::self().to_string());
  EXPECT_TRUE(tables[0]["heir"].is_null());
  EXPECT_GT(tables[0]["memory"], 0);
  EXPECT_TRUE(get_json(o, "/api/crashes")["crashes"].is_array());
  const auto metrics = get(o, "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics->body.find("otp_vm_processes"), std::string::npos) << metrics->body;
  const auto page = get(o, "/");
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("Supervision trees"), std::string::npos);
}

// Rule: a kill sent through the API reaches the process; its supervisor's
// restart shows in the restart count and the crash feed.
TEST_F(ObserverApi, AKillRestartsTheChildAndIsCounted) {
  otp::observer o(n, {.allow_actions = true});
  const otp::pid leaf =
      otp_test::child_pid(otp::supervisor::ref(otp::whereis("obs_inner")), "leaf");
  const otp::ref m = otp::monitor(leaf);
  httplib::Client c("127.0.0.1", o.port());
  const auto r =
      c.Post("/api/kill/" + bare(leaf), R"({"reason": "from_the_observer"})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(otp_test::wait_down(mb, m).to_string(), "from_the_observer");
  // which_children answers after the supervisor handled the EXIT.
  const json kids = get_json(o, "/api/children/" + bare(otp::whereis("obs_inner")));
  EXPECT_EQ(kids["children"][0]["restarts"], 1);
  EXPECT_NE(kids["children"][0]["pid"], leaf.to_string());
  const json crashes = get_json(o, "/api/crashes");
  ASSERT_FALSE(crashes["crashes"].empty());
  EXPECT_EQ(crashes["crashes"][0]["kind"], "supervisor");
}

}  // namespace
