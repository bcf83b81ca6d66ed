//! Distributed Erlang between girder and OTP's `erl` on 127.0.0.1, through a private `epmd`
//! (its own port, started and killed here; every node gets `-start_epmd false`).
//!
//! A *peer* node answers `{From, Msg}` with `{echo, Msg}` under the name `peer`; a *driver*
//! node runs a script against it (wrong cookie, ping, small and large messages, `rpc:call`,
//! `erpc:call`, remote `spawn` (its output, through the caller's group leader, printed by
//! the caller's node), monitors, links, and finally kills the peer's OS process and
//! prints the `noconnection`/`nodedown` it sees). The driver's output with erl on both sides
//! is the reference; girder driving an erl peer and erl driving a girder peer must print the
//! same. Before the girder peer is driven, it gets a malformed handshake, which must only
//! drop that connection.
//!
//! Also: a three-node cluster (below), and mnesia with tables replicated between an erl
//! and a girder node, written on each and read on the other.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const COOKIE: &str = "girder_dist_test";

const PEER: &str = r#"
[Name, _] = string:split(atom_to_list(node()), "@"),
{port, Port, _} = erl_epmd:port_please(Name, {127,0,0,1}),
io:format("~w ~w~n", [node(), Port]),
register(peer, self()),
Loop = fun Loop() ->
    receive
        {From, Msg} -> From ! {echo, Msg}, Loop();
        _ -> Loop()
    end
end,
Loop().
"#;

fn driver(peer: &str) -> String {
    format!(
        r#"
P = '{peer}',
Show = fun(Tag, T) -> io:format("~s: ~p~n", [Tag, T]) end,
Wait = fun(Tag) -> receive M -> Show(Tag, M) after 10000 -> Show(Tag, timeout) end end,
erlang:set_cookie(P, wrong_cookie),
Show("wrong cookie", net_adm:ping(P)),
erlang:set_cookie(P, {COOKIE}),
Show("ping", net_adm:ping(P)),
Show("nodes", nodes() =:= [P]),
Show("node", node() =/= P andalso is_alive()),
{{peer, P}} ! {{self(), small}},
Wait("small"),
Big = {{lists:seq(1, 30000), binary:copy(<<"girder">>, 20000), #{{a => 1.5, b => [self(), make_ref()]}},
       <<1:3>>, -1 bsl 100, "text", 'atom', {{}}}},
{{peer, P}} ! {{self(), Big}},
receive {{echo, B}} -> Show("large", B =:= Big) after 10000 -> Show("large", timeout) end,
Show("rpc node", rpc:call(P, erlang, node, []) =:= P),
Digits = fun(S) -> re:replace(S, "[0-9]+", "N", [global, {{return, list}}]) end,
Chan = fun(S) -> hd(string:tokens(S, "RefPort#<.>")) end,
RP = rpc:call(P, erlang, whereis, [peer]),
RR = rpc:call(P, erlang, make_ref, []),
RPort = hd(rpc:call(P, erlang, ports, [])),
Show("remote ids", Digits(io_lib:format("~p ~w ~s ~s ~s", [{{RP, RR, RPort}}, [RP, RR, RPort], pid_to_list(RP), ref_to_list(RR), port_to_list(RPort)]))),
Show("channels", {{Chan(pid_to_list(RP)) =:= Chan(ref_to_list(RR)), Chan(pid_to_list(RP)) =:= Chan(port_to_list(RPort)), list_to_integer(Chan(pid_to_list(RP))) > 0}}),
Show("list_to_pid", list_to_pid(pid_to_list(RP)) =:= RP),
Show("node of", [node(RP), node(RR), node(RPort)] =:= [P, P, P]),
Show("rpc", rpc:call(P, lists, reverse, [[1, 2, 3]])),
Show("rpc error", rpc:call(P, erlang, error, [boom])),
Show("remote group leader", rpc:call(P, erlang, group_leader, []) =:= group_leader()),
Show("remote io", rpc:call(P, io, format, ["printed by ~w~n", [a_process_of_the_peer]])),
Show("erpc exit", catch erpc:call(P, erlang, exit, [bye])),
Show("multicall", erpc:multicall([P], erlang, length, [[a, b]])),
Self = self(),
Pid = spawn(P, erlang, send, [Self, spawned]),
Show("spawn node", node(Pid) =:= P),
Wait("spawned"),
W = spawn(P, timer, sleep, [100]),
Ref = monitor(process, W),
receive {{'DOWN', Ref, process, W, R1}} -> Show("down", R1) after 10000 -> Show("down", timeout) end,
Ref2 = monitor(process, W),
receive {{'DOWN', Ref2, process, W, R2}} -> Show("down dead", R2) after 10000 -> Show("down dead", timeout) end,
Ref3 = monitor(process, {{nobody, P}}),
receive {{'DOWN', Ref3, process, {{nobody, P}}, R3}} -> Show("down name", R3) after 10000 -> Show("down name", timeout) end,
process_flag(trap_exit, true),
L1 = spawn_link(P, timer, sleep, [100]),
receive {{'EXIT', L1, E1}} -> Show("link normal", E1) after 10000 -> Show("link normal", timeout) end,
L2 = spawn_link(P, erlang, exit, [boom]),
receive {{'EXIT', L2, E2}} -> Show("link exit", E2) after 10000 -> Show("link exit", timeout) end,
L3 = spawn(P, timer, sleep, [infinity]),
true = link(L3),
exit(L3, kill),
receive {{'EXIT', L3, E3}} -> Show("link kill", E3) after 10000 -> Show("link kill", timeout) end,
L4 = spawn(P, timer, sleep, [infinity]),
true = link(L4),
true = unlink(L4),
L5 = spawn(P, timer, sleep, [infinity]),
true = link(L5),
Ref4 = monitor(process, {{peer, P}}),
Ref5 = monitor(process, {{peer, P}}),
Show("demonitor", demonitor(Ref5, [flush, info])),
Show("remote link listed", lists:member(L5, element(2, process_info(self(), links)))),
Show("remote monitor listed", lists:member({{process, {{peer, P}}}}, element(2, process_info(self(), monitors)))),
Show("monitored by remote", lists:member(self(), element(2, rpc:call(P, erlang, process_info, [RP, monitored_by])))),
Show("linked to remote", lists:member(self(), element(2, rpc:call(P, erlang, process_info, [L5, links])))),
true = monitor_node(P, true),
ok = net_kernel:monitor_nodes(true),
OsPid = rpc:call(P, os, getpid, []),
os:cmd("kill -9 " ++ OsPid),
receive {{'DOWN', Ref4, process, {{peer, P}}, R4}} -> Show("down lost", R4) after 10000 -> Show("down lost", timeout) end,
receive {{'EXIT', L5, E5}} -> Show("link lost", E5) after 10000 -> Show("link lost", timeout) end,
receive {{nodedown, P}} -> Show("monitor_node", nodedown) after 10000 -> Show("monitor_node", timeout) end,
receive {{nodedown, P}} -> Show("monitor_nodes", nodedown) after 10000 -> Show("monitor_nodes", timeout) end,
Show("nodes after", nodes()),
Show("left", process_info(self(), messages)),
Show("ping after", net_adm:ping(P)),
halt().
"#
    )
}

