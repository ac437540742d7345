#include "order.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "inventory.hpp"
#include "notifications.hpp"
#include "payment.hpp"
#include "repo.hpp"
#include "risk.hpp"

namespace order_system {

namespace {

// How an order waits for a service that is restarting: 20 ms, doubling to
// 1 s, at most 120 times (about two minutes), then it gives up and crashes.
constexpr std::chrono::milliseconds kFirstRetry{20};
constexpr std::chrono::milliseconds kMaxRetry{1000};
constexpr int kMaxRetries = 120;
// How long one call may take: a charge waits for the gateway's HTTP timeouts.
constexpr std::chrono::milliseconds kCallTimeout{10'000};

/// Calls server `s` with `req` until it answers. A call that exits (the
/// server died mid-call, is restarting, or did not answer within `t`) is
/// made again after a pause: every request an order makes is idempotent, so
/// repeating one is safe, and a restarting service is a passing condition,
/// not the order's fault.
/// @exits the last call's reason after kMaxRetries failed calls.
template <class S, class Req>
otp::task<typename Req::reply> call_until_answered(otp::server_ref<S> s, Req req,
                                                   std::chrono::milliseconds t) {
  std::chrono::milliseconds wait = kFirstRetry;
  for (int tries = 1;; ++tries) {
    Req attempt = req;
    try {
      co_return co_await otp::call(s, std::move(attempt), otp::timeout(t));
    } catch (const otp::exit_error&) {
      if (tries >= kMaxRetries) throw;
    }
    co_await otp::receive(otp::after(wait));
    wait = std::min(wait * 2, kMaxRetry);
  }
}

/// query(req), made again while the repo (or the connection) is restarting,
/// as call_until_answered.
template <class Req>
otp::task<typename Req::reply> query_until_answered(Req req) {
  std::chrono::milliseconds wait = kFirstRetry;
  for (int tries = 1;; ++tries) {
    Req attempt = req;
    try {
      co_return co_await query(std::move(attempt));
    } catch (const otp::exit_error&) {
      if (tries >= kMaxRetries) throw;
    }
    co_await otp::receive(otp::after(wait));
    wait = std::min(wait * 2, kMaxRetry);
  }
}

}  // namespace

order_process::order_process(std::string id, std::shared_ptr<const order_context> ctx)
    : id_(std::move(id)), ctx_(std::move(ctx)) {}

otp::task<otp::server_result> order_process::handle_continue(run) {
  std::optional<otp::exit_reason> crashed;
  try {
    co_return co_await work();
  } catch (const otp::exit_error&) {
    throw;  // a service stayed down through every retry: not the order's fault
  } catch (...) {
    // The order's own data made it throw. Keep the exception (with the stack
    // trace of the throw) as the exit reason, count the crash, then crash.
    crashed = otp::exit_reason::from_exception(std::current_exception());
  }
  db_conn::add_attempt count{id_};
  co_await query_until_answered(std::move(count));
  otp::exit(*crashed);
}

otp::task<otp::server_result> order_process::work() {
  db_conn::get_order get{id_};
  std::optional<order_row> row = co_await query_until_answered(std::move(get));
  if (!row || row->state == order_state::paid || row->state == order_state::failed)
    co_return otp::stop(otp::exit_reason::normal());
  row_ = std::move(*row);
  if (row_.attempts >= ctx_->max_attempts) {
    co_await settle_uncharged("crashed");
    co_return otp::stop(otp::exit_reason::normal());
  }

  // Price the order from the catalogue. A corrupt record throws here, which
  // crashes this process: the poison input. The reconciler retries it until
  // max_attempts, and then it is settled above.
  const auto inv = otp::whereis<inventory>(inventory_name);
  std::int64_t subtotal = 0;
  for (const order_line& line : row_.items) {
    inventory::describe d{line.item};
    const nlohmann::json rec = co_await call_until_answered(inv, std::move(d), kCallTimeout);
    std::int64_t cost = 0;
    if (__builtin_mul_overflow(rec.at("unit_price_cents").get<std::int64_t>(), line.quantity,
                               &cost) ||
        __builtin_add_overflow(subtotal, cost, &subtotal))
      throw std::overflow_error("the subtotal of order " + id_ + " overflows");
  }

  if (row_.state == order_state::pending) {
    // The risk rules decide before anything is taken: an order they refuse
    // fails with their reason. (Asked again when a process resumes a pending
    // order: the rules may have changed by an upgrade meanwhile.)
    if (ctx_->risk) {
      const auto rules = otp::whereis<risk_server>(risk_name);
      risk_api::assess a{id_, row_.customer, row_.amount_cents};
      const risk_verdict v = co_await call_until_answered(rules, std::move(a), kCallTimeout);
      if (!v.allow) {
        co_await fail(v.reason, false);
        co_return otp::stop(otp::exit_reason::normal());
      }
    }
    inventory::reserve r{id_, row_.items};
    const reserve_result got = co_await call_until_answered(inv, std::move(r), kCallTimeout);
    if (got != reserve_result::reserved) {
      co_await fail(got == reserve_result::out_of_stock ? "out_of_stock" : "unknown_item", false);
      co_return otp::stop(otp::exit_reason::normal());
    }
    db_conn::set_state s{id_, order_state::reserved, {}, {}};
    co_await query_until_answered(std::move(s));
    row_.state = order_state::reserved;
  }

  const auto pay = otp::whereis<payment>(payment_name);
  const auto deadline = std::chrono::steady_clock::now() + ctx_->payment_deadline;
  std::chrono::milliseconds backoff = ctx_->backoff;
  for (;;) {
    payment::charge c{id_, row_.amount_cents, row_.card_token};
    const charge_outcome out = co_await call_until_answered(pay, std::move(c), kCallTimeout);
    if (out.what == charge_outcome::kind::paid) {
      db_conn::set_state s{id_, order_state::paid, {}, out.charge_id};
      co_await query_until_answered(std::move(s));
      std::string note = "paid " + std::to_string(subtotal) + " cents";
      co_await notify(std::move(note));
      break;
    }
    if (out.what == charge_outcome::kind::declined || out.what == charge_outcome::kind::rejected) {
      co_await fail(out.what == charge_outcome::kind::declined ? "declined" : "payment_rejected",
                    true);
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      co_await settle_uncharged("payment_unavailable");
      break;
    }
    // Unavailable, or the circuit is open: wait (at least until the breaker
    // lets a probe through) and try again.
    if (out.what == charge_outcome::kind::circuit_open && out.retry_after > backoff)
      backoff = std::min(out.retry_after, ctx_->max_backoff);
    co_await pause(backoff);
  }
  co_return otp::stop(otp::exit_reason::normal());
}

otp::task<void> order_process::fail(std::string reason, bool release) {
  if (release) {
    inventory::release r{id_};
    const auto inv = otp::whereis<inventory>(inventory_name);
    co_await call_until_answered(inv, std::move(r), kCallTimeout);
  }
  db_conn::set_state s{id_, order_state::failed, reason, {}};
  co_await query_until_answered(std::move(s));
  std::string note = "failed " + reason;
  co_await notify(std::move(note));
}

otp::task<void> order_process::settle_uncharged(std::string reason) {
  // The gateway may hold a charge made by an earlier attempt whose reply was
  // lost: ask it before failing the order, and wait while it cannot answer.
  const auto pay = otp::whereis<payment>(payment_name);
  std::chrono::milliseconds backoff = ctx_->backoff;
  for (;;) {
    payment::lookup l{id_};
    const charge_outcome out = co_await call_until_answered(pay, std::move(l), kCallTimeout);
    switch (out.what) {
      case charge_outcome::kind::paid: {
        db_conn::set_state s{id_, order_state::paid, {}, out.charge_id};
        co_await query_until_answered(std::move(s));
        std::string note = "paid";
        co_await notify(std::move(note));
        co_return;
      }
      case charge_outcome::kind::declined:
        co_await fail("declined", row_.state == order_state::reserved);
        co_return;
      case charge_outcome::kind::not_found:
        co_await fail(std::move(reason), row_.state == order_state::reserved);
        co_return;
      default:
        co_await pause(backoff);
    }
  }
}

otp::task<void> order_process::pause(std::chrono::milliseconds& backoff) {
  co_await otp::receive(otp::after(backoff));
  backoff = std::min(backoff * 2, ctx_->max_backoff);
}

otp::task<void> order_process::notify(std::string what) {
  if (ctx_->notifications_log.empty()) co_return;
  // The order's state is stored already: a notification that cannot be
  // queued within 5 s (the queue down, or full that long) is counted and
  // dropped, and the order goes on.
  if (!co_await publish_notification("order " + id_ + " " + what, std::chrono::seconds(5)))
    ++ctx_->stats->notifications_dropped;
}

otp::task<otp::start_result> start_order(std::string id, std::shared_ptr<const order_context> ctx) {
  otp::child_spec spec;
  spec.id = "order";
  spec.restart = otp::temporary;
  spec.start = [id, ctx]() -> otp::task<otp::start_result> {
    otp::start_options o;
    o.name = ctx->registry.via(id);
    co_return co_await otp::gen_server::start_link<order_process>(o, id, ctx);
  };
  const auto sup = otp::whereis<otp::dynamic_supervisor::server>(orders_name);
  co_return co_await otp::dynamic_supervisor::start_child(sup, std::move(spec));
}

}  // namespace order_system
