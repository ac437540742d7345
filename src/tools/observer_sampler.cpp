// The observer's sampler: every process's counters once per interval, on a
// thread of its own (observer_parts.hpp, invariant 1), and the totals of the
// last samples for the charts, so a page opened later still sees them.
#include <algorithm>
#include <unordered_map>

#include "otp/runtime/any_message.hpp"
#include "otp/runtime/detail/thread_name.hpp"
#include "otp/runtime/errors.hpp"
#include "tools/observer_parts.hpp"

namespace otp::observer_detail {

namespace {
constexpr int kObsQuietSkips = 10;
}  // namespace

sampler::sampler(node& n, std::chrono::milliseconds every, std::size_t keep,
                 std::chrono::milliseconds per_process)
    : node_(n),
      every_(every),
      keep_(keep),
      per_process_(std::min(per_process, std::chrono::milliseconds(50))),
      latest_(std::make_shared<const node_sample>()) {
  thread_ = std::thread([this] {
    otp::detail::name_this_thread("otp-observer");
    run();
  });
  // A page opened right after the observer started sees the processes
  // (unless the first sample takes long: many processes not answering).
  std::unique_lock l(mu_);
  wake_.wait_for(l, std::chrono::seconds(2), [this] { return sampled_; });
}

sampler::~sampler() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::shared_ptr<const node_sample> sampler::latest() const {
  std::lock_guard l(mu_);
  return latest_;
}

json sampler::history() const {
  std::lock_guard l(mu_);
  json samples = json::array();
  for (std::size_t i = 0; i < ring_.size(); ++i)
    samples.push_back(ring_[(ring_start_ + i) % ring_.size()]);
  return {{"interval_ms", every_.count()}, {"samples", std::move(samples)}};
}

void sampler::run() {
  std::optional<otp::mailbox> mb;
  std::unique_lock l(mu_);
  while (!stopping_) {
    l.unlock();
    try {
      // A fresh mailbox when the last one was killed (from the page, say).
      if (!mb) mb.emplace(node_);
      take(*mb);
    } catch (const otp::exit_error&) {
      mb.reset();
    }
    l.lock();
    if (!sampled_) {
      sampled_ = true;
      wake_.notify_all();
    }
    wake_.wait_for(l, every_, [this] { return stopping_; });
  }
}

void sampler::take(otp::mailbox& mb) {
  auto s = std::make_shared<node_sample>();
  const std::shared_ptr<const node_sample> before = latest();
  std::unordered_map<std::uint64_t, const process_row*> prev;
  const auto key = [](pid p) { return (std::uint64_t{p.slot()} << 32) | p.serial(); };
  for (const process_row& r : before->rows) prev.emplace(key(r.p), &r);

  const std::vector<pid> all = node_.processes();
  s->rows.reserve(all.size());
  std::unordered_map<std::uint64_t, int> quiet;  // the pids to skip, for how many more samples
  for (pid p : all) {
    if (p == mb.self()) continue;
    // A process that did not answer (a thread mailbox waiting on something
    // else, most often) is asked again only every kObsQuietSkips samples, so it
    // does not cost a timeout each time.
    if (auto q = quiet_.find(key(p)); q != quiet_.end() && q->second > 0) {
      quiet.emplace(key(p), q->second - 1);
      ++s->not_answering;
      continue;
    }
    std::optional<otp::process_info> info = node_.process_info(p, timeout(per_process_));
    if (!info) {
      if (node_.is_alive(p)) {
        ++s->not_answering;
        quiet.emplace(key(p), kObsQuietSkips);
      }
      continue;
    }
    process_row row{p, std::move(*info)};
    if (auto it = prev.find(key(p)); it != prev.end()) {
      const otp::process_info& old = it->second->info;
      row.reductions_delta = row.info.reductions - std::min(row.info.reductions, old.reductions);
      row.memory_delta =
          static_cast<std::int64_t>(row.info.memory) - static_cast<std::int64_t>(old.memory);
      row.mailbox_delta = static_cast<std::int64_t>(row.info.message_queue_len) -
                          static_cast<std::int64_t>(old.message_queue_len);
    }
    s->memory += row.info.memory;
    s->rows.push_back(std::move(row));
  }
  quiet_ = std::move(quiet);
  // Answers that came after their timeout: drop them.
  while (mb.receive<otp::any_message>(timeout(0))) {
  }
  s->at = node_.now();
  s->stats = statistics(node_);
  const node_statistics& was = before->stats;
  double busy = 0;
  for (std::size_t i = 0; i < s->stats.scheduler_wall_time.size(); ++i) {
    s->utilisation.push_back(
        i < was.scheduler_wall_time.size()
            ? scheduler_utilisation(was.scheduler_wall_time[i], s->stats.scheduler_wall_time[i])
            : 0.0);
    busy += s->utilisation.back();
  }
  const auto span = s->at - before->at;
  if (before->at.count() > 0 && span.count() > 0)
    s->reductions_per_s = static_cast<double>(s->stats.reductions - was.reductions) * 1000.0 /
                          static_cast<double>(span.count());

  json point{{"t_ms", s->at.count()},
             {"processes", all.size()},
             {"memory_bytes", s->memory},
             {"run_queue", s->stats.run_queue},
             {"messages_queued", s->stats.messages_queued},
             {"scheduler_utilisation",
              s->utilisation.empty() ? 0.0 : busy / static_cast<double>(s->utilisation.size())}};
  std::lock_guard l(mu_);
  latest_ = std::move(s);
  if (ring_.size() < keep_) {
    ring_.push_back(std::move(point));
  } else {
    ring_[ring_start_] = std::move(point);
    ring_start_ = (ring_start_ + 1) % ring_.size();
  }
}

}  // namespace otp::observer_detail
