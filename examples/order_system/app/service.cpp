#include "service.hpp"

#include "chaos.hpp"
#include "inventory.hpp"
#include "limiter.hpp"
#include "notifications.hpp"
#include "reconciler.hpp"
#include "repo.hpp"
#include "table_keeper.hpp"

namespace order_system {

void prepare(otp::node& node, service_config& c, std::shared_ptr<service_stats> stats) {
  if (!c.orders)
    c.orders = std::make_shared<order_context>(
        otp::registry<std::string>(node, {.keys = otp::registry_keys::unique}), std::move(stats));
  // Stock is seeded for items the database does not know yet, so a restart
  // keeps what earlier runs sold.
  store db(c.db_path);
  std::map<std::string, std::int64_t> fresh;
  for (const auto& [item, n] : c.items->stock())
    if (!db.stock(item)) fresh.emplace(item, n);
  if (!fresh.empty()) db.seed_inventory(fresh);
  if (c.risk.enabled()) (void)load_risk_rules(c.risk, db.setting(risk_setting));
  c.orders->risk = c.risk.enabled();
}

namespace {

std::vector<otp::child_spec> services(const service_config& c) {
  return {
      otp::named_worker<inventory>("inventory", inventory_name, c.items),
      otp::named_worker<payment>("payment", payment_name, c.payment, c.orders->stats),
      notifications_child_spec({.path = c.orders->notifications_log,
                                .capacity = c.notifications_capacity,
                                .senders = c.notifications_senders,
                                .delay = c.notifications_delay,
                                .stats = c.orders->stats}),
  };
}

}  // namespace

otp::task<otp::start_result> start_link(otp::node& node, const service_config& c) {
  using namespace std::chrono_literals;
  otp::start_options root_name_opt;
  root_name_opt.name = root_name;
  otp::start_options services_name;
  services_name.name = "services";
  otp::start_options orders_opt;
  orders_opt.name = orders_name;
  std::vector<otp::child_spec> children{
      // First: the tables the limiter and the breaker keep their state in.
      otp::named_worker<table_keeper>("table_keeper_a", keeper_a_name, std::string(keeper_a_name),
                                      std::string(keeper_b_name)),
      otp::named_worker<table_keeper>("table_keeper_b", keeper_b_name, std::string(keeper_b_name),
                                      std::string(keeper_a_name)),
      repo::child_spec(repo_name, {.size = c.db_connections, .max_overflow = 0},
                       otp::start_options{.name = repo_name}, c.db_path),
      otp::supervisor_child("services",
                            {.strategy = otp::rest_for_one, .intensity = 5, .period = 5000ms},
                            services(c), services_name),
      c.orders->registry.child_spec("order_registry"),
      otp::dynamic_supervisor::child_spec("orders", {}, orders_opt),
      otp::named_worker<reconciler>("reconciler", "reconciler",
                                    std::shared_ptr<const order_context>(c.orders),
                                    c.reconcile_every),
      otp::named_worker<rate_limit_server>("rate_limiter", rate_limiter_name, c.limit),
      otp::named_worker<endpoint>("endpoint", "endpoint", c.http, &node,
                                  std::shared_ptr<const order_context>(c.orders), c.items, c.risk),
  };
  // The risk rules, after the services and before anything that makes
  // orders: one_for_one under the root, so that a restart of another
  // service does not reset the rules' state (a customer's spend).
  if (c.risk.enabled())
    children.insert(
        children.begin() + 4,
        otp::named_worker<risk_server>("risk", risk_name, std::string(risk_module), c.risk.limits));
  const otp::supervisor_flags flags{
      .strategy = otp::one_for_one, .intensity = 20, .period = 10'000ms};
  co_return co_await otp::supervisor::start_link(flags, std::move(children), root_name_opt);
}

}  // namespace order_system
