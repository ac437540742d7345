%% The ETS workloads of the Erlang peer (bench_peer dispatches ets_* here):
%% ets calls made by ordinary processes, timed with erlang:monotonic_time
%% from just before the first op to just after the last one. A parallel
%% workload spawns its workers, waits until each sits in receive, then
%% times from releasing them all (one `go` each) until all have reported.
%%
%% N = 1,000,000 objects {Key, Value} with integer keys. "Scattered order"
%% is key(I) = (I * 611953) rem N for I in 0..N-1, a permutation of 0..N-1
%% (611953 is odd and not a multiple of 5, so coprime with N; consecutive
%% keys land far apart, so ordered_set inserts are not near-sequential).
-module(bench_ets).
-export([workloads/0, workload/2]).

-define(N, 1000000).
-define(STRIDE, 611953).
-define(WORKERS, 2).
-define(COUNTERS, 16).
-define(SELECT_REPEATS, 5).
-define(SELECT_LO, 500000).
-define(SELECT_HI, 510000).

workloads() ->
    [ets_insert, ets_lookup, ets_lookup_par, ets_mixed_par, ets_counter_par, ets_ordered,
     ets_select, ets_bytes].

%% Returns the key=value part of the RESULT line.

%% A set table with default options (protected, owned by this process):
%% N inserts of {key(I), key(I)}.
workload(ets_insert, _Run) ->
    T = ets:new(bench_ets, [set]),
    T0 = now_ns(),
    insert_scattered(T, 0),
    T1 = now_ns(),
    ?N = ets:info(T, size),
    ets:delete(T),
    fmt("objects=~b inserts_per_s=~b", [?N, per_s(?N, T0, T1)]);

%% N lookups in scattered order from one process.
workload(ets_lookup, _Run) ->
    T = ets:new(bench_ets, [set]),
    fill(T, 0),
    T0 = now_ns(),
    lookup_n(T, 0, ?N),
    T1 = now_ns(),
    ets:delete(T),
    fmt("objects=~b lookups_per_s=~b", [?N, per_s(?N, T0, T1)]);

%% 2 readers of a read_concurrency table, N lookups each; reader P starts
%% its scattered sequence at P * N / 2.
workload(ets_lookup_par, _Run) ->
    T = ets:new(bench_ets, [set, public, {read_concurrency, true}]),
    fill(T, 0),
    Ns = parallel([fun() -> lookup_n(T, offset(P), ?N) end || P <- lists:seq(0, ?WORKERS - 1)]),
    ets:delete(T),
    Total = ?WORKERS * ?N,
    fmt("workers=~b lookups_each=~b lookups_per_s=~b", [?WORKERS, ?N, per_ns(Total, Ns)]);

%% 2 processes, N ops each on a read- and write-concurrency table: op I
%% inserts {key(I), I} when I rem 10 == 0 and looks key(I) up otherwise.
workload(ets_mixed_par, _Run) ->
    T = ets:new(bench_ets, [set, public, {read_concurrency, true}, {write_concurrency, true}]),
    fill(T, 0),
    Ns = parallel([fun() -> mixed_n(T, offset(P), ?N) end || P <- lists:seq(0, ?WORKERS - 1)]),
    ?N = ets:info(T, size),
    ets:delete(T),
    Total = ?WORKERS * ?N,
    fmt("workers=~b ops_each=~b ops_per_s=~b", [?WORKERS, ?N, per_ns(Total, Ns)]);

%% 2 processes, N update_counter each over 16 counters; the counters must
%% sum to 2N at the end.
workload(ets_counter_par, _Run) ->
    T = ets:new(bench_ets, [set, public, {write_concurrency, true}]),
    ets:insert(T, [{C, 0} || C <- lists:seq(0, ?COUNTERS - 1)]),
    Ns = parallel([fun() -> count_n(T, 0) end || _ <- lists:seq(1, ?WORKERS)]),
    Total = ?WORKERS * ?N,
    Sum = lists:sum([V || {_, V} <- ets:tab2list(T)]),
    ets:delete(T),
    case Sum of
        Total -> ok;
        _ -> error({counters_sum, Sum, expected, Total})
    end,
    fmt("workers=~b counters=~b ops_each=~b ops_per_s=~b",
        [?WORKERS, ?COUNTERS, ?N, per_ns(Total, Ns)]);

%% ordered_set: one process inserts N {key(I), I}, then walks the table
%% with first/next. Then 2 writers, and then 4, each time on a fresh public
%% write_concurrency ordered_set, insert N objects {key(I), I} in all
%% (writer W the I with I rem Writers == W).
workload(ets_ordered, _Run) ->
    T = ets:new(bench_ets, [ordered_set]),
    T0 = now_ns(),
    insert_indexed(T, 0, 1),
    T1 = now_ns(),
    Walked = walk(T, ets:first(T), 0),
    T2 = now_ns(),
    Walked = ?N,
    ets:delete(T),
    Rate2 = ordered_writers(2),
    Rate4 = ordered_writers(4),
    fmt("objects=~b inserts_per_s=~b walk_keys_per_s=~b inserts_per_s_2w=~b inserts_per_s_4w=~b",
        [?N, per_s(?N, T0, T1), per_s(Walked, T1, T2), Rate2, Rate4]);

