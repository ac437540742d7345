// The keepers of the service's tables: the state that must outlive a crash
// (the rate limiter's buckets, the payment circuit breaker's state) lives in
// public tables owned by processes that do nothing else. Two keepers run,
// each the heir of the other's tables: when one is killed the other
// inherits them (ets_transfer) and, when the first is back, makes it the
// heir again. Only both dying at once loses the tables (they are made
// anew, empty: every bucket full, every circuit closed).
#pragma once

#include <string>

#include "otp/otp.hpp"

namespace order_system {

/// The table of the rate limiter's buckets, by customer.
using bucket_table = otp::table<std::string, otp::rate_bucket>;
/// The table of circuit breaker states, by breaker name.
using breaker_table = otp::table<std::string, otp::circuit_record>;

inline constexpr const char* bucket_table_name = "rate_buckets";
inline constexpr const char* breaker_table_name = "breakers";
inline constexpr const char* keeper_a_name = "table_keeper_a";
inline constexpr const char* keeper_b_name = "table_keeper_b";

/// One of the two keepers (registered as `name`, the other as `partner`).
class table_keeper {
 public:
  /// "Make me the heir of the tables you own": sent by a keeper that starts.
  struct heir_wanted {
    otp::pid keeper;
  };

  using info =
      otp::types<otp::ets_transfer<bucket_table>, otp::ets_transfer<breaker_table>, heir_wanted>;

  table_keeper(std::string name, std::string partner);

  otp::server_result init();
  otp::server_result handle_info(const otp::ets_transfer<bucket_table>& t);
  otp::server_result handle_info(const otp::ets_transfer<breaker_table>& t);
  otp::server_result handle_info(const heir_wanted& w);

 private:
  std::string name_;
  std::string partner_;
};

}  // namespace order_system
