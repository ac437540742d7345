// The long-schedule watchdog: see watchdog.hpp.
#include "runtime/watchdog.hpp"

#include <algorithm>
#include <string>

#include "otp/runtime/detail/thread_name.hpp"
#include "otp/runtime/logger.hpp"
#include "runtime/node_impl.hpp"

namespace otp::detail {

void watchdog::start() {
  if (opts_.long_schedule.count() > 0)
    thread_ = std::thread([this] {
      name_this_thread("otp-watchdog");
      loop();
    });
}

void watchdog::stop() noexcept {
  {
    std::lock_guard lk(mu_);
    halt_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void watchdog::loop() {
  const auto threshold = opts_.long_schedule;
  const auto interval = std::max(std::chrono::milliseconds(1), threshold / 4);
  struct seen {
    std::uint64_t dispatches = 0;
    std::uint64_t pid_bits = 0;
    std::chrono::steady_clock::time_point since;
    bool reported = false;
  };
  std::vector<seen> last(workers_.size());
  const logger::named otp_log("otp");
  std::unique_lock lk(mu_);
  while (!halt_) {
    cv_.wait_for(lk, interval);
    if (halt_) break;
    const auto now = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < workers_.size(); ++i) {
      const worker& w = *workers_[i];
      const std::uint64_t d = w.dispatches.load(std::memory_order_relaxed);
      const std::uint64_t bits = w.running_pid.load(std::memory_order_relaxed);
      seen& s = last[i];
      if (bits == 0 || d != s.dispatches || bits != s.pid_bits) {
        s = seen{d, bits, now, false};
        continue;
      }
      const auto held = std::chrono::duration_cast<std::chrono::milliseconds>(now - s.since);
      if (s.reported || held < threshold) continue;
      s.reported = true;
      long_schedule_event ev{pid(node_, static_cast<std::uint32_t>(bits >> 32),
                                 static_cast<std::uint32_t>(bits & 0xFFFF'FFFFu)),
                             static_cast<unsigned>(i), held};
      const std::string who = ev.process.to_string();
      otp_log.warning(
          {{"process", who}},
          "long_schedule: {} has held scheduler {} for {} ms without a scheduling point", who,
          ev.scheduler, ev.held.count());
      if (opts_.on_long_schedule) opts_.on_long_schedule(ev);
    }
  }
}

}  // namespace otp::detail
