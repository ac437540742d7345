// The table workloads (issue 16), the same as bench/peers/erlang/bench_ets.erl:
// N = 1,000,000 objects (int64 key, int64 value), keys in the scattered
// order key(i) = i * 611953 mod N. Table calls are made by processes; a
// single-process workload is timed from just before its first call to just
// after its last, a parallel one from releasing all workers (each waits in
// receive) until the last has reported.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "otp/otp.hpp"
#include "workloads.hpp"

namespace otp_bench {
namespace {

using key_t = std::int64_t;
using set_table = otp::table<key_t, key_t>;
using ordered_table = otp::table<key_t, key_t, otp::table_type::ordered_set>;

constexpr key_t kN = 1'000'000;
constexpr key_t kStride = 611953;
constexpr int kWorkers = 2;
constexpr key_t kCounters = 16;

key_t key(key_t i) { return i * kStride % kN; }
key_t offset(int p) { return p * kN / 2; }

struct go {};
struct finished {
  double ns;
};

/// Runs `job` in a process and returns its ns (the process times itself).
double in_process(otp::node& node, otp::mailbox& me, std::function<void()> job) {
  node.spawn(
      [](otp::pid to, std::function<void()> f) -> otp::proc {
        const auto t0 = clock::now();
        f();
        otp::send(to, finished{ns_since(t0, clock::now())});
        co_return;
      },
      me.self(), std::move(job));
  return me.receive<finished>().ns;
}

/// Runs each job in a process of its own, released together; returns the
/// ns from the release until the last one reported.
double in_parallel(otp::node& node, otp::mailbox& me, std::vector<std::function<void()>> jobs) {
  std::vector<otp::pid> workers;
  for (auto& j : jobs)
    workers.push_back(node.spawn(
        [](otp::pid to, std::function<void()> f) -> otp::proc {
          otp::send(to, otp::self());
          co_await otp::receive([](go) {});
          f();
          otp::send(to, finished{0});
        },
        me.self(), std::move(j)));
  for (std::size_t i = 0; i < workers.size(); ++i) (void)me.receive<otp::pid>();
  const auto t0 = clock::now();
  for (otp::pid w : workers) otp::send(w, go{});
  for (std::size_t i = 0; i < workers.size(); ++i) (void)me.receive<finished>();
  return ns_since(t0, clock::now());
}

template <class Table>
void fill(Table& t) {
  for (key_t k = 0; k < kN; ++k) t.insert(k, k);
}

double per_s(double ops, double ns) { return ops / (ns / 1e9); }

}  // namespace

void ets_insert(const options& o) {
  otp::node node(node_opts(o));
  otp::mailbox me(node);
  auto t = set_table::create({.access = otp::table_access::public_});
  const double ns = in_process(node, me, [&] {
    for (key_t i = 0; i < kN; ++i) t.insert(key(i), key(i));
  });
  if (t.info()->size != static_cast<std::size_t>(kN)) fail("ets_insert", "size is not N");
  std::printf(
      "RESULT system=otp workload=ets_insert run=%u schedulers=%u objects=%lld "
      "inserts_per_s=%.0f\n",
      o.run, o.schedulers, static_cast<long long>(kN), per_s(kN, ns));
}

void ets_lookup(const options& o) {
  otp::node node(node_opts(o));
  otp::mailbox me(node);
  auto t = set_table::create();
  fill(t);
  const double ns = in_process(node, me, [&] {
    for (key_t i = 0; i < kN; ++i)
      if (!t.lookup(key(i))) fail("ets_lookup", "a key is missing");
  });
  std::printf(
      "RESULT system=otp workload=ets_lookup run=%u schedulers=%u objects=%lld "
      "lookups_per_s=%.0f\n",
      o.run, o.schedulers, static_cast<long long>(kN), per_s(kN, ns));
}

void ets_lookup_par(const options& o) {
  otp::node node(node_opts(o));
  otp::mailbox me(node);
  auto t = set_table::create({.access = otp::table_access::public_, .read_concurrency = true});
  fill(t);
  std::vector<std::function<void()>> jobs;
  for (int p = 0; p < kWorkers; ++p)
    jobs.emplace_back([&t, p] {
      for (key_t i = 0; i < kN; ++i)
        if (!t.lookup(key((i + offset(p)) % kN))) fail("ets_lookup_par", "a key is missing");
    });
  const double ns = in_parallel(node, me, std::move(jobs));
  std::printf(
      "RESULT system=otp workload=ets_lookup_par run=%u schedulers=%u workers=%d lookups_each=%lld "
      "lookups_per_s=%.0f\n",
      o.run, o.schedulers, kWorkers, static_cast<long long>(kN), per_s(kWorkers * kN, ns));
}

void ets_mixed_par(const options& o) {
  otp::node node(node_opts(o));
  otp::mailbox me(node);
  auto t = set_table::create(
      {.access = otp::table_access::public_, .read_concurrency = true, .write_concurrency = true});
  fill(t);
  std::vector<std::function<void()>> jobs;
  for (int p = 0; p < kWorkers; ++p)
    jobs.emplace_back([&t, p] {
      for (key_t j = 0; j < kN; ++j) {
        const key_t i = (j + offset(p)) % kN;
        if (i % 10 == 0)
          t.insert(key(i), i);
        else if (!t.lookup(key(i)))
          fail("ets_mixed_par", "a key is missing");
      }
    });
  const double ns = in_parallel(node, me, std::move(jobs));
  if (t.info()->size != static_cast<std::size_t>(kN)) fail("ets_mixed_par", "size is not N");
  std::printf(
      "RESULT system=otp workload=ets_mixed_par run=%u schedulers=%u workers=%d ops_each=%lld "
      "ops_per_s=%.0f\n",
      o.run, o.schedulers, kWorkers, static_cast<long long>(kN), per_s(kWorkers * kN, ns));
}

void ets_counter_par(const options& o) {
  otp::node node(node_opts(o));
  otp::mailbox me(node);
  auto t = set_table::create({.access = otp::table_access::public_, .write_concurrency = true});
  for (key_t c = 0; c < kCounters; ++c) t.insert(c, 0);
  std::vector<std::function<void()>> jobs;
  for (int p = 0; p < kWorkers; ++p)
    jobs.emplace_back([&t] {
      for (key_t i = 0; i < kN; ++i) t.update_counter(i % kCounters, 1);
    });
  const double ns = in_parallel(node, me, std::move(jobs));
  const key_t sum =
      t.foldl([](key_t acc, const key_t&, const key_t& v) { return acc + v; }, key_t{0});
  if (sum != kWorkers * kN) fail("ets_counter_par", "the counters do not sum to 2N");
  std::printf(
      "RESULT system=otp workload=ets_counter_par run=%u schedulers=%u workers=%d counters=%lld "
      "ops_each=%lld ops_per_s=%.0f\n",
      o.run, o.schedulers, kWorkers, static_cast<long long>(kCounters), static_cast<long long>(kN),
      per_s(kWorkers * kN, ns));
}

namespace {
double ordered_writers(otp::node& node, otp::mailbox& me, int writers) {
  auto t = ordered_table::create({.access = otp::table_access::public_, .write_concurrency = true});
  std::vector<std::function<void()>> jobs;
  for (int w = 0; w < writers; ++w)
    jobs.emplace_back([&t, w, writers] {
      for (key_t i = w; i < kN; i += writers) t.insert(key(i), i);
    });
  const double ns = in_parallel(node, me, std::move(jobs));
  if (t.info()->size != static_cast<std::size_t>(kN)) fail("ets_ordered", "size is not N");
  t.erase_table();
  return per_s(kN, ns);
}
}  // namespace

void ets_ordered(const options& o) {
  otp::node node(node_opts(o));
  otp::mailbox me(node);
  auto t = ordered_table::create({.access = otp::table_access::public_});
  const double insert_ns = in_process(node, me, [&] {
    for (key_t i = 0; i < kN; ++i) t.insert(key(i), i);
  });
  key_t walked = 0;
  const double walk_ns = in_process(node, me, [&] {
    for (auto k = t.first(); k; k = t.next(*k)) ++walked;
  });
  if (walked != kN) fail("ets_ordered", "the walk did not see N keys");
  t.erase_table();
  const double w2 = ordered_writers(node, me, 2);
  const double w4 = ordered_writers(node, me, 4);
  std::printf(
      "RESULT system=otp workload=ets_ordered run=%u schedulers=%u objects=%lld inserts_per_s=%.0f "
      "walk_keys_per_s=%.0f inserts_per_s_2w=%.0f inserts_per_s_4w=%.0f\n",
      o.run, o.schedulers, static_cast<long long>(kN), per_s(kN, insert_ns), per_s(walked, walk_ns),
      w2, w4);
}

void ets_select(const options& o) {
  otp::node node(node_opts(o));
  otp::mailbox me(node);
  auto t = ordered_table::create();
  fill(t);
  constexpr int kRepeats = 5;
  constexpr key_t lo = 500000, hi = 510000;
  double total_ns = 0;
  for (int r = 0; r < kRepeats; ++r) {
    const auto t0 = clock::now();
    auto page = t.select_range(
        lo, hi, [](const key_t&, const key_t&) { return true; }, static_cast<std::size_t>(kN));
    total_ns += ns_since(t0, clock::now());
    if (page.objects.size() != static_cast<std::size_t>(hi - lo))
      fail("ets_select", "wrong match count");
  }
  std::printf(
      "RESULT system=otp workload=ets_select run=%u schedulers=%u objects=%lld repeats=%d "
      "matched=%lld select_ms=%.3f\n",
      o.run, o.schedulers, static_cast<long long>(kN), kRepeats, static_cast<long long>(hi - lo),
      total_ns / kRepeats / 1e6);
}

void ets_bytes(const options& o) {
  otp::node node(node_opts(o));
  otp::mailbox me(node);
  auto t = set_table::create();
  fill(t);
  std::printf(
      "RESULT system=otp workload=ets_bytes run=%u schedulers=%u objects=%lld "
      "bytes_per_object=%.1f\n",
      o.run, o.schedulers, static_cast<long long>(kN),
      static_cast<double>(t.info()->memory) / static_cast<double>(kN));
}

}  // namespace otp_bench
