// telemetry::span's body (declared in otp/runtime/telemetry.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "otp/runtime/errors.hpp"
#include "otp/runtime/exit_reason.hpp"

namespace otp::telemetry::detail {

/// The name prefix ++ [last], in a buffer of at most 9 segments.
class span_name {
 public:
  span_name(std::initializer_list<std::string_view> prefix) : n_(prefix.size() + 1) {
    if (prefix.size() > 8) throw badarg("telemetry::span: a prefix has at most 8 segments");
    std::size_t i = 0;
    for (std::string_view s : prefix) parts_[i++] = s;
  }
  std::span<const std::string_view> with(std::string_view last) {
    parts_[n_ - 1] = last;
    return {parts_.data(), n_};
  }

 private:
  std::array<std::string_view, 9> parts_{};
  std::size_t n_;
};

/// A span begun (its start event emitted) and not ended yet: the state of
/// telemetry::span, and of a gen_server's call span, which ends in a later
/// coroutine step. Name segments and metadata are views: what they point to
/// must outlive the span.
class open_span {
 public:
  /// Emits prefix ++ [start] with monotonic_time and system_time (ns); every
  /// event of the span carries `metadata` and telemetry_span_context.
  /// @throws badarg for a prefix of more than 8 segments.
  open_span(std::initializer_list<std::string_view> prefix, std::vector<metadata_entry> metadata);
  /// Emits prefix ++ [stop] with duration and monotonic_time (ns).
  void stop();
  /// Emits prefix ++ [exception] for the exception `e`: kind ("exit" for an
  /// otp exit, else "error") and reason (an exit_reason) added to the metadata.
  void failed(std::exception_ptr e);

 private:
  void ended(std::string_view last, std::span<const metadata_entry> metadata);
  span_name name_;
  std::vector<metadata_entry> metadata_;
  std::int64_t start_ = 0;
};

}  // namespace otp::telemetry::detail

namespace otp::telemetry {

template <class F>
decltype(auto) span(std::initializer_list<std::string_view> prefix,
                    std::initializer_list<metadata_entry> metadata, F&& fn) {
  if (prefix.size() > 8) throw badarg("telemetry::span: a prefix has at most 8 segments");
  if (detail::attached.load(std::memory_order_relaxed) == 0) return std::forward<F>(fn)();
  detail::open_span s(prefix, std::vector<metadata_entry>(metadata));
  try {
    if constexpr (std::is_void_v<std::invoke_result_t<F>>) {
      std::forward<F>(fn)();
      s.stop();
    } else {
      decltype(auto) result = std::forward<F>(fn)();
      s.stop();
      return result;
    }
  } catch (...) {
    s.failed(std::current_exception());
    throw;
  }
}

}  // namespace otp::telemetry
