%% A module in the shape OTP 21-24's compilers emit for binary construction
%% (bs_init2, bs_put_*, bs_append, bs_add, bs_utf8_size), which OTP 25 still
%% loads: assembled by `erlc +from_asm` in crates/girder-cli/tests/old_compilers.rs.
{module, old_bs}.
{exports, [{build,2},{app,2},{utf,1},{add,2},{module_info,0},{module_info,1}]}.
{attributes, []}.
{labels, 20}.

{function, build, 2, 2}.
  {label,1}.
    {func_info,{atom,old_bs},{atom,build},2}.
  {label,2}.
    {gc_bif,byte_size,{f,0},2,[{x,1}],{x,2}}.
    {bs_add,{f,0},[{x,2},{integer,3},1],{x,2}}.
    {bs_init2,{f,0},{x,2},0,3,{field_flags,[]},{x,2}}.
    {bs_put_integer,{f,0},{integer,16},1,{field_flags,[little]},{x,0}}.
    {bs_put_string,1,{string,"-"}}.
    {bs_put_binary,{f,0},{atom,all},8,{field_flags,[]},{x,1}}.
    {move,{x,2},{x,0}}.
    return.

{function, app, 2, 4}.
  {label,3}.
    {func_info,{atom,old_bs},{atom,app},2}.
  {label,4}.
    {bs_append,{f,0},{integer,40},0,2,8,{x,0},{field_flags,[]},{x,2}}.
    {bs_put_integer,{f,0},{integer,8},1,{field_flags,[signed]},{x,1}}.
    {bs_put_float,{f,0},{integer,32},1,{field_flags,[]},{float,1.5}}.
    {move,{x,2},{x,0}}.
    return.

{function, utf, 1, 6}.
  {label,5}.
    {func_info,{atom,old_bs},{atom,utf},1}.
  {label,6}.
    {bs_utf8_size,{f,0},{x,0},{x,1}}.
    {bs_init2,{f,0},{x,1},0,2,{field_flags,[]},{x,1}}.
    {bs_put_utf8,{f,0},{field_flags,[]},{x,0}}.
    {move,{x,1},{x,0}}.
    return.

{function, add, 2, 8}.
  {label,7}.
    {func_info,{atom,old_bs},{atom,add},2}.
  {label,8}.
    {bs_add,{f,0},[{x,0},{x,1},8],{x,0}}.
    return.
  {label,9}.
    {move,{atom,failed},{x,0}}.
    return.

{function, module_info, 0, 11}.
  {label,10}.
    {func_info,{atom,old_bs},{atom,module_info},0}.
  {label,11}.
    {move,{atom,old_bs},{x,0}}.
    {call_ext_only,1,{extfunc,erlang,get_module_info,1}}.

{function, module_info, 1, 13}.
  {label,12}.
    {func_info,{atom,old_bs},{atom,module_info},1}.
  {label,13}.
    {move,{x,0},{x,1}}.
    {move,{atom,old_bs},{x,0}}.
    {call_ext_only,2,{extfunc,erlang,get_module_info,2}}.
