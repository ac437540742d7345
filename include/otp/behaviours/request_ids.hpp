// otp::request_id_collection: many outstanding gen_server requests, each
// with a label, answered in whatever order the servers reply (OTP 25's
// request-id collections).
//
// | function                                    | mirrors                               |
// |---------------------------------------------|---------------------------------------|
// | request_id_collection<R, L>{}               | gen_server:reqids_new/0               |
// | coll.add(id, label)                         | gen_server:reqids_add/3               |
// | coll.size(), coll.to_list()                 | gen_server:reqids_size/1, _to_list/1  |
// | send_request(ref, req, label, coll)         | gen_server:send_request/4             |
// | wait_response(coll, t, del)                 | gen_server:wait_response/3            |
// | receive_response(coll, t, del)              | gen_server:receive_response/3         |
// | check_response(msg, coll, del)              | gen_server:check_response/3           |
//
//   otp::request_id_collection<int> prices;                 // replies are ints
//   for (auto& [name, shop] : shops) otp::send_request(shop, shop::price{item}, name, prices);
//   while (!prices.empty()) {
//     auto r = co_await otp::receive_response(prices, 1000ms);
//     if (r.state == otp::response<int>::status::timeout) break;  // the rest abandoned
//     if (r.value) best = std::min(best, *r.value);             // r.label: which shop
//   }
//
// Every request in a collection has the same reply type R (the collection
// is typed); label L is any copyable value (a std::string by default).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "otp/behaviours/gen_server.hpp"
#include "otp/runtime/errors.hpp"

namespace otp {

/// A response from a collection, with the label its request was added with
/// (empty-constructed for timeout and no_request).
template <class R, class L>
struct labelled_response : response<R> {
  L label{};
};

/// Outstanding requests of reply type R, each with a label L.
/// @threadsafe Owner only (the process that sent the requests).
/// @mirrors the request_id_collection() of gen_server (OTP 25)
template <class R, class L = std::string>
class request_id_collection {
 public:
  /// Adds `id` with `label`. @throws otp::badarg when `id` is in the
  /// collection already. @mirrors gen_server:reqids_add/3
  void add(request_id<R> id, L label) {
    if (!entries_.try_emplace(id.mon.id(), std::move(id), std::move(label)).second)
      throw badarg("reqids_add: the request id is in the collection already");
  }
  /// @mirrors gen_server:reqids_size/1
  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  /// Every request and its label, in no particular order.
  /// @mirrors gen_server:reqids_to_list/1
  std::vector<std::pair<request_id<R>, L>> to_list() const {
    std::vector<std::pair<request_id<R>, L>> out;
    out.reserve(entries_.size());
    for (const auto& [tag, e] : entries_) out.push_back(e);
    return out;
  }

  /// Whether the request whose channel is `tag` is in the collection.
  bool has(ref tag) const noexcept { return entries_.count(tag.id()) != 0; }
  /// The labelled response for answer `o` to a request in the collection;
  /// finishes that request and removes it when `del`.
  labelled_response<R, L> finish(detail::reply_outcome<detail::stored_t<R>>&& o, bool del) {
    auto it = entries_.find(o.ref.id());
    labelled_response<R, L> out;
    detail::reply_channel(o.ref).close(o.monitor_gone);
    static_cast<response<R>&>(out) = detail::response_of<R>(std::move(o));
    out.label = it->second.second;
    if (del) entries_.erase(it);
    return out;
  }
  /// Abandons every request (late replies are dropped) and empties the collection.
  void abandon_all() noexcept {
    for (auto& [tag, e] : entries_) detail::reply_channel(e.first.mon).close();
    entries_.clear();
  }

 private:
  std::unordered_map<std::uint64_t, std::pair<request_id<R>, L>> entries_;
};

/// Sends `req` as send_request/2 does and adds the request to `coll` with
/// `label`. @mirrors gen_server:send_request/4
template <class S, class Req, class R, class L>
requires handles_call<S, std::remove_cvref_t<Req>>
void send_request(const server_ref<S>& s, Req&& req, L label, request_id_collection<R, L>& coll) {
  static_assert(std::is_same_v<reply_of<S, std::remove_cvref_t<Req>>, R>,
                "send_request: the request's reply type is not the collection's reply type");
  coll.add(send_request(s, std::forward<Req>(req)), std::move(label));
}

/// Waits up to `t` for the answer to any request in `coll` (keep `coll`
/// alive until the task has finished). On timeout every request stays
/// outstanding.
/// @param del remove the answered request from `coll` (OTP's Delete).
/// @returns the response and its request's label; status no_request at once
///   when `coll` is empty; status timeout after `t`.
/// @mirrors gen_server:wait_response/3
template <class R, class L>
task<labelled_response<R, L>> wait_response(request_id_collection<R, L>& coll, timeout t,
                                            bool del = true) {
  if (coll.empty()) {
    labelled_response<R, L> none;
    none.state = response<R>::status::no_request;
    co_return none;
  }
  auto o = co_await detail::receive_reply<detail::stored_t<R>>(
      [&coll](ref tag) { return coll.has(tag); }, t);
  if (o.how == decltype(o)::kind::timeout) co_return labelled_response<R, L>{};
  co_return coll.finish(std::move(o), del);
}

/// As wait_response, but a timeout abandons every request in `coll` (their
/// late replies are dropped) and empties it.
/// @mirrors gen_server:receive_response/3
template <class R, class L>
task<labelled_response<R, L>> receive_response(request_id_collection<R, L>& coll, timeout t,
                                               bool del = true) {
  labelled_response<R, L> out = co_await wait_response(coll, t, del);
  if (out.state == response<R>::status::timeout) coll.abandon_all();
  co_return out;
}

/// Whether message `m` answers a request in `coll`.
/// @returns the labelled response (status no_request when `coll` is
///   empty), or nullopt when `m` answers none of them (OTP's no_reply).
/// @mirrors gen_server:check_response/3
template <class R, class L>
std::optional<labelled_response<R, L>> check_response(any_message& m,
                                                      request_id_collection<R, L>& coll,
                                                      bool del = true) {
  if (coll.empty()) {
    labelled_response<R, L> none;
    none.state = response<R>::status::no_request;
    return none;
  }
  auto o = detail::reply_in<detail::stored_t<R>>(m, [&coll](ref tag) { return coll.has(tag); });
  if (!o) return std::nullopt;
  return coll.finish(std::move(*o), del);
}

}  // namespace otp
