%% The bench workloads of bench/otp_bench, written for Erlang/OTP the way an
%% Erlang programmer would write them: plain processes, gen_server,
%% supervisor (simple_one_for_one for the dynamic supervisor), and ets tables
%% used from processes (the ets_* workloads, in bench_ets).
%%
%%   erl -noshell +P 2000000 -pa DIR -run bench_peer main WORKLOAD [RUNS]
%%
%% Prints one `RESULT system=erlang workload=... key=value ...` line per run,
%% with the same workloads, sizes and keys as otp_bench, then halts (exit
%% status 1 if a workload went wrong). Times are erlang:monotonic_time;
%% memory is the VM's resident set (/proc/self/status), as for otp_bench.
-module(bench_peer).
-export([main/1]).

-define(IDLE_PROCS, 1000000).
-define(SKYNET_LEAVES, 1000000).
-define(ROUND_TRIPS, 1000000).
-define(RING_SIZE, 1000).
-define(RING_HOPS, 1000000).
-define(SENDERS, 100).
-define(SENDS_EACH, 100000).
-define(CALLS, 1000000).
-define(CLIENTS, 100).
-define(CALLS_EACH, 10000).
-define(ROUNDS, 10000).
-define(DYN_SMALL, 10000).
-define(DYN_LARGE, 100000).

main([Workload]) ->
    main([Workload, "1"]);
main([Workload, Runs]) ->
    W = list_to_atom(Workload),
    case lists:member(W, workloads()) of
        false ->
            io:format(standard_error, "bench_peer: unknown workload ~s~n", [Workload]),
            halt(2);
        true ->
            Status =
                try
                    [begin
                         run(W, R),
                         ok
                     end
                     || R <- lists:seq(1, list_to_integer(Runs))],
                    0
                catch
                    Class:Reason:Stack ->
                        io:format(standard_error, "bench_peer ~s: ~p:~p~n~p~n",
                                  [Workload, Class, Reason, Stack]),
                        1
                end,
            halt(Status)
    end.

workloads() ->
    [spawn_idle, skynet, ping_pong, ring, fan_in_send, call_seq, call_conc, fan_in_cast,
     sup_restart, sup_restart_reports, call_crash, call_crash_reports, dynsup_start,
     dynsup_hibernate] ++ bench_ets:workloads() ++ bench_dist:workloads().

%% Each run in a process of its own, so what one leaves in its mailbox or
%% heap does not reach the next.
run(W, Run) ->
    Self = self(),
    {Pid, Ref} = spawn_monitor(fun() -> Self ! {self(), workload(W, Run)} end),
    receive
        {Pid, Line} ->
            receive {'DOWN', Ref, process, Pid, _} -> ok end,
            io:format("RESULT system=erlang workload=~s run=~b schedulers=~b ~s~n",
                      [W, Run, erlang:system_info(schedulers_online), Line]);
        {'DOWN', Ref, process, Pid, Reason} ->
            error({W, Reason})
    end.

%% --- helpers -----------------------------------------------------------------

now_ns() -> erlang:monotonic_time(nanosecond).

ms(T0, T1) -> (T1 - T0) / 1.0e6.

%% A "Key:   1234 kB" line of /proc/self/status, in bytes.
status_bytes(Key) ->
    {ok, Status} = file:read_file("/proc/self/status"),
    [Line] = [L || L <- binary:split(Status, <<"\n">>, [global]),
                   binary:part(L, 0, min(byte_size(L), byte_size(Key) + 1)) =:= <<Key/binary, ":">>],
    [_, Rest] = binary:split(Line, <<":">>),
    [Kb | _] = string:lexemes(binary_to_list(Rest), " \t"),
    list_to_integer(Kb) * 1024.

rss() -> status_bytes(<<"VmRSS">>).

peak_rss_mb() -> status_bytes(<<"VmHWM">>) / (1024 * 1024).

reset_peak_rss() -> ok = file:write_file("/proc/self/clear_refs", "5").

fmt(Format, Args) -> lists:flatten(io_lib:format(Format, Args)).

wait_process_count(N) ->
    case erlang:system_info(process_count) > N of
        true ->
            erlang:yield(),
            wait_process_count(N);
        false ->
            ok
    end.

%% --- spawn_idle ----------------------------------------------------------------

idle(Counters, Main) ->
    count_up(Counters, 1, ?IDLE_PROCS, Main, all_ready),
    receive stop -> ok end,
    count_up(Counters, 2, ?IDLE_PROCS, Main, all_stopped).