%% ordered_set with keys 0..N-1: select the 1 % range
%% 500000 =< K < 510000 (a guard on the key, as a programmer would write
%% it), 5 times; mean ms.
workload(ets_select, _Run) ->
    T = ets:new(bench_ets, [ordered_set]),
    fill(T, 0),
    MS = [{{'$1', '$2'}, [{'>=', '$1', ?SELECT_LO}, {'<', '$1', ?SELECT_HI}], ['$_']}],
    Expected = ?SELECT_HI - ?SELECT_LO,
    Ms = [begin
              T0 = now_ns(),
              Objects = ets:select(T, MS),
              T1 = now_ns(),
              Expected = length(Objects),
              (T1 - T0) / 1.0e6
          end
          || _ <- lists:seq(1, ?SELECT_REPEATS)],
    ets:delete(T),
    fmt("objects=~b repeats=~b matched=~b select_ms=~.3f",
        [?N, ?SELECT_REPEATS, Expected, lists:sum(Ms) / ?SELECT_REPEATS]);

%% Memory of a set table with N {K, K}: ets:info(T, memory) is in words.
workload(ets_bytes, _Run) ->
    T = ets:new(bench_ets, [set]),
    fill(T, 0),
    Bytes = ets:info(T, memory) * erlang:system_info(wordsize),
    ets:delete(T),
    fmt("objects=~b bytes_per_object=~.1f", [?N, Bytes / ?N]).

%% --- parts --------------------------------------------------------------------

key(I) -> I * ?STRIDE rem ?N.

%% Where worker P starts in the sequence: P * N / 2.
offset(P) -> P * ?N div 2.

fill(_T, ?N) -> ok;
fill(T, K) ->
    ets:insert(T, {K, K}),
    fill(T, K + 1).

insert_scattered(_T, ?N) -> ok;
insert_scattered(T, I) ->
    K = key(I),
    ets:insert(T, {K, K}),
    insert_scattered(T, I + 1).

%% Inserts {key(I), I} for I = First, First + Step, ... < N.
insert_indexed(_T, I, _Step) when I >= ?N -> ok;
insert_indexed(T, I, Step) ->
    ets:insert(T, {key(I), I}),
    insert_indexed(T, I + Step, Step).

%% Count lookups of key((I + J) rem N), J = 0..Count-1; every key is there.
lookup_n(_T, _I, 0) -> ok;
lookup_n(T, I, Count) ->
    K = key(I rem ?N),
    [{K, _}] = ets:lookup(T, K),
    lookup_n(T, I + 1, Count - 1).

mixed_n(_T, _I, 0) -> ok;
mixed_n(T, I0, Count) ->
    I = I0 rem ?N,
    K = key(I),
    case I rem 10 of
        0 -> ets:insert(T, {K, I});
        _ -> [{K, _}] = ets:lookup(T, K)
    end,
    mixed_n(T, I0 + 1, Count - 1).

count_n(_T, ?N) -> ok;
count_n(T, I) ->
    ets:update_counter(T, I rem ?COUNTERS, 1),
    count_n(T, I + 1).

walk(_T, '$end_of_table', Count) -> Count;
walk(T, K, Count) -> walk(T, ets:next(T, K), Count + 1).

ordered_writers(Writers) ->
    T = ets:new(bench_ets, [ordered_set, public, {write_concurrency, true}]),
    Ns = parallel([fun() -> insert_indexed(T, W, Writers) end || W <- lists:seq(0, Writers - 1)]),
    ?N = ets:info(T, size),
    ets:delete(T),
    per_ns(?N, Ns).

%% Runs each fun in a process of its own, all released at once; returns the
%% ns from the release until the last one reported. A worker that fails
%% takes this process down with it (link).
parallel(Funs) ->
    Main = self(),
    Pids = [spawn_link(fun() ->
                               Main ! {ready, self()},
                               receive go -> ok end,
                               F(),
                               Main ! {done, self()}
                       end)
            || F <- Funs],
    [receive {ready, P} -> ok end || P <- Pids],
    T0 = now_ns(),
    [P ! go || P <- Pids],
    [receive {done, P} -> ok end || P <- Pids],
    now_ns() - T0.

now_ns() -> erlang:monotonic_time(nanosecond).

per_s(Count, T0, T1) -> per_ns(Count, T1 - T0).

per_ns(Count, Ns) -> round(Count / (Ns / 1.0e9)).

fmt(Format, Args) -> lists:flatten(io_lib:format(Format, Args)).
