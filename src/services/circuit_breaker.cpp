// circuit_breaker: one mutex around the state; events delivered in order.
//
// Invariants:
//  1. `mu` guards every field but `ev_mu`. `failures` holds the times of the
//     failures within the window, oldest first, and is only kept in closed.
//  2. At most one probe is out: `probe_out` is set when half_open grants the
//     probe and cleared by its report (or by reset()).
//  3. State changes are queued in `events` under `mu`, in the order they
//     happen, and delivered by emit() under the recursive `ev_mu`, so the
//     callback sees them in order, never holds `mu`, and may call back into
//     the breaker.
//  4. The state is shared with granted permits, which may outlive the
//     circuit_breaker object; once it is destroyed (`gone`) reports are ignored.
#include "otp/services/circuit_breaker.hpp"

#include <deque>
#include <mutex>
#include <utility>

#include "otp/runtime/errors.hpp"
#include "otp/runtime/telemetry.hpp"

namespace otp {

std::string_view to_string(circuit_state s) noexcept {
  switch (s) {
    case circuit_state::closed:
      return "closed";
    case circuit_state::open:
      return "open";
    case circuit_state::half_open:
      return "half_open";
  }
  return "unknown";
}

circuit_open_error::circuit_open_error(const std::string& name,
                                       std::chrono::milliseconds retry_after)
    : std::runtime_error("circuit_open: " + name + " (retry after " +
                         std::to_string(retry_after.count()) + " ms)"),
      retry_after_(retry_after) {}

// --- state ------------------------------------------------------------------

namespace detail {

struct circuit_breaker_state {
  circuit_breaker_options o;
  std::mutex mu;
  circuit_state state = circuit_state::closed;
  std::deque<std::chrono::milliseconds> failures;
  std::chrono::milliseconds opened_at{0};
  bool probe_out = false;
  std::deque<circuit_event> events;
  std::recursive_mutex ev_mu;
  bool gone = false;  // the circuit_breaker object was destroyed

  std::chrono::milliseconds now() const { return o.now(); }

  void forget_old(std::chrono::milliseconds t) {
    while (!failures.empty() && t - failures.front() >= o.window) failures.pop_front();
  }

  /// Writes the state to the store, if any. A store that refuses (deleted,
  /// or not writable by this caller) leaves the breaker working in memory.
  void persist() noexcept {
    if (!o.store) return;
    try {
      o.store->insert(o.name, circuit_record{state, {failures.begin(), failures.end()}, opened_at});
    } catch (const std::exception&) {
      o.store.reset();
    }
  }

  /// Takes the state the store holds for this name, if any.
  void restore() {
    if (!o.store) return;
    if (auto r = o.store->lookup(o.name)) {
      state = r->state;
      failures.assign(r->failures.begin(), r->failures.end());
      opened_at = r->opened_at;
    }
  }

  void move_to(circuit_state to, std::chrono::milliseconds t) {
    if (to == state) return;
    events.push_back(circuit_event{o.name, state, to, t, failures.size()});
    state = to;
    if (to == circuit_state::open) opened_at = t;
    if (to != circuit_state::closed) failures.clear();
    if (to != circuit_state::half_open) probe_out = false;
    persist();
  }

  /// Open for reset_timeout: turn half open (under mu).
  void heal_if_due(std::chrono::milliseconds t) {
    if (state == circuit_state::open && t - opened_at >= o.reset_timeout)
      move_to(circuit_state::half_open, t);
  }

  /// Delivers queued events in order (invariant 3). Call without mu.
  void emit() {
    std::lock_guard e(ev_mu);
    for (;;) {
      circuit_event ev;
      {
        std::lock_guard l(mu);
        if (events.empty()) return;
        ev = std::move(events.front());
        events.pop_front();
      }
      telemetry::execute({"otp", "circuit_breaker", "state_change"}, {{"failures", ev.failures}},
                         {{"name", std::string_view(ev.name)},
                          {"from", to_string(ev.from)},
                          {"to", to_string(ev.to)}});
      if (o.on_state_change) o.on_state_change(ev);
    }
  }

