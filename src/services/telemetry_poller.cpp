#include "otp/services/telemetry_poller.hpp"

#include <cstdint>
#include <exception>
#include <string>
#include <utility>

#include "otp/runtime/logger.hpp"
#include "otp/runtime/node.hpp"
#include "otp/runtime/statistics.hpp"
#include "otp/runtime/telemetry.hpp"
#include "otp/runtime/timer.hpp"

namespace otp::telemetry_poller {

class server {
 public:
  static constexpr const char* behaviour = "telemetry_poller";
  struct poll {};
  struct custom_count_req {
    using reply = std::size_t;
  };
  using info = types<poll>;

  explicit server(telemetry_poller_options o) : o_(std::move(o)) {}

  server_result init() {
    if (o_.period.count() <= 0 || o_.init_delay.count() < 0)
      return server_result::stop(exit_reason::other("{bad_period," +
                                                    std::to_string(o_.period.count()) + "," +
                                                    std::to_string(o_.init_delay.count()) + "}"));
    last_ = statistics(this_node());
    send_after(o_.init_delay, self(), poll{});
    return noreply();
  }

  std::size_t handle_call(custom_count_req) const { return o_.custom.size(); }

  server_result handle_info(poll) {
    const node_statistics now = statistics(this_node());
    for (vm_measurement m : o_.vm) emit(m, now);
    last_ = now;
    for (auto it = o_.custom.begin(); it != o_.custom.end();) {
      try {
        (*it)();
        ++it;
      } catch (...) {
        logger::error("telemetry_poller: a custom measurement failed and was removed: {}",
                      exit_reason::from_exception(std::current_exception()).to_string());
        it = o_.custom.erase(it);
      }
    }
    send_after(o_.period, self(), poll{});
    return noreply();
  }

 private:
  void emit(vm_measurement m, const node_statistics& s) const {
    switch (m) {
      case vm_measurement::memory: {
        const std::size_t processes = s.process_table_bytes;
        const std::size_t blocks = s.blocks.blocks_held;
        telemetry::execute({"vm", "memory"}, {{"total", processes + blocks + s.timer_bytes},
                                              {"processes", processes},
                                              {"blocks_in_use", s.blocks.blocks_in_use},
                                              {"blocks_held", blocks},
                                              {"timers", s.timer_bytes}});
        break;
      }
      case vm_measurement::total_run_queue_lengths:
        telemetry::execute({"vm", "total_run_queue_lengths"},
                           {{"total", s.run_queue}, {"cpu", s.run_queue}, {"io", 0}});
        break;
      case vm_measurement::system_counts:
        telemetry::execute({"vm", "system_counts"}, {{"process_count", s.process_count},
                                                     {"process_limit", s.process_limit},
                                                     {"timers", s.timers}});
        break;
      case vm_measurement::processes:
        telemetry::execute({"otp", "processes"},
                           {{"spawned", s.processes_spawned - last_.processes_spawned},
                            {"exited", s.processes_exited - last_.processes_exited},
                            {"messages_queued", s.messages_queued}});
        break;
    }
  }

  telemetry_poller_options o_;
  node_statistics last_;
};

task<started<server>> start_link(telemetry_poller_options o, start_options so) {
  return gen_server::start_link<server>(std::move(so), std::move(o));
}

task<std::size_t> custom_count(ref p) {
  co_return co_await call(std::move(p), server::custom_count_req{});
}

}  // namespace otp::telemetry_poller
