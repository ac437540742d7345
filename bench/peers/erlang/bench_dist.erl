%% The distribution workloads of bench/dist_bench.cpp for Erlang/OTP: this
%% node and a peer node (peer:start_link) on this machine's epmd, one
%% scheduler each, as the two C++ nodes of otp_bench run.
-module(bench_dist).
-export([workloads/0, workload/2]).

-define(ROUND_TRIPS, 20000).
-define(SENDS, 200000).
-define(VICTIMS, 2000).

workloads() -> [dist_ping_pong, dist_send, dist_monitor_exit].

workload(dist_ping_pong, _Run) ->
    with_peer(fun(Node) ->
        Ponger = spawn(Node, fun ponger/0),
        Ponger ! {self(), 0},
        receive 0 -> ok end,
        T0 = now_ns(),
        ping(Ponger, 1),
        T1 = now_ns(),
        fmt("round_trips=~b us_per_round_trip=~.2f", [?ROUND_TRIPS, (T1 - T0) / 1000 / ?ROUND_TRIPS])
    end);
workload(dist_send, _Run) ->
    with_peer(fun(Node) ->
        Self = self(),
        Counter = spawn(Node, fun() -> count(?SENDS + 1, Self) end),
        Counter ! 0,
        T0 = now_ns(),
        spawn(fun() ->
            Msg = {event, 42, <<"payload">>},
            [Counter ! Msg || _ <- lists:seq(1, ?SENDS)]
        end),
        receive done -> ok end,
        T1 = now_ns(),
        fmt("msgs=~b msgs_per_s=~b", [?SENDS, round(?SENDS / ((T1 - T0) / 1.0e9))])
    end);
workload(dist_monitor_exit, _Run) ->
    with_peer(fun(Node) ->
        Victims = [spawn(Node, fun() -> receive never -> ok end end) || _ <- lists:seq(1, ?VICTIMS)],
        T0 = now_ns(),
        [begin
             Ref = monitor(process, V),
             exit(V, kill),
             receive {'DOWN', Ref, process, _, _} -> ok end
         end
         || V <- Victims],
        T1 = now_ns(),
        fmt("cycles=~b us_per_cycle=~.2f", [?VICTIMS, (T1 - T0) / 1000 / ?VICTIMS])
    end).

%% Runs Fun(PeerNode) with this node distributed (one scheduler online) and a
%% peer node started for it; both end afterwards.
with_peer(Fun) ->
    _ = os:cmd("epmd -daemon"),
    Suffix = os:getpid(),
    {ok, _} = net_kernel:start([list_to_atom("erlang_bench_a_" ++ Suffix), shortnames]),
    true = erlang:set_cookie(node(), otp_bench),
    Online = erlang:system_flag(schedulers_online, 1),
    Dir = filename:dirname(code:which(?MODULE)),
    {ok, Peer, Node} = peer:start_link(#{name => "erlang_bench_b_" ++ Suffix,
                                         args => ["-setcookie", "otp_bench", "+S", "1",
                                                  "-pa", Dir]}),
    try
        Fun(Node)
    after
        peer:stop(Peer),
        erlang:system_flag(schedulers_online, Online),
        net_kernel:stop()
    end.

ponger() ->
    receive {From, X} -> From ! X, ponger() end.

ping(_, I) when I > ?ROUND_TRIPS -> ok;
ping(Ponger, I) ->
    Ponger ! {self(), I},
    receive I -> ping(Ponger, I + 1) end.

count(0, Report) -> Report ! done;
count(N, Report) -> receive _ -> count(N - 1, Report) end.

now_ns() -> erlang:monotonic_time(nanosecond).

fmt(Format, Args) -> lists:flatten(io_lib:format(Format, Args)).
