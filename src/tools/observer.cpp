// otp::observer: owns the HTTP server, the sampler and the crash feed
// (observer_parts.hpp) and routes each request to them, behind the checks
// every request passes first: the bearer token when there is one, and the
// actions switch for the routes that change something.
#include "otp/tools/observer.hpp"

#include <arpa/inet.h>

#include <atomic>
#include <cctype>

#include "otp/behaviours/application.hpp"
#include "otp/behaviours/sys.hpp"
#include "otp/runtime/errors.hpp"
#include "otp/runtime/logger_handler.hpp"
#include "otp/services/all_tables.hpp"
#include "otp/tools/http_server.hpp"
#include "otp/tools/prometheus.hpp"
#include "tools/observer_parts.hpp"

namespace otp {

namespace od = observer_detail;
using od::json;

namespace {

std::atomic<std::uint64_t> g_obs_next_id{0};

bool obs_is_loopback(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr v4{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

/// Equal in time that depends on the lengths only, not on where they differ.
bool obs_same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

/// The credentials of an `Authorization: Bearer <token>` value: the scheme
/// in any case (RFC 7235 section 2.1), then one or more spaces; "" for
/// another scheme.
std::string_view obs_bearer(std::string_view auth) {
  constexpr std::string_view kScheme = "bearer";
  if (auth.size() <= kScheme.size() || auth[kScheme.size()] != ' ') return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(auth[i])) != kScheme[i]) return {};
  auth.remove_prefix(kScheme.size());
  while (!auth.empty() && auth.front() == ' ') auth.remove_prefix(1);
  return auth;
}

void obs_json(http_response& res, const json& body) {
  res.content_type = "application/json";
  res.set_header("Cache-Control", "no-store");
  res.body = body.dump();
}

}  // namespace

struct observer::impl {
  impl(node& n, observer_options o)
      : node_(n),
        opts(std::move(o)),
        server(http_limits{.max_body_bytes = 4096, .max_connections = 256, .max_queued = 64},
               opts.workers),
        feed(std::make_shared<od::crash_feed>(opts.crash_feed_size)),
        feed_id("otp_observer_" + std::to_string(g_obs_next_id.fetch_add(1))) {}

  node& node_;
  observer_options opts;
  http_server server;
  std::shared_ptr<od::crash_feed> feed;
  std::string feed_id;
  std::unique_ptr<od::sampler> sampling;
  int port = -1;

  /// Wraps `f` with the token check (and the actions switch when `action`).
  http_handler guard(bool action, http_handler f) {
    return [this, action, f = std::move(f)](const http_request& req, http_response& res) {
      if (!opts.token.empty()) {
        const std::string auth = req.header("Authorization");
        if (!obs_same_secret(obs_bearer(auth), opts.token)) {
          res.set_header("WWW-Authenticate", "Bearer realm=\"otp observer\"");
          return res.error(401, "unauthorized", "this observer needs Authorization: Bearer");
        }
      }
      if (action && !opts.allow_actions)
        return res.error(403, "actions_disabled",
                         "this observer was started without allow_actions");
      f(req, res);
    };
  }

  /// The pid a route's :pid names, or an error answer (400, 404) and nullopt.
  std::optional<pid> target(const http_request& req, http_response& res) const {
    const std::optional<pid> p = od::parse_pid(req.param);
    if (!p) {
      res.error(400, "bad_pid", "a pid is written <node.slot.serial> or node.slot.serial");
      return std::nullopt;
    }
    if (!node_.is_alive(*p)) {
      res.error(404, "not_found", "no live process " + p->to_string());
      return std::nullopt;
    }
    return p;
  }

  /// The query's offset and limit (at most 1000, `limit_default` when not
  /// given), or a 400 answer and nullopt when either is not a number.
  std::optional<std::pair<std::size_t, std::size_t>> page(const http_request& req,
                                                          http_response& res,
                                                          std::size_t limit_default) const {
    const auto o = od::query_value(req.query, "offset");
    const auto l = od::query_value(req.query, "limit");
    const auto offset = o ? od::query_number(*o, 0, 1u << 30) : std::nullopt;
    const auto limit = l ? od::query_number(*l, limit_default, 1000) : std::nullopt;
    if (!offset || !limit) {
      res.error(400, "bad_query", "offset and limit are unsigned numbers (limit at most 1000)");
      return std::nullopt;
    }
    return std::pair{*offset, *limit};
  }

