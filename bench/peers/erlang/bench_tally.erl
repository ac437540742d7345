%% The server of call_seq, call_conc and fan_in_cast: counts increments.
%% call inc -> the new count; cast bump -> count + 1, and `done` to Report at
%% Expected.
-module(bench_tally).
-behaviour(gen_server).
-export([start/2, init/1, handle_call/3, handle_cast/2]).

start(Expected, Report) -> gen_server:start(?MODULE, {Expected, Report}, []).

init({Expected, Report}) -> {ok, {0, Expected, Report}}.

handle_call(inc, _From, {N, E, R}) -> {reply, N + 1, {N + 1, E, R}}.

handle_cast(bump, {N, E, R}) ->
    case N + 1 of
        E -> R ! done;
        _ -> ok
    end,
    {noreply, {N + 1, E, R}}.
