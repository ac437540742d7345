%% The supervised server of sup_restart and call_crash: tells the bench when
%% it starts; crashes on `crash`, echoes {echo, V}.
-module(bench_child).
-behaviour(gen_server).
-export([start_link/1, init/1, handle_call/3, handle_cast/2]).

start_link(Bench) -> gen_server:start_link({local, bench_child}, ?MODULE, Bench, []).

init(Bench) ->
    Bench ! {started, self(), erlang:monotonic_time(nanosecond)},
    {ok, Bench}.

handle_call(crash, _From, _State) -> error(bench_crash);
handle_call({echo, V}, _From, State) -> {reply, V, State}.

handle_cast(_Msg, State) -> {noreply, State}.