count_up(Counters, Ix, Limit, Main, Msg) ->
    case atomics:add_get(Counters, Ix, 1) of
        Limit -> Main ! Msg;
        _ -> ok
    end.

spawn_all(0, _Counters, _Main, Acc) -> Acc;
spawn_all(N, Counters, Main, Acc) ->
    spawn_all(N - 1, Counters, Main, [spawn(fun() -> idle(Counters, Main) end) | Acc]).

workload(spawn_idle, _Run) ->
    Main = self(),
    Counters = atomics:new(2, []),
    Base = erlang:system_info(process_count),
    Rss0 = rss(),
    T0 = now_ns(),
    Pids = spawn_all(?IDLE_PROCS, Counters, Main, []),
    receive all_ready -> ok end,
    T1 = now_ns(),
    Rss1 = rss(),
    T2 = now_ns(),
    [P ! stop || P <- Pids],
    receive all_stopped -> ok end,
    wait_process_count(Base),
    T3 = now_ns(),
    fmt("procs=~b spawn_us_per_proc=~.4f rss_bytes_per_proc=~.1f stop_ms=~.2f",
        [?IDLE_PROCS, (T1 - T0) / 1000 / ?IDLE_PROCS, (Rss1 - Rss0) / ?IDLE_PROCS, ms(T2, T3)]);

%% --- skynet ----------------------------------------------------------------------

workload(skynet, _Run) ->
    reset_peak_rss(),
    Main = self(),
    T0 = now_ns(),
    spawn(fun() -> skynet(Main, 0, ?SKYNET_LEAVES) end),
    Sum = receive S -> S end,
    T1 = now_ns(),
    Sum = ?SKYNET_LEAVES * (?SKYNET_LEAVES - 1) div 2,
    fmt("leaves=~b total_ms=~.2f peak_rss_mb=~.1f", [?SKYNET_LEAVES, ms(T0, T1), peak_rss_mb()]);

%% --- ping_pong -------------------------------------------------------------------

workload(ping_pong, _Run) ->
    Main = self(),
    Ponger = spawn(fun ponger/0),
    T0 = now_ns(),
    spawn(fun() -> pinger(Ponger, ?ROUND_TRIPS, Main) end),
    receive done -> ok end,
    T1 = now_ns(),
    fmt("round_trips=~b ns_per_round_trip=~.1f", [?ROUND_TRIPS, (T1 - T0) / ?ROUND_TRIPS]);

%% --- ring ------------------------------------------------------------------------

workload(ring, _Run) ->
    Main = self(),
    Base = erlang:system_info(process_count),
    Members = [spawn(fun() -> ring_member(Main) end) || _ <- lists:seq(1, ?RING_SIZE)],
    Nexts = tl(Members) ++ [hd(Members)],
    lists:foreach(fun({M, N}) -> M ! {next, N} end, lists:zip(Members, Nexts)),
    hd(Members) ! {token, ?RING_SIZE},  % one lap first
    receive done -> ok end,
    T0 = now_ns(),
    hd(Members) ! {token, ?RING_HOPS},
    receive done -> ok end,
    T1 = now_ns(),
    [M ! stop || M <- Members],
    wait_process_count(Base),
    fmt("procs=~b hops=~b ns_per_hop=~.1f", [?RING_SIZE, ?RING_HOPS, (T1 - T0) / ?RING_HOPS]);

%% --- fan_in_send -----------------------------------------------------------------

workload(fan_in_send, _Run) ->
    Main = self(),
    Total = ?SENDERS * ?SENDS_EACH,
    Sink = spawn(fun() -> count_messages(Total, Main) end),
    reset_peak_rss(),
    T0 = now_ns(),
    [spawn(fun() -> send_n(Sink, ?SENDS_EACH) end) || _ <- lists:seq(1, ?SENDERS)],
    receive done -> ok end,
    T1 = now_ns(),
    fmt("senders=~b sends_each=~b msgs_per_s=~b peak_rss_mb=~.1f",
        [?SENDERS, ?SENDS_EACH, round(Total / ((T1 - T0) / 1.0e9)), peak_rss_mb()]);

%% --- gen_server ------------------------------------------------------------------