struct Epmd {
    child: Child,
    port: u16,
}

impl Drop for Epmd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// OTP's `epmd` in the foreground on a free port of 127.0.0.1.
fn start_epmd() -> Epmd {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let bin = girder_testkit::otp_root();
    let epmd = std::fs::read_dir(&bin)
        .expect("OTP's root")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("erts-"))
        .map(|e| e.path().join("bin").join("epmd"))
        .find(|p| p.is_file())
        .expect("OTP's epmd");
    let child = Command::new(epmd)
        .args(["-port", &port.to_string(), "-address", "127.0.0.1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start epmd");
    // Killed and waited for when dropped, whatever happens below.
    let epmd = Epmd { child, port };
    // Wait until it listens.
    for _ in 0..200 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return epmd;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("epmd did not start on port {port}");
}

/// Which VM runs a node.
#[derive(Clone, Copy)]
enum Vm {
    Erl,
    /// girder with its default engine (the JIT).
    Girder,
    /// girder interpreting (`-emu_flavor emu`).
    GirderEmu,
}

fn node(girder: bool, epmd: &Epmd, name: &str, expr: &str) -> Child {
    node_on(if girder { Vm::Girder } else { Vm::Erl }, epmd, name, expr)
}

fn node_on(vm: Vm, epmd: &Epmd, name: &str, expr: &str) -> Child {
    node_with(vm, epmd, name, expr, &[])
}

/// [`node_on`] with more command-line arguments (`extra`).
fn node_with(vm: Vm, epmd: &Epmd, name: &str, expr: &str, extra: &[&str]) -> Child {
    let mut cmd = match vm {
        Vm::Erl => Command::new("erl"),
        Vm::Girder => Command::new(env!("CARGO_BIN_EXE_girder")),
        Vm::GirderEmu => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_girder"));
            c.args(["-emu_flavor", "emu"]);
            c
        }
    };
    cmd.env("ERL_EPMD_PORT", epmd.port.to_string())
        .args(["-noshell", "-start_epmd", "false", "-sname", name])
        .args(["-setcookie", COOKIE])
        .args(["-kernel", "inet_dist_use_interface", "{127,0,0,1}"])
        .args(extra)
        .args(["-eval", expr])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start a VM (erl must be installed)")
}

/// Everything `child` prints, killing it after `secs` seconds.
fn finish(mut child: Child, secs: u64) -> String {
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        let mut e = String::new();
        let _ = err.read_to_string(&mut e);
        let _ = tx.send(s + &e);
    });
    let got = rx.recv_timeout(Duration::from_secs(secs));
    let _ = child.kill();
    let _ = child.wait();
    got.unwrap_or_else(|_| "(the VM did not finish in time)".to_string())
}

/// A VM killed (and waited for) when dropped, so that no node outlives a failed test.
struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

type Peer = (Kill, String, u16, BufReader<std::process::ChildStdout>);

/// A peer node; its node name and distribution port.
fn peer(girder: bool, epmd: &Epmd, name: &str) -> Peer {
    peer_running(girder, epmd, name, PEER)
}

/// A node running `script`, which first prints its node name and distribution port.
fn peer_running(girder: bool, epmd: &Epmd, name: &str, script: &str) -> Peer {
    peer_on(
        if girder { Vm::Girder } else { Vm::Erl },
        epmd,
        name,
        script,
    )
}

/// [`peer_running`] on the VM given.
fn peer_on(vm: Vm, epmd: &Epmd, name: &str, script: &str) -> Peer {
    peer_with(vm, epmd, name, script, &[])
}

