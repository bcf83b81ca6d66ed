%% A module in the shape OTP 23 and older compile funs to (make_fun2: the free
%% variables in x0..x(N-1), the fun to x0), which OTP 25 still loads and Debian's
%% OTP 25 ships (common_test's test_server_node): assembled by `erlc +from_asm` in
%% crates/girder-cli/tests/old_compilers.rs.
{module, old_fun}.  %% version = 0

{exports, [{adder,1},{module_info,0},{module_info,1},{pair,2}]}.

{attributes, []}.

{labels, 13}.


{function, adder, 1, 2}.
  {label,1}.
    {line,[{location,"old_fun.erl",3}]}.
    {func_info,{atom,old_fun},{atom,adder},1}.
  {label,2}.
    {test_heap,{alloc,[{words,1},{floats,0},{funs,1}]},1}.
    {make_fun2,{f,12},0,0,1}.
    {'%',{var_info,{x,0},[{fun_type,number}]}}.
    return.


{function, pair, 2, 4}.
  {label,3}.
    {line,[{location,"old_fun.erl",4}]}.
    {func_info,{atom,old_fun},{atom,pair},2}.
  {label,4}.
    {test_heap,{alloc,[{words,2},{floats,0},{funs,1}]},2}.
    {make_fun2,{f,10},0,0,2}.
    {'%',{var_info,{x,0},
                   [{fun_type,{t_tuple,3,true,#{3 => {t_atom,[true]}}}}]}}.
    return.


{function, module_info, 0, 6}.
  {label,5}.
    {line,[]}.
    {func_info,{atom,old_fun},{atom,module_info},0}.
  {label,6}.
    {move,{atom,old_fun},{x,0}}.
    {call_ext_only,1,{extfunc,erlang,get_module_info,1}}.


{function, module_info, 1, 8}.
  {label,7}.
    {line,[]}.
    {func_info,{atom,old_fun},{atom,module_info},1}.
  {label,8}.
    {move,{x,0},{x,1}}.
    {move,{atom,old_fun},{x,0}}.
    {call_ext_only,2,{extfunc,erlang,get_module_info,2}}.


{function, '-pair/2-fun-0-', 2, 10}.
  {label,9}.
    {line,[{location,"old_fun.erl",4}]}.
    {func_info,{atom,old_fun},{atom,'-pair/2-fun-0-'},2}.
  {label,10}.
    {test_heap,4,2}.
    {put_tuple2,{x,0},{list,[{x,0},{x,1},{atom,true}]}}.
    return.


{function, '-adder/1-fun-0-', 2, 12}.
  {label,11}.
    {line,[{location,"old_fun.erl",3}]}.
    {func_info,{atom,old_fun},{atom,'-adder/1-fun-0-'},2}.
  {label,12}.
    {gc_bif,'+',{f,0},2,[{x,0},{x,1}],{x,0}}.
    return.
