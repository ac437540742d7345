%% The supervisors of the bench: `one_for_one` over bench_child (sup_restart,
%% call_crash) and `dynamic`, a simple_one_for_one of bench_idle children
%% (dynsup_start; Erlang's dynamic supervisor).
-module(bench_sup).
-behaviour(supervisor).
-export([start_link/1, init/1]).

start_link(Arg) -> supervisor:start_link(?MODULE, Arg).

init({one_for_one, Bench}) ->
    Flags = #{strategy => one_for_one, intensity => 1000000, period => 1},
    Child = #{id => child, start => {bench_child, start_link, [Bench]}},
    {ok, {Flags, [Child]}};
init(dynamic) ->
    Flags = #{strategy => simple_one_for_one, intensity => 1, period => 5},
    Child = #{id => idle, start => {bench_idle, start_link, []}},
    {ok, {Flags, [Child]}}.
