{application, otp_application,
 [{description, "girder test application"},
  {vsn, "1.2.3"},
  {modules, [otp_application]},
  {registered, [otp_application_sup, otp_application_worker]},
  {applications, [kernel, stdlib]},
  {mod, {otp_application, [the, args]}},
  {env, [{greeting, hello}, {level, 3}]}]}.
