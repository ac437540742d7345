%% The child of dynsup_start and dynsup_hibernate: a gen_server with no state,
%% idle in receive (start_link/1 takes gen_server start options).
-module(bench_idle).
-behaviour(gen_server).
-export([start_link/0, start_link/1, init/1, handle_call/3, handle_cast/2]).

start_link() -> gen_server:start_link(?MODULE, [], []).

start_link(Opts) -> gen_server:start_link(?MODULE, [], Opts).

init([]) -> {ok, []}.

handle_call(_Req, _From, State) -> {reply, ok, State}.

handle_cast(_Msg, State) -> {noreply, State}.
