#!/usr/bin/env escript
%% The Erlang side of etf_erlang_test.cpp. Reads the terms the test wrote
%% (each a 32-bit big-endian length, then term_to_binary bytes) and writes:
%% to OutText, each term as ~w prints it, one per line, then the 1-based
%% indexes of the terms in lists:sort order (stable); to OutBin, each term
%% as this node encodes it with minor_version 1 (latin-1 atoms, as OTP 25's
%% term_to_binary/1 writes), length-prefixed the same way.
main([In, OutText, OutBin]) ->
    {ok, Data} = file:read_file(In),
    Terms = read(Data),
    Lines = [io_lib:format("~w~n", [T]) || T <- Terms],
    Indexed = lists:zip(lists:seq(1, length(Terms)), Terms),
    Sorted = [I || {I, _} <- lists:sort(fun({_, A}, {_, B}) -> A =< B end, Indexed)],
    ok = file:write_file(OutText, [Lines, io_lib:format("~w~n", [Sorted])]),
    Bins = [term_to_binary(T, [{minor_version, 1}]) || T <- Terms],
    ok = file:write_file(OutBin, [[<<(byte_size(B)):32>>, B] || B <- Bins]).

read(<<>>) -> [];
read(<<N:32, B:N/binary, Rest/binary>>) -> [binary_to_term(B) | read(Rest)].