  json system() const {
    const auto s = sampling->latest();
    const node_statistics& st = s->stats;
    json apps = json::array();
    for (const application_info& a : application::which_applications(node_))
      apps.push_back({{"name", a.name}, {"description", a.description}, {"version", a.version}});
    return {{"node_id", node_.id()},
            {"uptime_ms", node_.now().count()},
            {"process_count", node_.process_count()},
            {"process_limit", st.process_limit},
            {"processes_spawned", st.processes_spawned},
            {"processes_exited", st.processes_exited},
            {"schedulers", st.schedulers},
            {"scheduler_utilisation", s->utilisation},
            {"run_queue", st.run_queue},
            {"run_queue_lengths", st.run_queue_lengths},
            {"global_run_queue", st.global_run_queue_length},
            {"reductions_per_s", static_cast<std::uint64_t>(s->reductions_per_s)},
            {"messages_queued", st.messages_queued},
            {"timers", st.timers},
            {"memory_bytes", s->memory},
            {"process_table_bytes", st.process_table_bytes},
            {"timer_bytes", st.timer_bytes},
            {"blocks_in_use", st.blocks.blocks_in_use},
            {"blocks_held", st.blocks.blocks_held},
            {"not_answering", s->not_answering},
            {"sampled_at_ms", s->at.count()},
            {"sample_every_ms", opts.sample_every.count()},
            {"actions_enabled", opts.allow_actions},
            {"applications", std::move(apps)}};
  }