/// [`peer_on`] with more command-line arguments (`extra`).
fn peer_with(vm: Vm, epmd: &Epmd, name: &str, script: &str, extra: &[&str]) -> Peer {
    let mut child = node_with(vm, epmd, name, script, extra);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let mut parts = line.split_whitespace();
    let (Some(n), Some(p)) = (parts.next(), parts.next()) else {
        let _ = child.kill();
        let mut rest = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut rest);
        panic!("the peer printed {line:?} {rest}");
    };
    (Kill(child), n.to_string(), p.parse().unwrap(), out)
}

/// Malformed handshakes: each connection must be dropped, the node staying up.
fn malformed_handshakes(port: u16) {
    let garbage: [&[u8]; 4] = [
        b"\x00\x05hello",
        // A name message with a name longer than the packet.
        b"\x00\x10N\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff",
        // A 4-byte length far beyond what is sent, then the connection closes.
        b"\xff\xff\xff\xff",
        b"\x00\x00",
    ];
    for g in garbage {
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the peer");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = s.write_all(g);
        if g.len() > 4 {
            // The node answers nothing sensible and closes: read to the end.
            let mut buf = Vec::new();
            let _ = s.read_to_end(&mut buf);
        }
    }
}

fn mask(out: &str, peer: &str, driver: &str) -> String {
    out.replace(peer, "PEER").replace(driver, "DRIVER")
}

