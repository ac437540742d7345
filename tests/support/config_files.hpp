// For the otp::config tests: a temporary directory for config files, the
// error a load throws, and the schema of the order system the tests share.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>  // mkdtemp

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "otp/services/config.hpp"

namespace otp_test {

// A fresh directory, removed with everything in it at the end of the test.
class config_dir {
 public:
  config_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "otp_config_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    dir_ = tmpl;
  }
  ~config_dir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  config_dir(const config_dir&) = delete;
  config_dir& operator=(const config_dir&) = delete;

  // Writes `text` to the file `name` of the directory; returns its path.
  std::filesystem::path write(std::string_view name, std::string_view text) const {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }
  const std::filesystem::path& path() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

// The what() of the config_error that load(known, s) throws; "" (and a
// test failure) when it throws none.
inline std::string load_error(const std::vector<otp::config::app_schema>& known,
                              const otp::config::sources& s) {
  try {
    (void)otp::config::load(known, s);
  } catch (const otp::config::config_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a config_error";
  return "";
}

// order_system's defaults: a port, a table, an array, a float and a null.
inline otp::config::app_schema order_system_schema(bool declared_keys_only = false) {
  return {.name = "order_system",
          .defaults = {{"port", 4000},
                       {"repo", {{"pool_size", 4}, {"url", "sqlite:orders.db"}}},
                       {"tags", {"a", "b"}},
                       {"timeout_s", 1.5},
                       {"extra", nullptr}},
          .declared_keys_only = declared_keys_only};
}

}  // namespace otp_test
