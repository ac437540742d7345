%% The Erlang side of the distribution tests: a registered process `peer`
%% that answers the C++ node, and a reader of commands on standard input
%% (one per line), printing what happens on standard output for the test.
-module(dist_peer).
-behaviour(gen_server).
-export([start/0, spawned_report/2]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

start() ->
    register(peer, self()),
    {ok, _} = gen_server:start({local, counter}, ?MODULE, 0, []),
    ok = net_kernel:monitor_nodes(true, [{node_type, all}, nodedown_reason]),
    Self = self(),
    spawn_link(fun() -> commands(Self) end),
    io:format("ready ~s~n", [node()]),
    loop().

loop() ->
    receive
        {echo, From, X} -> From ! {echo, X};
        {send, To, X} -> To ! X;
        %% A process linked to Pid (trapping exits) tells Pid {linked, Self}
        %% (after the link, on the same path) and prints "exit Reason".
        {link_to, Pid} ->
            spawn(fun() ->
                process_flag(trap_exit, true),
                link(Pid),
                Pid ! {linked, self()},
                receive {'EXIT', Pid, R} -> io:format("exit ~w~n", [R]) end
            end);
        %% A process monitoring Target (a pid or {Name, Node}) tells Pid
        %% {monitoring, Self} and prints "down Reason".
        {monitor, Target, Pid} ->
            spawn(fun() ->
                Ref = monitor(process, Target),
                Pid ! {monitoring, self()},
                receive {'DOWN', Ref, process, _, R} -> io:format("down ~w~n", [R]) end
            end);
        %% A process that exits with R when it gets {die, R}: From gets its pid.
        {victim, From} ->
            V = spawn(fun() -> receive {die, R} -> exit(R) end end),
            From ! {victim, V};
        %% The same, registered as Name.
        {named_victim, Name, From} ->
            V = spawn(fun() -> receive {die, R} -> exit(R) end end),
            register(Name, V),
            From ! {named_victim, V};
        %% A process that links to From, then prints the exit it traps.
        {link_back, From} ->
            spawn(fun() ->
                process_flag(trap_exit, true),
                link(From),
                From ! {linked, self()},
                receive
                    {'EXIT', From, R} -> io:format("exit ~w~n", [R]);
                    {die, R} -> exit(R)
                end
            end);
        {exit2, Pid, R} -> exit(Pid, R);
        {whereis, Name, From} -> From ! {whereis, whereis(Name)};
        {nodeup, Node, _} -> io:format("nodeup ~s~n", [Node]);
        {nodedown, Node, Info} ->
            io:format("nodedown ~s ~w~n", [Node, proplists:get_value(nodedown_reason, Info)]);
        {command, Line} -> command(string:lexemes(Line, " \n"));
        Other -> io:format("got ~w~n", [Other])
    end,
    loop().

%% ping Node            -> "ping pong" | "ping pang"
%% send Name Node Word  -> {Name, Node} ! {PeerPid, Word}  (Word an atom)
%% burst Name Node N    -> {Name, Node} ! {PeerPid, I} for I in 1..N
%% hidden               -> "hidden [Nodes]"
command(["ping", Node]) ->
    io:format("ping ~s~n", [net_adm:ping(list_to_atom(Node))]);
command(["send", Name, Node, Word]) ->
    {list_to_atom(Name), list_to_atom(Node)} ! {self(), list_to_atom(Word)};
command(["burst", Name, Node, N]) ->
    Dest = {list_to_atom(Name), list_to_atom(Node)},
    [Dest ! {self(), I} || I <- lists:seq(1, list_to_integer(N))],
    ok;
command(["monitor_echo", Node]) ->
    spawn(fun() ->
        Ref = monitor(process, {echo, list_to_atom(Node)}),
        io:format("monitoring~n"),
        receive {'DOWN', Ref, process, _, R} -> io:format("down ~w~n", [R]) end
    end),
    ok;
%% call Name Node Word       -> "reply R" | "call_exit Reason"
%% call_timeout Name Node Word -> the same, with a 200 ms timeout
%% cast Name Node Word       -> gen_server:cast
%% call_term Name Node Term  -> call with Term (Erlang syntax, no spaces)
%% cast_term Name Node Term  -> gen_server:cast with Term
%% mailbox                   -> "mailbox [Messages]" (what this process holds)
%% spawn_monitor Node M F A  -> spawn_monitor(Node, M, F, [A]); "down Reason"
command(["call", Name, Node, Word]) ->
    call({list_to_atom(Name), list_to_atom(Node)}, list_to_atom(Word), 5000);
command(["call_timeout", Name, Node, Word]) ->
    call({list_to_atom(Name), list_to_atom(Node)}, list_to_atom(Word), 200);
command(["cast", Name, Node, Word]) ->
    gen_server:cast({list_to_atom(Name), list_to_atom(Node)}, list_to_atom(Word));
command(["call_term", Name, Node, Text]) ->
    call({list_to_atom(Name), list_to_atom(Node)}, parse_term(Text), 5000);
command(["cast_term", Name, Node, Text]) ->
    gen_server:cast({list_to_atom(Name), list_to_atom(Node)}, parse_term(Text));
command(["spawn_monitor", Node, M, F, Arg]) ->
    spawn(fun() ->
        {_, Ref} = spawn_monitor(list_to_atom(Node), list_to_atom(M), list_to_atom(F),
                                 [list_to_atom(Arg)]),
        receive {'DOWN', Ref, process, _, R} -> io:format("down ~w~n", [R]) end
    end),
    ok;
command(["mailbox"]) ->
    {messages, Ms} = process_info(self(), messages),
    io:format("mailbox ~w~n", [Ms]);
command(["hidden"]) ->
    io:format("hidden ~w~n", [nodes(hidden)]);
command(Other) ->
    io:format("unknown command ~p~n", [Other]).

commands(Peer) ->
    case io:get_line("") of
        eof -> ok;
        {error, _} -> ok;
        Line -> Peer ! {command, Line}, commands(Peer)
    end.

%% What C++ spawns here: tells Report {spawned, X, self()}, then exits with
%% R on {die, R}.
spawned_report(Report, X) ->
    Report ! {spawned, X, self()},
    receive {die, R} -> exit(R) end.

parse_term(Text) ->
    {ok, Tokens, _} = erl_scan:string(Text ++ "."),
    {ok, Term} = erl_parse:parse_term(Tokens),
    Term.

call(Dest, Req, Timeout) ->
    try gen_server:call(Dest, Req, Timeout) of
        R -> io:format("reply ~w~n", [R])
    catch
        exit:{Reason, _} -> io:format("call_exit ~w~n", [Reason])
    end.

%% The `counter` gen_server C++ calls: get, {add, K}, slow (answered when
%% a `release` cast comes), {stop, Reason}; casts {add, K} and release.
init(N) -> {ok, {N, []}}.

handle_call(get, _From, {N, W}) -> {reply, N, {N, W}};
handle_call({add, K}, _From, {N, W}) -> {reply, ok, {N + K, W}};
handle_call(slow, From, {N, W}) -> {noreply, {N, [From | W]}};
handle_call({stop, Reason}, _From, S) -> {stop, Reason, S}.

handle_cast({add, K}, {N, W}) -> {noreply, {N + K, W}};
handle_cast(release, {N, W}) ->
    [gen_server:reply(F, late) || F <- W],
    {noreply, {N, []}}.

handle_info(_, S) -> {noreply, S}.
