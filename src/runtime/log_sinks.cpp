// The built-in handlers: console, rotating file, JSON lines and callback.
// The text is made outside any lock; spdlog's _mt sinks lock around the
// write only.
#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <string>
#include <utility>

#include "otp/runtime/errors.hpp"
#include "otp/runtime/logger_handler.hpp"

namespace otp::logger {

namespace {

// The mapping documented at log_level.
spdlog::level::level_enum to_spdlog(log_level l) noexcept {
  switch (l) {
    case log_level::none:
      return spdlog::level::off;
    case log_level::emergency:
    case log_level::alert:
    case log_level::critical:
      return spdlog::level::critical;
    case log_level::error:
      return spdlog::level::err;
    case log_level::warning:
      return spdlog::level::warn;
    case log_level::notice:
    case log_level::info:
      return spdlog::level::info;
    case log_level::debug:
      return spdlog::level::debug;
    case log_level::all:
      return spdlog::level::trace;
  }
  return spdlog::level::info;
}

using format_fn = std::string (*)(const log_event&);

// Writes the text `format` makes of each event, one line each, to an spdlog
// sink whose pattern is the bare message. Files are flushed after events
// at error level and above (and at flush()).
class sink_handler final : public handler {
 public:
  sink_handler(std::shared_ptr<spdlog::sinks::sink> sink, format_fn format, bool flush_on_error)
      : sink_(std::move(sink)), format_(format), flush_on_error_(flush_on_error) {
    sink_->set_formatter(std::make_unique<spdlog::pattern_formatter>("%v"));
  }
  void log(const log_event& ev) override {
    const std::string text = format_(ev);
    sink_->log(spdlog::details::log_msg(spdlog::source_loc{}, "otp", to_spdlog(ev.level),
                                        spdlog::string_view_t(text.data(), text.size())));
    if (flush_on_error_ && passes(ev.level, log_level::error)) sink_->flush();
  }
  void flush() override { sink_->flush(); }

 private:
  std::shared_ptr<spdlog::sinks::sink> sink_;
  format_fn format_;
  bool flush_on_error_;
};

class callback final : public handler {
 public:
  explicit callback(std::function<void(const log_event&)> f) : f_(std::move(f)) {}
  void log(const log_event& ev) override { f_(ev); }

 private:
  std::function<void(const log_event&)> f_;
};

template <class Make>
std::shared_ptr<spdlog::sinks::sink> open_sink(const std::string& path, Make make) {
  try {
    return make();
  } catch (const spdlog::spdlog_ex& e) {
    throw badarg("logger: cannot open log file \"" + path + "\": " + e.what());
  }
}

}  // namespace

std::shared_ptr<handler> console_handler() {
  return std::make_shared<sink_handler>(std::make_shared<spdlog::sinks::stderr_sink_mt>(),
                                        &format_console, false);
}

std::shared_ptr<handler> file_handler(const std::string& path, std::size_t max_bytes,
                                      std::size_t max_files) {
  if (max_bytes == 0) throw badarg("logger: file_handler \"" + path + "\": max_bytes is 0");
  auto sink = open_sink(path, [&] {
    return std::make_shared<spdlog::sinks::rotating_file_sink_mt>(path, max_bytes, max_files);
  });
  return std::make_shared<sink_handler>(std::move(sink), &format_console, true);
}

std::shared_ptr<handler> json_handler(const std::string& path) {
  if (path.empty())
    return std::make_shared<sink_handler>(std::make_shared<spdlog::sinks::stderr_sink_mt>(),
                                          &format_json, false);
  auto sink =
      open_sink(path, [&] { return std::make_shared<spdlog::sinks::basic_file_sink_mt>(path); });
  return std::make_shared<sink_handler>(std::move(sink), &format_json, true);
}

std::shared_ptr<handler> callback_handler(std::function<void(const log_event&)> f) {
  if (!f) throw badarg("logger: callback_handler needs a function");
  return std::make_shared<callback>(std::move(f));
}

}  // namespace otp::logger