workload(call_seq, _Run) ->
    Main = self(),
    {ok, S} = bench_tally:start(0, Main),
    T0 = now_ns(),
    spawn(fun() -> Main ! {last, call_n(S, ?CALLS, 0)} end),
    Last = receive {last, L} -> L end,
    T1 = now_ns(),
    Last = ?CALLS,
    gen_server:stop(S),
    fmt("calls=~b ns_per_call=~.1f", [?CALLS, (T1 - T0) / ?CALLS]);

workload(call_conc, _Run) ->
    Main = self(),
    {ok, S} = bench_tally:start(0, Main),
    T0 = now_ns(),
    [spawn(fun() -> Main ! {last, call_n(S, ?CALLS_EACH, 0)} end) || _ <- lists:seq(1, ?CLIENTS)],
    [receive {last, _} -> ok end || _ <- lists:seq(1, ?CLIENTS)],
    T1 = now_ns(),
    Total = ?CLIENTS * ?CALLS_EACH,
    Total = gen_server:call(S, inc) - 1,
    gen_server:stop(S),
    fmt("clients=~b calls_each=~b calls_per_s=~b",
        [?CLIENTS, ?CALLS_EACH, round(Total / ((T1 - T0) / 1.0e9))]);

workload(fan_in_cast, _Run) ->
    Main = self(),
    Total = ?CLIENTS * ?SENDS_EACH,
    {ok, S} = bench_tally:start(Total, Main),
    reset_peak_rss(),
    T0 = now_ns(),
    [spawn(fun() -> cast_n(S, ?SENDS_EACH) end) || _ <- lists:seq(1, ?CLIENTS)],
    receive done -> ok end,
    T1 = now_ns(),
    gen_server:stop(S),
    fmt("senders=~b casts_each=~b msgs_per_s=~b peak_rss_mb=~.1f",
        [?CLIENTS, ?SENDS_EACH, round(Total / ((T1 - T0) / 1.0e9)), peak_rss_mb()]);

%% --- supervisor ------------------------------------------------------------------

workload(sup_restart, _Run) -> sup_restart(false);
workload(sup_restart_reports, _Run) -> sup_restart(true);
workload(call_crash, _Run) -> call_crash(false);
workload(call_crash_reports, _Run) -> call_crash(true);

workload(dynsup_start, _Run) ->
    process_flag(trap_exit, true),
    reports(false),
    Rss0 = rss(),
    T0 = now_ns(),
    {Sup, Pids} = fill(?DYN_LARGE),
    T1 = now_ns(),
    Rss1 = rss(),
    T2 = now_ns(),
    [ok = supervisor:terminate_child(Sup, P) || P <- Pids],
    T3 = now_ns(),
    stop_sup(Sup),
    {Small, _} = fill(?DYN_SMALL),
    StopSmall = stop_sup(Small),
    {Large, _} = fill(?DYN_LARGE),
    StopLarge = stop_sup(Large),
    fmt("children=~b us_per_start=~.3f bytes_per_child=~b us_per_terminate=~.3f "
        "stop_10k_ms=~.1f stop_large_ms=~.1f",
        [?DYN_LARGE, (T1 - T0) / 1000 / ?DYN_LARGE, round((Rss1 - Rss0) / ?DYN_LARGE),
         (T3 - T2) / 1000 / ?DYN_LARGE, StopSmall, StopLarge]);
workload(dynsup_hibernate, _Run) ->
    process_flag(trap_exit, true),
    reports(false),
    Rss0 = rss(),
    T0 = now_ns(),
    {ok, Sup} = bench_sup:start_link(dynamic),
    Pids = [begin
                {ok, P} = supervisor:start_child(Sup, [[{hibernate_after, 0}]]),
                P
            end
            || _ <- lists:seq(1, ?DYN_LARGE)],
    T1 = now_ns(),
    [wait_hibernated(P) || P <- Pids],
    Rss1 = rss(),
    stop_sup(Sup),
    fmt("children=~b us_per_start=~.3f bytes_per_child=~b",
        [?DYN_LARGE, (T1 - T0) / 1000 / ?DYN_LARGE, round((Rss1 - Rss0) / ?DYN_LARGE)]);

%% --- ets (bench_ets) and distribution (bench_dist) ------------------------------

workload(W, Run) ->
    case lists:member(W, bench_dist:workloads()) of
        true -> bench_dist:workload(W, Run);
        false -> bench_ets:workload(W, Run)
    end.

%% --- workload parts --------------------------------------------------------------

skynet(Parent, Num, 1) ->
    Parent ! Num;