#[test]
fn girder_and_erl_in_one_cluster() {
    let epmd = start_epmd();
    let id = std::process::id();
    let name = |s: &str| format!("{s}{id}");
    // The three peers start together (an erl node takes about a second).
    let (p_ref, p_erl, p_girder) = (name("ref_peer"), name("erl_peer"), name("girder_peer"));
    let peers = std::thread::scope(|s| {
        let a = s.spawn(|| peer(false, &epmd, &p_ref));
        let b = s.spawn(|| peer(false, &epmd, &p_erl));
        let c = s.spawn(|| peer(true, &epmd, &p_girder));
        [a.join().unwrap(), b.join().unwrap(), c.join().unwrap()]
    });
    malformed_handshakes(peers[2].2);
    let runs = [
        (false, name("ref_driver"), &peers[0]),
        (true, name("girder_driver"), &peers[1]),
        (false, name("erl_driver"), &peers[2]),
    ];
    let outputs: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = runs
            .iter()
            .map(|(girder, dname, (_, pnode, _, _))| {
                let epmd = &epmd;
                s.spawn(move || {
                    let d = node(*girder, epmd, dname, &driver(pnode));
                    let host = pnode.split('@').nth(1).unwrap_or_default();
                    mask(&finish(d, 60), pnode, &format!("{dname}@{host}"))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut peer_logs = Vec::new();
    for (child, _, _, mut out) in peers {
        drop(child);
        let mut rest = String::new();
        let _ = out.read_to_string(&mut rest);
        peer_logs.push(rest);
    }
    let reference = &outputs[0];
    assert!(
        reference.contains("ping: pong")
            && reference.contains("down lost: noconnection")
            && reference.contains("list_to_pid: true")
            && reference.contains("remote link listed: true"),
        "erl's own run went wrong:\n{reference}"
    );
    assert_eq!(&outputs[1], reference, "girder driving an erl peer");
    assert_eq!(&outputs[2], reference, "erl driving a girder peer");
    // The wrong cookie is refused with OTP's log line on the peer's side, by both VMs.
    for (log, who) in [(&peer_logs[1], "erl"), (&peer_logs[2], "girder")] {
        assert!(
            log.contains("Connection attempt from node") && log.contains("rejected"),
            "the {who} peer did not log the refused cookie:\n{log}"
        );
    }
}

/// `out` split into the lines printed by the script and the logger's reports (each
/// `=KIND REPORT====` block, its time stamp left out).
fn split_reports(out: &str) -> (String, String) {
    let (mut report, mut shown) = (Vec::new(), Vec::new());
    let mut in_report = false;
    for line in out.lines() {
        if line.starts_with('=') && line.contains(" REPORT====") {
            in_report = true;
            report.push(line.split("====").next().unwrap_or_default());
        } else if in_report {
            in_report = !line.is_empty();
            report.push(line);
        } else {
            shown.push(line);
        }
    }
    (shown.join("\n"), report.join("\n"))
}

/// The tick driver: a connection left idle for longer than `net_ticktime` (4 s here) stays
/// up (both sides tick), and a peer that stops answering (SIGSTOP: its socket stays open)
/// is dropped with `net_tick_timeout`.
fn tick_driver(peer: &str) -> String {
    format!(
        r#"
P = '{peer}',
Show = fun(Tag, T) -> io:format("~s: ~p~n", [Tag, T]) end,
Show("ticktime", net_kernel:get_net_ticktime()),
Show("ping", net_adm:ping(P)),
ok = net_kernel:monitor_nodes(true, #{{nodedown_reason => true}}),
OsPid = rpc:call(P, os, getpid, []),
timer:sleep(7000),
Show("idle, still connected", lists:member(P, nodes())),
receive {{nodedown, P, I0}} -> Show("dropped while idle", I0) after 0 -> ok end,
_ = os:cmd("kill -STOP " ++ OsPid),
receive {{nodedown, P, I}} -> Show("stopped peer", I) after 30000 -> Show("stopped peer", timeout) end,
_ = os:cmd("kill -CONT " ++ OsPid),
halt().
"#
    )
}

/// `net_ticktime`: an idle connection between girder and erl stays up, and a peer that
/// stops is detected by the ticks (erl with erl is the reference).
#[test]
fn ticks_keep_idle_connections_and_detect_stopped_nodes() {
    let epmd = start_epmd();
    let id = std::process::id();
    let ticktime = ["-kernel", "net_ticktime", "4"];
    let variants = [
        ("e", Vm::Erl, Vm::Erl),
        ("g", Vm::Girder, Vm::Erl),
        ("p", Vm::Erl, Vm::Girder),
    ];
    let outputs: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = variants
            .iter()
            .map(|&(v, dvm, pvm)| {
                let (epmd, ticktime) = (&epmd, &ticktime);
                s.spawn(move || {
                    let p = peer_with(pvm, epmd, &format!("{v}tk_peer{id}"), PEER, ticktime);
                    let dname = format!("{v}tk_drive{id}");
                    let d = node_with(dvm, epmd, &dname, &tick_driver(&p.1), ticktime);
                    let host = p.1.split('@').nth(1).unwrap_or_default().to_string();
                    let out = mask(&finish(d, 60), &p.1, &format!("{dname}@{host}"));
                    drop(p);
                    // dist_util's report that the node does not respond is logged while
                    // the driver prints: its lines apart, without the time stamp.
                    let (shown, report) = split_reports(&out);
                    format!("{shown}\n--- logged ---\n{report}")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let reference = &outputs[0];
    assert!(
        reference.contains("** Node PEER not responding **")
            && reference.contains("idle, still connected: true")
            && reference.contains("nodedown_reason => net_tick_timeout"),
        "erl's own run went wrong:\n{reference}"
    );
    assert_eq!(&outputs[1], reference, "a girder node watching an erl node");
    assert_eq!(&outputs[2], reference, "an erl node watching a girder node");
}

/// OTP's example carrier `gen_tcp_dist` (kernel's `examples`), compiled by erlc into a
/// scratch directory, which is returned.
fn gen_tcp_dist_dir() -> String {
    let src = girder_testkit::otp_root()
        .join("lib")
        .read_dir()
        .expect("OTP's lib")
        .flatten()
        .map(|e| e.path().join("examples/gen_tcp_dist/src/gen_tcp_dist.erl"))
        .find(|p| p.is_file())
        .expect("OTP's kernel examples (gen_tcp_dist.erl)");
    let dir = girder_testkit::scratch_dir("gen_tcp_dist");
    let status = Command::new("erlc")
        .arg("-o")
        .arg(&dir)
        .arg(&src)
        .status()
        .expect("run erlc");
    assert!(status.success(), "erlc {}", src.display());
    dir.to_string_lossy().to_string()
}

/// The fuzzing driver: `N` packets made from seeded random choices (random bytes after
/// the pass-through byte, control tuples of any operation with arguments drawn from a pool
/// of terms, with and without a payload, valid packets cut short or with a byte changed),
/// each written to the peer through the driver's controller process (`gen_tcp_dist`'s
/// `{send, ...}`), reconnecting whenever the peer dropped the connection; then the peer
/// must still answer.
fn fuzz_driver(peer: &str, n: u32) -> String {
    format!(
        r#"
P = '{peer}',
Show = fun(Tag, T) -> io:format("~s: ~p~n", [Tag, T]) end,
rand:seed(exsss, {{1, 2, 3}}),
Pool = [self(), make_ref(), peer, nobody, '', undefined, 0, -1, 1 bsl 70, 1.5, [], [a | b],
        "str", <<>>, <<1, 2, 3>>, <<1:3>>, {{}}, {{self()}}, {{peer, P}}, #{{a => 1}}, [self()],
        {{erlang, node, []}}, {{lists, seq, [1, 3]}}, fun() -> ok end, P, list_to_atom("x@y")],
Pick = fun(L) -> lists:nth(rand:uniform(length(L)), L) end,
Ctrl = fun() ->
    Op = rand:uniform(40) - 1,
    Args = [Pick(Pool) || _ <- lists:seq(1, rand:uniform(7) - 1)],
    term_to_binary(list_to_tuple([Op | Args]))
end,
Valid = fun() ->
    Pick([<<112, (term_to_binary({{6, self(), '', peer}}))/binary, (term_to_binary({{self(), x}}))/binary>>,
          <<112, (term_to_binary({{22, self(), self()}}))/binary, (term_to_binary(hello))/binary>>,
          <<112, (term_to_binary({{19, self(), peer, make_ref()}}))/binary>>])
end,
Gen = fun() ->
    case rand:uniform(5) of
        1 -> <<112, (rand:bytes(rand:uniform(40)))/binary>>;
        2 -> <<112, (Ctrl())/binary>>;
        3 -> <<112, (Ctrl())/binary, (term_to_binary(Pick(Pool)))/binary>>;
        4 -> V = Valid(), binary:part(V, 0, rand:uniform(byte_size(V) - 1));
        5 -> V = Valid(), I = rand:uniform(byte_size(V)) - 1,
             <<A:I/binary, B, C/binary>> = V, <<A/binary, (B bxor rand:uniform(255)), C/binary>>
    end
end,
Send = fun(Pkt) ->
    case net_adm:ping(P) of
        pong ->
            %% The connection may be going down already (dropped for an earlier packet).
            case [C || {{N, C}} <- erlang:system_info(dist_ctrl), N =:= P] of
                [Ctl] ->
                    M = monitor(process, Ctl),
                    R = make_ref(),
                    Ctl ! {{send, self(), R, Pkt}},
                    receive
                        {{R, ok}} -> demonitor(M, [flush]), ok;
                        {{'DOWN', M, _, _, _}} -> ok
                    after 5000 -> timeout
                    end;
                [] -> ok
            end;
        pang -> pang
    end
end,
Results = [Send(Gen()) || _ <- lists:seq(1, {n})],
Show("not sent", lists:usort(Results) -- [ok, pang]),
Show("ping after", net_adm:ping(P)),
{{peer, P}} ! {{self(), still_there}},
receive {{echo, still_there}} -> Show("echo", still_there) after 10000 -> Show("echo", timeout) end,
Show("rpc", rpc:call(P, lists, reverse, [[1, 2, 3]])),
halt().
"#
    )
}

/// Malformed and odd control messages (seeded random ones, see [`fuzz_driver`]) sent to a
/// girder node over each kind of controller: a port (`inet_tcp_dist`, the default) and a
/// process (`gen_tcp_dist`). Each may drop its connection, never the node, which must answer
/// afterwards as an erl node does.
#[test]
fn fuzzed_control_messages_drop_only_their_connection() {
    let dir = gen_tcp_dist_dir();
    let carrier = ["-proto_dist", "gen_tcp", "-pa", dir.as_str()];
    let epmd = start_epmd();
    let id = std::process::id();
    // (peer VM, the peer's carrier).
    let variants: [(&str, Vm, &[&str]); 3] = [
        ("e", Vm::Erl, &[]),
        ("p", Vm::Girder, &[]),
        ("c", Vm::Girder, &carrier),
    ];
    let outputs: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = variants
            .iter()
            .map(|&(v, pvm, pextra)| {
                let (epmd, carrier) = (&epmd, &carrier);
                s.spawn(move || {
                    let p = peer_with(pvm, epmd, &format!("{v}fz_peer{id}"), PEER, pextra);
                    let dname = format!("{v}fz_drive{id}");
                    let d = node_with(Vm::Erl, epmd, &dname, &fuzz_driver(&p.1, 150), carrier);
                    let out = finish(d, 120);
                    let (child, _, _, mut rest) = p;
                    drop(child);
                    let mut log = String::new();
                    let _ = rest.read_to_string(&mut log);
                    (out, log)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                let (out, log) = h.join().unwrap();
                format!("{out}--- peer log ---\n{log}")
            })
            .collect()
    });
    // Only what the driver printed: its own logger may report what the quick reconnections
    // did to `global` (an erl node's as well).
    let summary = |o: &str| split_reports(o.split("--- peer log ---").next().unwrap_or_default()).0;
    let reference = summary(&outputs[0]);
    assert!(
        reference.contains("echo: still_there") && reference.contains("rpc: [3,2,1]"),
        "erl's own run went wrong:\n{}",
        outputs[0]
    );
    assert_eq!(
        summary(&outputs[1]),
        reference,
        "a girder peer on inet_tcp_dist:\n{}",
        outputs[1]
    );
    assert_eq!(
        summary(&outputs[2]),
        reference,
        "a girder peer on gen_tcp_dist:\n{}",
        outputs[2]
    );
}

/// OTP's example of another distribution carrier, `gen_tcp_dist` (in kernel's `examples`),
/// whose connections are run by processes through the `erlang:dist_ctrl_*` BIFs: the
/// whole driver script above, over `-proto_dist gen_tcp`, erl with erl (the reference),
/// girder driving an erl peer, erl driving a girder peer, and girder with girder. The
/// driver also sends the peer a malformed packet through its controller (`gen_tcp_dist`'s
/// `{send, ...}`), which must drop that connection only; the nodes then connect again.
#[test]
fn process_controllers_carry_the_distribution() {
    let dir = gen_tcp_dist_dir();
    let extra = ["-proto_dist", "gen_tcp", "-pa", &dir];
    let epmd = start_epmd();
    let id = std::process::id();
    let variants = [
        ("e", Vm::Erl, Vm::Erl),
        ("g", Vm::Girder, Vm::Erl),
        ("p", Vm::Erl, Vm::Girder),
        ("b", Vm::Girder, Vm::GirderEmu),
    ];
    let outputs: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = variants
            .iter()
            .map(|&(v, dvm, pvm)| {
                let (epmd, extra) = (&epmd, &extra);
                s.spawn(move || {
                    let p = peer_with(pvm, epmd, &format!("{v}gt_peer{id}"), PEER, extra);
                    let dname = format!("{v}gt_drive{id}");
                    // Each side's connection is run by a process.
                    let script = driver(&p.1).replace(
                        "Show(\"nodes\", nodes() =:= [P]),",
                        "Show(\"nodes\", nodes() =:= [P]),\n\
                         Show(\"controllers\", {[is_pid(C) || {N, C} <- erlang:system_info(dist_ctrl), N =:= P], \
                         [is_pid(C) || {_, C} <- rpc:call(P, erlang, system_info, [dist_ctrl])]}),\n\
                         true = monitor_node(P, true),\n\
                         [Ctl] = [C || {N, C} <- erlang:system_info(dist_ctrl), N =:= P],\n\
                         GRef = make_ref(),\n\
                         Ctl ! {send, self(), GRef, <<112, 255, 1, 2, 3>>},\n\
                         receive {GRef, ok} -> ok after 5000 -> Show(\"garbage sent\", timeout) end,\n\
                         receive {nodedown, P} -> Show(\"garbage\", nodedown) after 10000 -> Show(\"garbage\", timeout) end,\n\
                         Show(\"ping again\", net_adm:ping(P)),",
                    );
                    let d = node_with(dvm, epmd, &dname, &script, extra);
                    let host = p.1.split('@').nth(1).unwrap_or_default().to_string();
                    let out = mask(&finish(d, 60), &p.1, &format!("{dname}@{host}"));
                    drop(p);
                    out
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let reference = &outputs[0];
    assert!(
        reference.contains("ping: pong")
            && reference.contains("controllers: {[true],[true]}")
            && reference.contains("garbage: nodedown")
            && reference.contains("down lost: noconnection"),
        "erl's own run went wrong:\n{reference}"
    );
    assert_eq!(&outputs[1], reference, "girder driving an erl peer");
    assert_eq!(&outputs[2], reference, "erl driving a girder peer");
    assert_eq!(
        &outputs[3], reference,
        "girder driving a girder peer (interpreting)"
    );
}

/// A member of the three-node cluster: registers a global name of its own, holds two
/// clashing global names (`clash1` with the default resolution, `clash2` with
/// `notify_all_name`), joins pg group `workers`, and answers the driver.
const CLUSTER_PEER: &str = r#"
[Name, _] = string:split(atom_to_list(node()), "@"),
{port, Port, _} = erl_epmd:port_please(Name, {127,0,0,1}),
register(peer, self()),
Self = self(),
H1 = spawn(fun() -> receive stop -> ok end end),
yes = global:register_name(clash1, H1),
H2 = spawn(fun L() -> receive {global_name_conflict, N, _} -> Self ! {conflict, N}, L() end end),
yes = global:register_name(clash2, H2, fun global:notify_all_name/3),
yes = global:register_name(list_to_atom("own_" ++ [lists:nth(2, Name)]), self()),
{ok, _} = pg:start(pg),
ok = pg:join(workers, self()),
io:format("~w ~w~n", [node(), Port]),
Loop = fun Loop(Cs) ->
    receive
        {conflict, N} -> Loop([N | Cs]);
        {From, state} -> From ! {state, node(), is_process_alive(H1), lists:sort(Cs)}, Loop(Cs);
        {From, watch, Node} ->
            spawn(fun() ->
                true = monitor_node(Node, true),
                From ! {watching, node()},
                receive {nodedown, Node} -> From ! {saw_nodedown, node(), Node}
                after 10000 -> From ! {saw_timeout, node()} end
            end),
            Loop(Cs);
        _ -> Loop(Cs)
    end
end,
Loop([]).
"#;

/// The driver of the three-node cluster (`b` and `c` are the peers' node names).
fn cluster_driver(b: &str, c: &str) -> String {
    format!(
        r#"
{{B, C}} = {{'{b}', '{c}'}},
Me = node(),
All = lists:sort([Me, B, C]),
Show = fun(Tag, T) -> io:format("~s: ~p~n", [Tag, T]) end,
Until = fun Until(F, 0) -> F(); Until(F, N) -> case F() of true -> true; _ -> timer:sleep(50), Until(F, N - 1) end end,
ok = net_kernel:monitor_nodes(true, #{{node_type => all}}),
Show("ping", [net_adm:ping(B), net_adm:ping(C)]),
Show("nodeups", [receive {{nodeup, N, I}} -> {{N, I}} after 5000 -> timeout end || N <- [B, C]]),
Show("mesh", Until(fun() -> lists:all(fun(N) -> lists:sort([N | rpc:call(N, erlang, nodes, [])]) =:= All end, All) end, 100)),
Show("sync", [rpc:call(N, global, sync, []) || N <- All]),
Show("nodes", {{lists:sort(nodes()), lists:sort(nodes(connected)), nodes(this), nodes(hidden)}}),
Show("nodes/2", lists:sort([{{N, maps:remove(connection_id, I)}} || {{N, I}} <- nodes([this, visible], #{{connection_id => true, node_type => true}})])),
Job = fun() ->
    Ns = lists:sort([node() | nodes()]),
    I = length(lists:takewhile(fun(N) -> N =/= node() end, Ns)) + 1,
    {{I, lists:sum([X * X || X <- lists:seq(I, 3000, 3)])}}
end,
Parts = erpc:multicall(All, erlang, apply, [Job, []]),
Show("job parts", Parts),
Show("job total", lists:sum([S || {{ok, {{_, S}}}} <- Parts]) =:= lists:sum([X * X || X <- lists:seq(1, 3000)])),
Show("multicall node", erpc:multicall(All, erlang, node, [])),
Show("multicall exit", erpc:multicall([B, C], erlang, exit, [bye])),
Show("multicall timeout", erpc:multicall([B, C], timer, sleep, [1000], 100)),
Show("register", global:register_name(master, self())),
Show("register taken", global:register_name(master, spawn(fun() -> ok end))),
Show("seen", [rpc:call(N, global, whereis_name, [master]) =:= self() || N <- [B, C]]),
Show("clash agreed", Until(fun() ->
    W = [rpc:call(N, global, whereis_name, [clash1]) || N <- All],
    is_pid(hd(W)) andalso lists:usort(W) =:= [hd(W)] end, 100)),
Show("clash1 kept on", node(global:whereis_name(clash1))),
Show("clash2", [rpc:call(N, global, whereis_name, [clash2]) || N <- All]),
State = fun(N) -> {{peer, N}} ! {{self(), state}}, receive {{state, N, Alive, Cs}} -> {{N, Alive, Cs}} after 5000 -> timeout end end,
Show("conflicts seen", Until(fun() -> [Cs || {{_, _, Cs}} <- [State(B), State(C)]] =:= [[clash2], [clash2]] end, 100)),
Show("peer states", [State(B), State(C)]),
Show("global names", lists:sort(global:registered_names())),
Show("global send", global:send(own_b, {{self(), state}}) =:= global:whereis_name(own_b)),
receive {{state, _, _, _}} -> ok after 5000 -> Show("global send", timeout) end,
{{ok, _}} = pg:start(pg),
ok = pg:join(workers, self()),
Where = fun(Ps) -> lists:sort([node(P) || P <- Ps]) end,
Show("pg members", Until(fun() -> Where(pg:get_members(workers)) =:= All end, 100)),
Show("pg remote view", [Where(rpc:call(N, pg, get_members, [workers])) || N <- [B, C]]),
Show("pg groups", pg:which_groups()),
Show("pg local", pg:get_local_members(workers) =:= [self()]),
{{Ref, Groups}} = pg:monitor_scope(),
Show("pg scope", maps:map(fun(_, Ps) -> Where(Ps) end, Groups)),
{{peer, B}} ! {{self(), watch, C}},
receive {{watching, B}} -> ok after 5000 -> Show("watch", timeout) end,
true = monitor_node(C, true),
CPeer = rpc:call(C, erlang, whereis, [peer]),
Mon = monitor(process, CPeer),
ok = net_kernel:monitor_nodes(true, #{{nodedown_reason => true}}),
erpc:cast(C, erlang, halt, []),
receive {{'DOWN', Mon, process, CPeer, R1}} -> Show("down", R1) after 10000 -> Show("down", timeout) end,
receive {{nodedown, C}} -> Show("monitor_node", nodedown) after 10000 -> Show("monitor_node", timeout) end,
receive {{nodedown, C, I1}} when is_map_key(node_type, I1) -> Show("monitor_nodes", I1) after 10000 -> Show("monitor_nodes", timeout) end,
receive {{nodedown, C, I2}} -> Show("monitor_nodes reason", I2) after 10000 -> Show("monitor_nodes reason", timeout) end,
receive {{saw_nodedown, B, C}} -> Show("B saw", nodedown) after 10000 -> Show("B saw", timeout) end,
receive {{Ref, leave, workers, Left}} -> Show("pg leave", Where(Left)) after 10000 -> Show("pg leave", timeout) end,
Show("pg after", Where(pg:get_members(workers))),
Show("global after", Until(fun() -> global:whereis_name(own_c) =:= undefined end, 100)),
Show("global names after", lists:sort(global:registered_names())),
Show("nodes after", nodes()),
Show("multicall after", erpc:multicall(All, erlang, node, [])),
Show("disconnect", erlang:disconnect_node(B)),
receive {{nodedown, B, I3}} when is_map_key(node_type, I3) -> Show("disconnected", I3) after 10000 -> Show("disconnected", timeout) end,
receive {{nodedown, B, I4}} -> Show("disconnect reason", I4) after 10000 -> Show("disconnect reason", timeout) end,
receive {{Ref, leave, workers, Left2}} -> Show("pg leave B", Where(Left2)) after 10000 -> Show("pg leave B", timeout) end,
Show("disconnect again", erlang:disconnect_node(B)),
Show("nodes at end", nodes()),
Show("left", process_info(self(), messages)),
halt().
"#
    )
}

/// `output` without `global`'s warnings that it disconnected a node to prevent overlapping
/// partitions: whether one is logged when a node goes down depends on which of the others
/// notices first, in erl as in girder.
fn without_overlap_warnings(output: &str) -> String {
    let mut out = Vec::new();
    let mut lines = output.lines().peekable();
    while let Some(line) = lines.next() {
        if line.starts_with("=WARNING REPORT====")
            && lines
                .peek()
                .is_some_and(|l| l.contains("in order to prevent overlapping partitions"))
        {
            lines.next();
            continue;
        }
        out.push(line);
    }
    out.join("\n") + "\n"
}

/// Three nodes on one private epmd: OTP's `global` (registration seen everywhere, a name
/// clash resolved both ways), `pg` (members on every node), an `erpc:multicall` job, and a
/// node going down seen through `monitor/2`, `monitor_node/2`, `net_kernel:monitor_nodes/2`
/// and `pg:monitor_scope/0`. The driver's output with three erl nodes is the reference; three
/// girder nodes, and a girder driver with an erl and a girder peer (with the JIT, and
/// interpreting: `-emu_flavor emu`), must print the same.
#[test]
fn three_node_cluster() {
    let epmd = start_epmd();
    let id = std::process::id();
    // (driver, b, c): the VM of each.
    let variants = [
        ("e", [Vm::Erl, Vm::Erl, Vm::Erl]),
        ("g", [Vm::Girder, Vm::Girder, Vm::Girder]),
        ("m", [Vm::Girder, Vm::Erl, Vm::Girder]),
        ("i", [Vm::GirderEmu, Vm::Erl, Vm::GirderEmu]),
    ];
    let outputs: Vec<(String, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = variants
            .iter()
            .map(|&(v, [a, b, c])| {
                let epmd = &epmd;
                s.spawn(move || {
                    let (bn, cn) = (format!("{v}b_peer{id}"), format!("{v}c_peer{id}"));
                    let (pb, pc) = std::thread::scope(|s| {
                        let pb = s.spawn(|| peer_on(b, epmd, &bn, CLUSTER_PEER));
                        let pc = s.spawn(|| peer_on(c, epmd, &cn, CLUSTER_PEER));
                        (pb.join().unwrap(), pc.join().unwrap())
                    });
                    let dname = format!("{v}a_drive{id}");
                    let d = node_on(a, epmd, &dname, &cluster_driver(&pb.1, &pc.1));
                    let host = pb.1.split('@').nth(1).unwrap_or_default().to_string();
                    let out = without_overlap_warnings(&finish(d, 60))
                        .replace(&pb.1, "B")
                        .replace(&pc.1, "C")
                        .replace(&format!("{dname}@{host}"), "A");
                    let mut logs = String::new();
                    for (child, _, _, mut rest) in [pb, pc] {
                        drop(child);
                        let _ = rest.read_to_string(&mut logs);
                    }
                    (out, logs)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let reference = &outputs[0].0;
    assert!(
        reference.contains("job total: true") && reference.contains("B saw: nodedown"),
        "erl's own run went wrong:\n{reference}\n{}",
        outputs[0].1
    );
    assert_eq!(
        &outputs[1].0, reference,
        "three girder nodes\n{}",
        outputs[1].1
    );
    assert_eq!(
        &outputs[2].0, reference,
        "a girder driver, an erl and a girder peer\n{}",
        outputs[2].1
    );
    assert_eq!(
        &outputs[3].0, reference,
        "the same with girder interpreting (-emu_flavor emu)\n{}",
        outputs[3].1
    );
}

/// The mnesia driver: one schema on both nodes, a `ram_copies` and a `disc_copies` table
/// replicated on both, each written on one node and read on the other.
fn mnesia_driver(peer: &str, dir: &str) -> String {
    format!(
        r#"
P = '{peer}',
Show = fun(Tag, T) -> io:format("~s: ~p~n", [Tag, T]) end,
Show("ping", net_adm:ping(P)),
ok = logger:set_primary_config(level, warning),
ok = rpc:call(P, logger, set_primary_config, [level, warning]),
ok = application:set_env(mnesia, dir, "{dir}/driver"),
ok = rpc:call(P, application, set_env, [mnesia, dir, "{dir}/peer"]),
Show("schema", mnesia:create_schema([node(), P])),
Show("start", [rpc:call(N, mnesia, start, []) || N <- [node(), P]]),
Show("ram table", mnesia:create_table(kv, [{{ram_copies, [node(), P]}}])),
Show("disc table", mnesia:create_table(dk, [{{disc_copies, [node(), P]}}])),
Show("wait", rpc:call(P, mnesia, wait_for_tables, [[kv, dk], 10000])),
Show("write here", mnesia:sync_transaction(fun() -> mnesia:write({{kv, a, 1}}) end)),
Show("read there", rpc:call(P, mnesia, dirty_read, [kv, a])),
Show("write there", rpc:call(P, mnesia, sync_transaction, [fun() -> mnesia:write({{kv, b, 2}}) end])),
Show("read here", mnesia:dirty_read(kv, b)),
Show("disc there", rpc:call(P, mnesia, sync_transaction, [fun() -> mnesia:write({{dk, x, lists:seq(1, 100)}}) end])),
Show("disc here", mnesia:dirty_read(dk, x) =:= [{{dk, x, lists:seq(1, 100)}}]),
Show("both", [lists:sort(rpc:call(N, mnesia, dirty_all_keys, [kv])) || N <- [node(), P]]),
Show("copies", lists:sort(mnesia:table_info(kv, ram_copies)) =:= lists:sort([node(), P])),
Show("stop", [rpc:call(N, mnesia, stop, []) || N <- [P, node()]]),
halt().
"#
    )
}

/// mnesia with one table replicated between two nodes, written on each and read on the
/// other: erl with erl (the reference), a girder driver with an erl peer, and an erl
/// driver with a girder peer.
#[test]
fn mnesia_replicated_between_erl_and_girder() {
    let epmd = start_epmd();
    let id = std::process::id();
    let variants = [("e", false, false), ("g", true, false), ("p", false, true)];
    let outputs: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = variants
            .iter()
            .map(|&(v, driver_girder, peer_girder)| {
                let epmd = &epmd;
                s.spawn(move || {
                    let dir = girder_testkit::scratch_dir(&format!("mnesia-{v}"));
                    let p = peer(peer_girder, epmd, &format!("{v}mn_peer{id}"));
                    let script = mnesia_driver(&p.1, &dir.to_string_lossy());
                    let d = node(driver_girder, epmd, &format!("{v}mn_drive{id}"), &script);
                    let out = finish(d, 60);
                    drop(p);
                    out
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let reference = &outputs[0];
    assert!(
        reference.contains("read there: [{kv,a,1}]") && reference.contains("disc here: true"),
        "erl's own run went wrong:\n{reference}"
    );
    assert_eq!(&outputs[1], reference, "a girder driver, an erl peer");
    assert_eq!(&outputs[2], reference, "an erl driver, a girder peer");
}
