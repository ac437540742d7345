// order_service: the order system of the source articles as one executable,
// a release of two applications (app/applications.hpp) run by otp::boot.
//
//   order_service --config examples/order_system/config/order_service.toml
//                 --set order_system.db_path=/tmp/orders.db --set order_system.port=8080
//
// Every setting is a key of the order_system (or order_chaos) application,
// from the --config file, OTP__ORDER_SYSTEM__KEY variables or --set flags;
// --print-config shows them with their origins. Prints `order_service
// listening on HOST:PORT` once both applications have started (port 0 picks
// a free one), serves the HTTP API of app/endpoint.hpp, logs through
// otp::logger (configured from the [logger] table: console by default),
// and on SIGINT / SIGTERM (or, with --stop-on-eof, when its standard input
// closes) stops the applications in order and exits 0. When the root
// supervisor gives up, the service exits with status 3, for the service
// manager to start it again; the database holds every accepted order, and
// the next start's reconciler resumes them. Bad configuration: status 2.
//
// With order_system.observer.enabled = true it serves the observer's page
// (otp/tools/observer.hpp) and prints `order_service observer at URL`.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "applications.hpp"
#include "otp/services/boot.hpp"
#include "otp/tools/observer.hpp"

int main(int argc, char** argv) {
  const order_system::app_shared shared;
  auto observer = std::make_shared<std::unique_ptr<otp::observer>>();
  return otp::boot(
      argc, argv,
      {.program = "order_service",
       .description = "order_service: the order system (HTTP API over a supervision tree)",
       .applications = {order_system::order_system_application(shared),
                        order_system::order_chaos_application(shared)},
       .start = {order_system::chaos_app_name},
       .node = {.blocking_threads = 32},
       .started =
           [shared, observer](otp::node& n) {
             std::printf("order_service listening on %s:%d\n",
                         otp::fetch_env<std::string>(n, order_system::app_name, "host").c_str(),
                         shared.bound_port->load());
             const auto o = otp::fetch_env<nlohmann::json>(n, order_system::app_name, "observer");
             if (o.value("enabled", false)) {
               *observer = std::make_unique<otp::observer>(
                   n, otp::observer_options{.port = o.value("port", 0),
                                            .bind = o.value("host", "127.0.0.1"),
                                            .token = o.value("token", ""),
                                            .allow_actions = o.value("actions", false)});
               std::printf("order_service observer at %s\n", (*observer)->url().c_str());
             }
             std::fflush(stdout);
           },
       .stopping = [observer](otp::node&) { observer->reset(); }});
}
