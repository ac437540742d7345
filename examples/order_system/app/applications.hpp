// The order system as two OTP applications, for otp::boot:
//
//   order_system   the supervision tree of service.hpp; its environment holds
//                  every setting (db_path, gateway_url, port, limits, breaker,
//                  ...; config/order_service.toml lists them all)
//   order_chaos    the chaos process of chaos.hpp, under its own supervisor;
//                  needs order_system; `rate = 0` (the default) kills nothing
//
// The chaos process lives in its own application so that it stays outside
// the tree it attacks (a kill never takes it down with its victims) while
// still being started, stopped and configured as the rest of the release.
//
// | callback               | what it does                                     |
// |------------------------|--------------------------------------------------|
// | order_system start     | reads its environment, prepare(), start_link()   |
// |                        | of the root supervisor, adds the stats handler   |
// | order_system stop      | removes the stats handler                        |
// | order_chaos start      | a one_for_one supervisor of the chaos gen_server |
#pragma once

#include <atomic>
#include <memory>

#include "otp/otp.hpp"
#include "stats.hpp"

namespace order_system {

/// The applications' names.
inline constexpr const char* app_name = "order_system";
inline constexpr const char* chaos_app_name = "order_chaos";
/// The id of the logger handler through which the service counts reports.
inline constexpr const char* stats_handler_id = "order_system_stats";

/// What the applications share with each other and with main(): the
/// counters (the chaos process counts its kills in them) and the port the
/// endpoint bound (main prints it).
/// @threadsafe Every member.
struct app_shared {
  std::shared_ptr<service_stats> stats = std::make_shared<service_stats>();
  std::shared_ptr<std::atomic<int>> bound_port = std::make_shared<std::atomic<int>>(0);
};

/// The order_system application (declared_keys_only). Its start throws
/// otp::env_error for a value that does not fit (a negative port, say) and
/// store_error / a catalogue error when the files cannot be read: the start
/// fails and otp::boot exits 1.
otp::application_spec order_system_application(app_shared shared);

/// The order_chaos application (declared_keys_only): keys `rate` (kills per
/// second, 0 = none), `supervisors` (share aimed at supervisors, 0..1) and
/// `seed`.
otp::application_spec order_chaos_application(app_shared shared);

}  // namespace order_system
