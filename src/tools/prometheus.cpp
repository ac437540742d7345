// otp::prometheus_exporter (otp/tools/prometheus.hpp): telemetry handlers
// that feed prometheus-cpp metrics, and the scrape.
//
// Invariants:
//  1. The handlers capture a shared_ptr to the state they write (`shared`),
//     and telemetry keeps a handler alive while it runs, so a handler still
//     running on another thread when the exporter is destroyed writes to
//     live state.
//  2. A metric's series map (tag values -> prometheus-cpp metric) only
//     grows; it is read under `mu` shared and grown under it exclusive. prometheus-cpp's metrics
//     are thread-safe; their addresses are stable while their family lives.
//  3. A handler never throws (telemetry would detach it): what it cannot
//     record it counts as dropped.
#include "otp/tools/prometheus.hpp"

#include <prometheus/check_names.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <variant>

#include "otp/runtime/detail/store_lock.hpp"
#include "otp/runtime/errors.hpp"
#include "tools/vm_metrics.hpp"

namespace otp {

namespace {

namespace pm = prometheus;
using metrics::kind;

std::atomic<std::uint64_t> g_exporters{0};  // numbers the handler ids
constexpr const char* kDropped = "otp_metrics_dropped_events_total";

std::string exported_name(const metrics::definition& d) {
  std::string name = d.name;
  for (char& c : name)
    if (c == '.') c = '_';
  auto add_suffix = [&name](std::string_view suffix) {
    if (name.size() < suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      name += suffix;
  };
  if (d.unit.to != metrics::unit::none)
    add_suffix("_" + std::string(metrics::to_string(d.unit.to)));
  if (d.kind == kind::counter || d.kind == kind::sum) add_suffix("_total");
  if (!pm::CheckMetricName(name))
    throw badarg("prometheus_exporter: '" + d.name + "' gives the invalid metric name '" + name +
                 "'");
  return name;
}

std::string help_of(const metrics::definition& d) {
  if (!d.description.empty()) return d.description;
  std::string event;
  for (const std::string& s : d.event_name) event += (event.empty() ? "" : ".") + s;
  static constexpr const char* kWhat[] = {"Count", "Sum", "Latest value", "Summary",
                                          "Distribution"};
  std::string h = kWhat[static_cast<int>(d.kind)];
  if (d.kind != kind::counter)
    h += " of the measurement " + (d.measure ? "(computed)" : d.measurement);
  h += " of the telemetry events " + event;
  if (d.unit.to != metrics::unit::none) h += ", in " + std::string(metrics::to_string(d.unit.to));
  return h + ".";
}

// One definition and what aggregates it.
struct tracked {
  metrics::definition def;
  std::string name;
  std::variant<pm::Family<pm::Counter>*, pm::Family<pm::Gauge>*, pm::Family<pm::Histogram>*,
               pm::Family<pm::Summary>*>
      family;
  pm::Counter* dropped = nullptr;
  detail::store_lock mu{true};  // readers on per-thread cache lines
  std::unordered_map<std::string, void*> series;

  // The series for `tags` (its key `key`), made on first use.
  void* series_for(const std::string& key, const std::vector<std::string>& tags) {
    {
      detail::store_guard lk(mu, false);
      if (auto it = series.find(key); it != series.end()) return it->second;
    }
    detail::store_guard lk(mu, true);
    if (auto it = series.find(key); it != series.end()) return it->second;
    pm::Labels labels;
    for (std::size_t i = 0; i < tags.size(); ++i) labels.emplace(def.tags[i], tags[i]);
    void* made = std::visit(
        [&](auto* f) -> void* {
          using F = std::remove_pointer_t<decltype(f)>;
          if constexpr (std::is_same_v<F, pm::Family<pm::Histogram>>)
            return &f->Add(labels, pm::Histogram::BucketBoundaries(def.buckets));
          else if constexpr (std::is_same_v<F, pm::Family<pm::Summary>>) {
            pm::Summary::Quantiles q;
            for (double x : def.quantiles) q.emplace_back(x, 0.01);
            return &f->Add(labels, q);
          } else
            return &f->Add(labels);
        },
        family);
    series.emplace(key, made);
    return made;
  }

  void record(const telemetry::event& e) noexcept {
    try {
      if (def.keep && !def.keep(e)) return;
      const std::optional<double> v = metrics::measure(def, e);
      thread_local std::vector<std::string> tags;
      if (!v || (def.kind == kind::sum && *v < 0) || !metrics::tag_values(def, e, tags)) {
        dropped->Increment();
        return;
      }
      thread_local std::string key;
      key.clear();
      for (const std::string& t : tags) {  // length-prefixed: any bytes may appear in a value
        const auto size = static_cast<std::uint32_t>(t.size());
        key.append(reinterpret_cast<const char*>(&size), sizeof size);
        key += t;
      }
      void* s = series_for(key, tags);
      switch (def.kind) {
        case kind::counter:
        case kind::sum:
          static_cast<pm::Counter*>(s)->Increment(*v);
          break;
        case kind::last_value:
          static_cast<pm::Gauge*>(s)->Set(*v);
          break;
        case kind::distribution:
          static_cast<pm::Histogram*>(s)->Observe(*v);
          break;
        case kind::summary:
          static_cast<pm::Summary*>(s)->Observe(*v);
          break;
      }
    } catch (...) {  // out of memory, or a throwing keep/measure/tag_values
      dropped->Increment();
    }
  }
};

}  // namespace

struct prometheus_exporter::impl {
  struct shared_state {
    pm::Registry registry;
    std::vector<std::unique_ptr<tracked>> metrics;
  };
  std::shared_ptr<shared_state> shared = std::make_shared<shared_state>();
  std::vector<std::string> handler_ids;
  std::unique_ptr<tools_detail::vm_metrics> vm;
};

prometheus_exporter::prometheus_exporter(const node& n,
                                         std::vector<metrics::definition> definitions,
                                         prometheus_options o)
    : impl_(std::make_unique<impl>()) {
  auto& st = *impl_->shared;
  auto& dropped = pm::BuildCounter()
                      .Name(kDropped)
                      .Help("Events a metric could not record (a tag or the measurement missing).")
                      .Register(st.registry);
  std::set<std::string> names;
  for (metrics::definition& d : definitions) {
    auto t = std::make_unique<tracked>();
    t->name = exported_name(d);
    if (!names.insert(t->name).second || t->name.rfind("otp_vm_", 0) == 0 || t->name == kDropped)
      throw badarg("prometheus_exporter: the metric name '" + t->name + "' is taken");
    const std::string help = help_of(d);
    switch (d.kind) {
      case kind::counter:
      case kind::sum:
        t->family = &pm::BuildCounter().Name(t->name).Help(help).Register(st.registry);
        break;
      case kind::last_value:
        t->family = &pm::BuildGauge().Name(t->name).Help(help).Register(st.registry);
        break;
      case kind::distribution:
        t->family = &pm::BuildHistogram().Name(t->name).Help(help).Register(st.registry);
        break;
      case kind::summary:
        t->family = &pm::BuildSummary().Name(t->name).Help(help).Register(st.registry);
        break;
    }
    t->dropped = &dropped.Add({{"metric", t->name}});
    t->def = std::move(d);
    st.metrics.push_back(std::move(t));
  }
  if (o.vm_metrics) impl_->vm = std::make_unique<tools_detail::vm_metrics>(n);
  // One handler per event, recording every metric that follows it.
  std::map<std::vector<std::string>, std::vector<tracked*>> by_event;
  for (auto& t : st.metrics) by_event[t->def.event_name].push_back(t.get());
  const std::string prefix =
      "otp.prometheus_exporter." + std::to_string(g_exporters.fetch_add(1)) + ".";
  try {
    for (auto& [event, ts] : by_event) {
      std::string id = prefix;
      for (const std::string& s : event) id += s + ".";
      if (!telemetry::attach(id, event, [keep = impl_->shared, ts = ts](const telemetry::event& e) {
            for (tracked* t : ts) t->record(e);
          }))
        throw badarg("prometheus_exporter: the handler id '" + id + "' is taken");
      impl_->handler_ids.push_back(std::move(id));
    }
  } catch (...) {
    for (const std::string& id : impl_->handler_ids) telemetry::detach(id);
    throw;
  }
}

prometheus_exporter::~prometheus_exporter() {
  for (const std::string& id : impl_->handler_ids) telemetry::detach(id);
}

std::string prometheus_exporter::scrape() const {
  std::vector<pm::MetricFamily> families = impl_->shared->registry.Collect();
  if (impl_->vm) {
    std::vector<pm::MetricFamily> vm = impl_->vm->collect();
    families.insert(families.end(), std::make_move_iterator(vm.begin()),
                    std::make_move_iterator(vm.end()));
  }
  std::ostringstream out;
  pm::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace otp
