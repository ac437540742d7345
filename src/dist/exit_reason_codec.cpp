// otp::exit_reason as an Erlang term and back.
#include <cctype>
#include <memory>

#include "otp/dist/term_codec.hpp"

namespace otp {

namespace {

/// True when `s` prints as an unquoted atom (so it is sent as one).
bool reads_as_atom(std::string_view s) {
  if (s.empty() || s.size() > 255 || std::islower(static_cast<unsigned char>(s[0])) == 0)
    return false;
  for (char c : s)
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_' && c != '@') return false;
  return true;
}

term text_term(std::string_view s) {
  return reads_as_atom(s) ? term::atom(std::string(s)) : term::binary(s);
}

/// The text of a {shutdown, Detail}'s Detail.
std::string detail_text(const term& d) {
  if (const auto* a = d.get_if<atom_value>()) return a->name;
  if (const auto* b = d.get_if<binary_value>(); b != nullptr && b->bits == 8)
    return {b->bytes.begin(), b->bytes.end()};
  return d.to_string();
}

}  // namespace

term term_codec<exit_reason>::to(const exit_reason& r) {
  using k = exit_reason::kind;
  if (const term* t = r.erlang_term()) return *t;
  switch (r.get_kind()) {
    case k::normal:
      return term::atom("normal");
    case k::shutdown:
      return r.detail().empty() ? term::atom("shutdown")
                                : term::tuple({term::atom("shutdown"), text_term(r.detail())});
    case k::kill:
      return term::atom("kill");
    case k::killed:
      return term::atom("killed");
    case k::noproc:
      return term::atom("noproc");
    case k::noconnection:
      return term::atom("noconnection");
    case k::timeout:
      return term::atom("timeout");
    case k::mailbox_overflow:
      return term::atom("mailbox_overflow");
    case k::calling_self:
      return term::atom("calling_self");
    case k::exception: {
      const exception_info* e = r.exception();
      return term::tuple({term::atom("exception"), term::binary(e->type), term::binary(e->what)});
    }
    case k::other:
      break;
  }
  return text_term(r.detail());
}

exit_reason term_codec<exit_reason>::from(const term& t) {
  if (const auto* a = t.get_if<atom_value>()) {
    const std::string& n = a->name;
    if (n == "normal") return exit_reason::normal();
    if (n == "shutdown") return exit_reason::shutdown();
    if (n == "kill") return exit_reason::kill();
    if (n == "killed") return exit_reason::killed();
    if (n == "noproc") return exit_reason::noproc();
    if (n == "noconnection") return exit_reason::noconnection();
    if (n == "timeout") return exit_reason::timeout();
    if (n == "mailbox_overflow") return exit_reason::mailbox_overflow();
    if (n == "calling_self") return exit_reason::calling_self();
  }
  auto kept = std::make_shared<const term>(t);
  if (const auto* tup = t.get_if<tuple_value>();
      tup != nullptr && tup->items.size() == 2 && tup->items[0].is_atom("shutdown"))
    return exit_reason::of_term(exit_reason::kind::shutdown, detail_text(tup->items[1]),
                                std::move(kept));
  return exit_reason::of_term(exit_reason::kind::other, t.to_string(), std::move(kept));
}

}  // namespace otp
