// lint.clang_tidy.fail: an implicit single-argument constructor without a
// NOLINT must be reported, or the lint would pass whatever it checks.
struct meters {
  meters(double v) : value(v) {}
  double value;
};
