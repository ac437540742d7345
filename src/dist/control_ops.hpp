// The operations of the distribution's control messages (erts' DOP_*), the
// first element of every control tuple.
#pragma once

#include <cstdint>

namespace otp::dist_detail::dop {

inline constexpr std::int64_t link = 1;
inline constexpr std::int64_t send = 2;
inline constexpr std::int64_t exit = 3;
inline constexpr std::int64_t reg_send = 6;
inline constexpr std::int64_t exit2 = 8;
inline constexpr std::int64_t monitor_p = 19;
inline constexpr std::int64_t demonitor_p = 20;
inline constexpr std::int64_t monitor_p_exit = 21;
inline constexpr std::int64_t spawn_request = 29;
inline constexpr std::int64_t spawn_request_tt = 30;  ///< with a trace token (not kept)
inline constexpr std::int64_t spawn_reply = 31;
inline constexpr std::int64_t spawn_reply_tt = 32;  ///< with a trace token (not kept)
inline constexpr std::int64_t alias_send = 33;
inline constexpr std::int64_t unlink_id = 35;
inline constexpr std::int64_t unlink_id_ack = 36;

}  // namespace otp::dist_detail::dop
