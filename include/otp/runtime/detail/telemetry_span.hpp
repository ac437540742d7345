// telemetry::span's body (declared in otp/runtime/telemetry.hpp).
#pragma once

#include <array>
#include <chrono>
#include <exception>
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

/// The span's metadata followed by its own entries.
inline std::vector<metadata_entry> span_metadata(std::initializer_list<metadata_entry> given,
                                                 std::int64_t context) {
  std::vector<metadata_entry> md(given);
  md.push_back({"telemetry_span_context", context});
  return md;
}

}  // namespace otp::telemetry::detail

namespace otp::telemetry {

template <class F>
decltype(auto) span(std::initializer_list<std::string_view> prefix,
                    std::initializer_list<metadata_entry> metadata, F&& fn) {
  detail::span_name name(prefix);
  if (detail::attached.load(std::memory_order_relaxed) == 0) return std::forward<F>(fn)();
  std::vector<metadata_entry> md = detail::span_metadata(metadata, detail::next_span_context());
  const std::int64_t start = detail::monotonic_ns();
  const double system_ns =
      static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count());
  {
    const measurement m[] = {{"monotonic_time", static_cast<double>(start)},
                             {"system_time", system_ns}};
    execute(name.with("start"), m, md);
  }
  auto ended = [&](std::string_view last, std::span<const metadata_entry> meta) {
    const std::int64_t now = detail::monotonic_ns();
    const measurement m[] = {{"duration", static_cast<double>(now - start)},
                             {"monotonic_time", static_cast<double>(now)}};
    execute(name.with(last), m, meta);
  };
  try {
    if constexpr (std::is_void_v<std::invoke_result_t<F>>) {
      std::forward<F>(fn)();
      ended("stop", md);
    } else {
      decltype(auto) result = std::forward<F>(fn)();
      ended("stop", md);
      return result;
    }
  } catch (...) {
    const std::exception_ptr e = std::current_exception();
    bool is_exit = false;
    exit_reason reason = exit_reason::normal();
    try {
      std::rethrow_exception(e);
    } catch (const exit_error& x) {
      is_exit = true;
      reason = x.reason();
    } catch (...) {
      reason = exit_reason::from_exception(e);
    }
    std::vector<metadata_entry> failed = md;
    failed.push_back({"kind", std::string_view(is_exit ? "exit" : "error")});
    failed.push_back({"reason", reason});
    ended("exception", failed);
    throw;
  }
}

}  // namespace otp::telemetry