skynet(Parent, Num, Size) ->
    Me = self(),
    Sub = Size div 10,
    [spawn(fun() -> skynet(Me, Num + I * Sub, Sub) end) || I <- lists:seq(0, 9)],
    Parent ! sum_n(10, 0).

sum_n(0, Sum) -> Sum;
sum_n(N, Sum) -> receive V -> sum_n(N - 1, Sum + V) end.

ponger() ->
    receive
        {ping, From} ->
            From ! pong,
            ponger();
        stop ->
            ok
    end.

pinger(Peer, 0, Report) ->
    Peer ! stop,
    Report ! done;
pinger(Peer, N, Report) ->
    Peer ! {ping, self()},
    receive pong -> pinger(Peer, N - 1, Report) end.

ring_member(Report) ->
    receive {next, Next} -> ring_loop(Next, Report) end.

ring_loop(Next, Report) ->
    receive
        {token, 0} ->
            Report ! done,
            ring_loop(Next, Report);
        {token, N} ->
            Next ! {token, N - 1},
            ring_loop(Next, Report);
        stop ->
            ok
    end.

count_messages(0, Report) -> Report ! done;
count_messages(N, Report) -> receive _ -> count_messages(N - 1, Report) end.

send_n(_To, 0) -> ok;
send_n(To, N) ->
    To ! N,
    send_n(To, N - 1).

call_n(_S, 0, Last) -> Last;
call_n(S, N, _) -> call_n(S, N - 1, gen_server:call(S, inc)).

cast_n(_S, 0) -> ok;
cast_n(S, N) ->
    gen_server:cast(S, bump),
    cast_n(S, N - 1).

%% Reports on: the logger builds each supervisor and crash report and hands it
%% to no handler (the default one removed), as otp_bench hands them to a
%% no-op on_report. Off: the primary level drops them before they are built.
reports(true) ->
    _ = logger:remove_handler(default),
    ok;
reports(false) ->
    logger:set_primary_config(level, none).

start_tree() ->
    process_flag(trap_exit, true),
    {ok, Sup} = bench_sup:start_link({one_for_one, self()}),
    receive {started, Child, _} -> {Sup, Child} end.

sup_restart(Reports) ->
    reports(Reports),
    {_Sup, Child0} = start_tree(),
    Us = restart_rounds(?ROUNDS, Child0, []),
    Sorted = lists:sort(Us),
    Mean = lists:sum(Us) / ?ROUNDS,
    P50 = lists:nth(?ROUNDS div 2 + 1, Sorted),
    P99 = lists:nth(min(?ROUNDS, ?ROUNDS * 99 div 100 + 1), Sorted),
    fmt("restarts=~b mean_us=~.2f p50_us=~.2f p99_us=~.2f", [?ROUNDS, Mean, P50, P99]).

restart_rounds(0, Child, Acc) ->
    Child = whereis(bench_child),
    Acc;
restart_rounds(N, Child, Acc) ->
    T0 = now_ns(),
    exit(Child, kill),
    receive
        {started, New, T} when New =/= Child -> restart_rounds(N - 1, New, [(T - T0) / 1000 | Acc])
    end.

call_crash(Reports) ->
    reports(Reports),
    start_tree(),
    T0 = now_ns(),
    Caught = crash_rounds(?ROUNDS, 0),
    T1 = now_ns(),
    Caught = ?ROUNDS,
    fmt("crashes=~b us_per_crash=~.2f", [?ROUNDS, (T1 - T0) / 1000 / ?ROUNDS]).

crash_rounds(0, Caught) -> Caught;
crash_rounds(N, Caught) ->
    C = try gen_server:call(bench_child, crash) of
            _ -> 0
        catch
            exit:_ -> 1
        end,
    receive {started, _, _} -> ok end,  % the restarted server is registered
    N = gen_server:call(bench_child, {echo, N}),
    crash_rounds(N - 1, Caught + C).

fill(N) ->
    {ok, Sup} = bench_sup:start_link(dynamic),
    Pids = [begin
                {ok, P} = supervisor:start_child(Sup, []),
                P
            end
            || _ <- lists:seq(1, N)],
    {Sup, Pids}.

wait_hibernated(P) ->
    case erlang:process_info(P, current_function) of
        {current_function, {erlang, hibernate, 3}} -> ok;
        _ -> erlang:yield(), wait_hibernated(P)
    end.

stop_sup(Sup) ->
    T0 = now_ns(),
    ok = gen_server:stop(Sup),
    ms(T0, now_ns()).
