%% The distribution workloads of bench/dist_bench.cpp for Erlang/OTP: this
%% node and a peer node (peer:start_link) on this machine's epmd, one
%% scheduler each, as otp_bench's two C++ nodes (two OS processes) run;
%% with OTP_BENCH_FAR_CPU=N the peer is pinned to CPU N. The dist_mixed_*
%% workloads are the same BEAM-to-BEAM runs: otp_bench runs them C++ to
%% BEAM, against serve/0 on a node of its own.
-module(bench_dist).
-behaviour(gen_server).
-export([workloads/0, workload/2, serve/0, victim/0]).
-export([init/1, handle_call/3, handle_cast/2]).

-define(ROUND_TRIPS, 20000).
-define(SENDS, 200000).
-define(VICTIMS, 2000).
-define(CALLS, 20000).
-define(CALLERS, 100).
-define(CALLS_EACH, 500).
-define(KILLS, 10).

workloads() ->
    Dist = [dist_ping_pong, dist_send, dist_monitor_exit, dist_call, dist_call_conc],
    Dist ++ [list_to_atom("dist_mixed_" ++ lists:nthtail(5, atom_to_list(W))) || W <- Dist]
        ++ [dist_spawn_monitor_exit, dist_nodedown].

workload(dist_spawn_monitor_exit, _Run) ->
    with_peer(fun(Node) ->
        Cycle = fun() ->
                    {Pid, Ref} = spawn_monitor(Node, ?MODULE, victim, []),
                    exit(Pid, kill),
                    receive {'DOWN', Ref, process, _, _} -> ok end
                end,
        Cycle(),
        T0 = now_ns(),
        [Cycle() || _ <- lists:seq(1, ?VICTIMS)],
        T1 = now_ns(),
        fmt("cycles=~b us_per_cycle=~.2f", [?VICTIMS, (T1 - T0) / 1000 / ?VICTIMS])
    end);

workload(dist_nodedown, _Run) ->
    with_node(fun() ->
        Dir = filename:dirname(code:which(?MODULE)),
        Ms = [begin
                  {ok, _Peer, Node} = peer:start(#{name => "erlang_bench_down_" ++ os:getpid(),
                                                   args => ["-setcookie", "otp_bench", "+S", "1",
                                                            "-pa", Dir]}),
                  OsPid = erpc:call(Node, os, getpid, []),
                  pin(Node),
                  true = erlang:monitor_node(Node, true),
                  T0 = now_ns(),
                  _ = os:cmd("kill -9 " ++ OsPid),
                  receive {nodedown, Node} -> ok end,
                  (now_ns() - T0) / 1.0e6
              end
              || _ <- lists:seq(1, ?KILLS)],
        fmt("kills=~b ms_to_nodedown=~.2f", [?KILLS, median(Ms)])
    end);
workload(W, Run) when W =:= dist_mixed_ping_pong; W =:= dist_mixed_send;
                      W =:= dist_mixed_monitor_exit; W =:= dist_mixed_call;
                      W =:= dist_mixed_call_conc ->
    "dist_mixed_" ++ Rest = atom_to_list(W),
    workload(list_to_atom("dist_" ++ Rest), Run);

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
    end);
workload(dist_call, _Run) ->
    with_peer(fun(Node) ->
        Server = start_server(Node),
        _ = gen_server:call(Server, get),
        T0 = now_ns(),
        [gen_server:call(Server, get) || _ <- lists:seq(1, ?CALLS)],
        T1 = now_ns(),
        fmt("calls=~b us_per_call=~.2f", [?CALLS, (T1 - T0) / 1000 / ?CALLS])
    end);
workload(dist_call_conc, _Run) ->
    with_peer(fun(Node) ->
        Server = start_server(Node),
        _ = gen_server:call(Server, get),
        Self = self(),
        T0 = now_ns(),
        [spawn(fun() ->
                   [gen_server:call(Server, get) || _ <- lists:seq(1, ?CALLS_EACH)],
                   Self ! done
               end)
         || _ <- lists:seq(1, ?CALLERS)],
        [receive done -> ok end || _ <- lists:seq(1, ?CALLERS)],
        T1 = now_ns(),
        Calls = ?CALLERS * ?CALLS_EACH,
        fmt("callers=~b calls=~b calls_per_s=~b",
            [?CALLERS, Calls, round(Calls / ((T1 - T0) / 1.0e9))])
    end).

%% The server of dist_call on Node: get answers a counter it bumps.
start_server(Node) ->
    {ok, Pid} = erpc:call(Node, gen_server, start, [?MODULE, 0, []]),
    Pid.

init(N) -> {ok, N}.
handle_call(get, _From, N) -> {reply, N + 1, N + 1}.
handle_cast(_, N) -> {noreply, N}.

%% The far node of otp_bench's dist_mixed_* workloads: `bench_far` answers
%% {ponger, From}, {counter, N, Report, From}, {victims, N, From} and
%% {server, From} with {Kind, PidOrPids}; the node ends when standard input
%% closes.
serve() ->
    {ok, Server} = gen_server:start(?MODULE, 0, []),
    register(bench_far, spawn(fun() -> far(Server) end)),
    io:format("ready ~s~n", [node()]),
    _ = io:get_line(""),
    halt().

far(Server) ->
    receive
        {ponger, From} -> From ! {ponger, spawn(fun ponger/0)};
        {counter, N, Report, From} -> From ! {counter, spawn(fun() -> count(N, Report) end)};
        {victims, N, From} ->
            From ! {victims, [spawn(fun() -> receive never -> ok end end) || _ <- lists:seq(1, N)]};
        {server, From} -> From ! {server, Server}
    end,
    far(Server).

%% Runs Fun(PeerNode) with this node distributed (one scheduler online) and a
%% peer node started for it; both end afterwards.
with_peer(Fun) ->
    with_node(fun() ->
        Dir = filename:dirname(code:which(?MODULE)),
        {ok, Peer, Node} = peer:start_link(#{name => "erlang_bench_b_" ++ os:getpid(),
                                             args => ["-setcookie", "otp_bench", "+S", "1",
                                                      "-pa", Dir]}),
        pin(Node),
        try
            Fun(Node)
        after
            peer:stop(Peer)
        end
    end).

%% Runs Fun() with this node distributed, one scheduler online.
with_node(Fun) ->
    _ = os:cmd("epmd -daemon"),
    {ok, _} = net_kernel:start([list_to_atom("erlang_bench_a_" ++ os:getpid()), shortnames]),
    true = erlang:set_cookie(node(), otp_bench),
    Online = erlang:system_flag(schedulers_online, 1),
    try
        Fun()
    after
        erlang:system_flag(schedulers_online, Online),
        net_kernel:stop()
    end.

%% Pins the OS process of Node (every thread) to the CPU in
%% OTP_BENCH_FAR_CPU when it is set, as otp_bench pins its far nodes.
pin(Node) ->
    case os:getenv("OTP_BENCH_FAR_CPU") of
        false -> ok;
        Cpu ->
            OsPid = erpc:call(Node, os, getpid, []),
            _ = os:cmd("taskset -a -p -c " ++ Cpu ++ " " ++ OsPid),
            ok
    end.

median(Xs) -> lists:nth((length(Xs) + 1) div 2, lists:sort(Xs)).

victim() -> receive never -> ok end.

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