  void add_routes();
  void add_actions();
};

void observer::impl::add_routes() {
  const auto t = opts.process_timeout;
  server.route("GET", "/", [](const http_request&, http_response& res) {
    res.content_type = "text/html; charset=utf-8";
    res.set_header("Content-Security-Policy",
                   "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                   "connect-src 'self'; img-src data:");
    res.body = std::string(od::page_html());
  });
  server.route("GET", "/api/system", guard(false, [this](const http_request&, http_response& res) {
                 obs_json(res, system());
               }));
  server.route(
      "GET", "/api/processes", guard(false, [this](const http_request& req, http_response& res) {
        const auto pg = page(req, res, 100);
        if (!pg) return;
        const auto sort = od::query_value(req.query, "sort");
        if (!sort || !od::known_sort(*sort))
          return res.error(
              400, "bad_query",
              "sort is reductions, mailbox, memory, one of those with _delta, or name");
        const auto filter = od::query_value(req.query, "filter");
        if (!filter) return res.error(400, "bad_query", "the filter holds a malformed %-escape");
        obs_json(res, od::process_list(*sampling->latest(), *sort, *filter, pg->first, pg->second));
      }));
  server.route("GET", "/api/processes/:pid",
               guard(false, [this, t](const http_request& req, http_response& res) {
                 const auto p = target(req, res);
                 if (!p) return;
                 if (auto d = od::process_detail(node_, *p, *feed, t)) return obs_json(res, *d);
                 res.error(404, "not_found", "no live process " + p->to_string());
               }));
  server.route("GET", "/api/tree", guard(false, [this, t](const http_request&, http_response& res) {
                 obs_json(res, od::supervision_roots(node_, *sampling->latest(), t));
               }));
  server.route("GET", "/api/children/:pid",
               guard(false, [this, t](const http_request& req, http_response& res) {
                 const auto p = target(req, res);
                 if (!p) return;
                 const auto pg = page(req, res, 200);
                 if (!pg) return;
                 try {
                   if (auto c = od::supervisor_children(node_, *p, pg->first, pg->second, t))
                     return obs_json(res, *c);
                 } catch (const otp::exit_error& e) {
                   return res.error(409, "no_answer",
                                    p->to_string() + " did not list its children in time (" +
                                        e.reason().to_string() + "; suspended?)");
                 }
                 res.error(404, "not_a_supervisor", p->to_string() + " is not a supervisor");
               }));
  server.route("GET", "/api/history", guard(false, [this](const http_request&, http_response& res) {
                 obs_json(res, sampling->history());
               }));
  server.route("GET", "/api/crashes", guard(false, [this](const http_request&, http_response& res) {
                 obs_json(res, {{"crashes", feed->recent()}});
               }));
  server.route(
      "GET", "/api/tables", guard(false, [this](const http_request&, http_response& res) {
        json tables = json::array();
        for (const table_info& t : all_tables(node_))
          tables.push_back({{"name", t.name},
                            {"type", to_string(t.type)},
                            {"access", to_string(t.access)},
                            {"owner", t.owner.to_string()},
                            {"heir", t.heir.is_null() ? json(nullptr) : json(t.heir.to_string())},
                            {"size", t.size},
                            {"memory", t.memory},
                            {"read_concurrency", t.read_concurrency},
                            {"write_concurrency", t.write_concurrency}});
        obs_json(res, {{"tables", std::move(tables)}});
      }));
  server.route("GET", "/metrics", guard(false, [this](const http_request&, http_response& res) {
                 if (!opts.metrics)
                   return res.error(404, "not_found", "this observer was given no metrics");
                 res.content_type = prometheus_exporter::content_type;
                 res.body = opts.metrics();
               }));
  add_actions();
}

void observer::impl::add_actions() {
  const auto t = opts.process_timeout;
  server.route("POST", "/api/kill/:pid",
               guard(true, [this](const http_request& req, http_response& res) {
                 const auto p = target(req, res);
                 if (!p) return;
                 std::string reason = "kill";
                 if (!req.body.empty()) {
                   const json body = json::parse(req.body, nullptr, false);
                   if (!body.is_object() ||
                       (body.contains("reason") &&
                        (!body["reason"].is_string() || body["reason"].get<std::string>().empty() ||
                         body["reason"].get<std::string>().size() > 200)))
                     return res.error(400, "bad_request",
                                      R"(the body is {"reason": "<1..200 characters>"})");
                   reason = body.value("reason", reason);
                 }
                 node_.exit(*p, reason == "kill"       ? exit_reason::kill()
                                : reason == "shutdown" ? exit_reason::shutdown()
                                : reason == "normal"   ? exit_reason::normal()
                                                       : exit_reason::other(reason));
                 obs_json(res, {{"pid", p->to_string()}, {"sent", reason}});
               }));
  for (const bool suspend : {true, false}) {
    server.route("POST", suspend ? "/api/suspend/:pid" : "/api/resume/:pid",
                 guard(true, [this, t, suspend](const http_request& req, http_response& res) {
                   const auto p = target(req, res);
                   if (!p) return;
                   otp::mailbox mb(node_);
                   const auto info = node_.process_info(*p, timeout(t));
                   if (!info || info->behaviour.empty())
                     return res.error(409, "not_a_behaviour",
                                      p->to_string() + " answers no system messages");
                   try {
                     if (suspend)
                       sys::suspend(*p, timeout(t)).get();
                     else
                       sys::resume(*p, timeout(t)).get();
                   } catch (const otp::exit_error& e) {
                     return res.error(409, "no_answer", e.reason().to_string());
                   }
                   obs_json(res, {{"pid", p->to_string()}, {"suspended", suspend}});
                 }));
  }
}

observer::observer(node& n, observer_options o) {
  if (!obs_is_loopback(o.bind) && o.token.empty())
    throw badarg("observer: binding " + o.bind +
                 " (not a loopback address) needs a token (observer_options::token)");
  if (o.workers < 1 || o.workers > 16) throw badarg("observer: workers must be 1..16");
  if (o.history_size < 1 || o.history_size > 100'000)
    throw badarg("observer: history_size must be 1..100000");
  if (o.sample_every.count() < 10) throw badarg("observer: sample_every must be >= 10 ms");
  impl_ = std::make_unique<impl>(n, std::move(o));
  impl& i = *impl_;
  i.add_routes();
  i.port = i.server.bind(i.opts.bind, i.opts.port);
  if (i.port < 0)
    throw std::runtime_error("observer: cannot listen on " + i.opts.bind + ":" +
                             std::to_string(i.opts.port));
  logger::add_handler(i.feed_id, i.feed, {.level = log_level::error, .burst_limit_enable = false});
  i.sampling = std::make_unique<od::sampler>(n, i.opts.sample_every, i.opts.history_size,
                                             i.opts.process_timeout);
  i.server.start();
}

observer::~observer() {
  impl_->server.stop();
  impl_->sampling.reset();
  logger::remove_handler(impl_->feed_id);
}

int observer::port() const noexcept { return impl_->port; }

std::string observer::url() const {
  const std::string& host = impl_->opts.bind;
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(impl_->port) + "/";
}

}  // namespace otp
