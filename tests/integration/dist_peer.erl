%% The Erlang side of the distribution tests: a registered process `peer`
%% that answers the C++ node, and a reader of commands on standard input
%% (one per line), printing what happens on standard output for the test.
-module(dist_peer).
-export([start/0]).

start() ->
    register(peer, self()),
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