  /// A permit's outcome, or a melt (probe false). Ignored once `gone`.
  void report(bool ok, bool probe) {
    {
      std::lock_guard l(mu);
      if (gone) return;
      const auto t = now();
      if (probe && probe_out && state == circuit_state::half_open) {
        move_to(ok ? circuit_state::closed : circuit_state::open, t);
      } else if (!ok && state == circuit_state::closed) {
        // Outcomes of calls let through before the circuit opened, reported
        // after, do not move it: the probe decides.
        forget_old(t);
        failures.push_back(t);
        if (failures.size() >= o.max_failures)
          move_to(circuit_state::open, t);
        else
          persist();
      }
    }
    emit();
  }
};

}  // namespace detail

// --- circuit_permit -----------------------------------------------------------

circuit_permit::circuit_permit(circuit_permit&& o) noexcept
    : owner_(std::move(o.owner_)), probe_(o.probe_), retry_after_(o.retry_after_) {}

circuit_permit& circuit_permit::operator=(circuit_permit&& o) noexcept {
  if (this != &o) {
    if (owner_ != nullptr) report(false);
    owner_ = std::move(o.owner_);
    probe_ = o.probe_;
    retry_after_ = o.retry_after_;
  }
  return *this;
}

circuit_permit::~circuit_permit() {
  if (owner_ != nullptr) report(false);
}

void circuit_permit::success() { report(true); }
void circuit_permit::failure() { report(false); }

void circuit_permit::report(bool ok) {
  if (const auto s = std::exchange(owner_, nullptr)) s->report(ok, probe_);
}

// --- circuit_breaker ----------------------------------------------------------

circuit_breaker::circuit_breaker(circuit_breaker_options o)
    : s_(std::make_shared<detail::circuit_breaker_state>()) {
  if (o.max_failures < 1) throw badarg("circuit_breaker " + o.name + ": max_failures must be >= 1");
  if (o.window.count() <= 0) throw badarg("circuit_breaker " + o.name + ": window must be > 0 ms");
  if (o.reset_timeout.count() <= 0)
    throw badarg("circuit_breaker " + o.name + ": reset_timeout must be > 0 ms");
  if (!o.now)
    o.now = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now().time_since_epoch());
    };
  s_->o = std::move(o);
  s_->restore();
}

circuit_breaker::~circuit_breaker() {
  std::lock_guard l(s_->mu);
  s_->gone = true;
}

const std::string& circuit_breaker::name() const noexcept { return s_->o.name; }

circuit_permit circuit_breaker::ask() {
  circuit_permit p;
  {
    std::lock_guard l(s_->mu);
    const auto t = s_->now();
    s_->heal_if_due(t);
    switch (s_->state) {
      case circuit_state::closed:
        p = circuit_permit(s_, false, {});
        break;
      case circuit_state::half_open:
        if (!s_->probe_out) {
          s_->probe_out = true;
          p = circuit_permit(s_, true, {});
        }
        break;
      case circuit_state::open:
        p = circuit_permit(nullptr, false, s_->opened_at + s_->o.reset_timeout - t);
        break;
    }
  }
  s_->emit();
  return p;
}

void circuit_breaker::melt() { s_->report(false, false); }

circuit_state circuit_breaker::state() const {
  std::lock_guard l(s_->mu);
  if (s_->state == circuit_state::open && s_->now() - s_->opened_at >= s_->o.reset_timeout)
    return circuit_state::half_open;
  return s_->state;
}

std::size_t circuit_breaker::failures() const {
  std::lock_guard l(s_->mu);
  s_->forget_old(s_->now());
  return s_->failures.size();
}

void circuit_breaker::reset() {
  {
    std::lock_guard l(s_->mu);
    s_->move_to(circuit_state::closed, s_->now());
    s_->failures.clear();
    s_->persist();
  }
  s_->emit();
}

}  // namespace otp
