//! Sockets between two VMs: a TCP server and a client, each run by erl or by girder, on
//! 127.0.0.1. The server prints the port it listens on (an ephemeral one), the client
//! connects to it; what each then prints must be the same whichever VM runs it and
//! whichever runs the other side (erl with erl being the reference).

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const SERVER: &str = r#"
{ok, L} = gen_tcp:listen(0, [binary, {active, false}, {ip, {127,0,0,1}}, {packet, 2}]),
{ok, P} = inet:port(L),
io:format("~p~n", [P]),
{ok, S} = gen_tcp:accept(L, 20000),
Loop = fun Loop(N) ->
    case gen_tcp:recv(S, 0, 20000) of
        {ok, D} -> ok = gen_tcp:send(S, [<<"echo ">>, D]), Loop(N + 1);
        Other -> io:format("server: ~p after ~p packets~n", [Other, N])
    end
end,
Loop(0),
halt().
"#;

fn client(port: &str) -> String {
    format!(
        r#"
{{ok, C}} = gen_tcp:connect({{127,0,0,1}}, {port}, [binary, {{active, true}}, {{packet, 2}}]),
[ok = gen_tcp:send(C, M) || M <- [<<"a">>, <<"hello">>, binary:copy(<<"x">>, 3000)]],
Got = [receive {{tcp, C, D}} -> D after 20000 -> timeout end || _ <- [1, 2, 3]],
io:format("client: ~p~n", [[{{byte_size(G), binary:part(G, 0, min(8, byte_size(G)))}} || G <- Got]]),
ok = gen_tcp:close(C),
halt().
"#
    )
}

fn vm(girder: bool) -> Command {
    if girder {
        Command::new(env!("CARGO_BIN_EXE_girder"))
    } else {
        Command::new("erl")
    }
}

fn spawn(girder: bool, expr: &str) -> Child {
    vm(girder)
        .args(["-noshell", "-eval", expr])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the VM (erl must be installed)")
}

/// Run a server on one VM and a client on the other; what each printed after the port.
fn run(server_girder: bool, client_girder: bool) -> (String, String) {
    let mut server = spawn(server_girder, SERVER);
    let mut out = BufReader::new(server.stdout.take().unwrap());
    let mut port = String::new();
    out.read_line(&mut port).unwrap();
    let port = port.trim().to_owned();
    assert!(
        port.parse::<u16>().is_ok(),
        "the server printed {port:?} instead of its port"
    );
    let client = spawn(client_girder, &client(&port));
    let client_out = wait(client);
    let mut server_out = String::new();
    out.read_to_string(&mut server_out).unwrap();
    let _ = wait(server);
    (server_out, client_out)
}

fn wait(child: Child) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    let id = child.id();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => {
            let out = out.unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr)
        }
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &id.to_string()]).status();
            panic!("a VM did not finish in 60 s");
        }
    }
}

#[test]
fn tcp_between_erl_and_girder() {
    let reference = run(false, false);
    assert!(reference.1.starts_with("client: "), "{reference:?}");
    for (server_girder, client_girder) in [(true, false), (false, true), (true, true)] {
        let got = run(server_girder, client_girder);
        assert_eq!(
            got,
            reference,
            "server on {}, client on {}",
            if server_girder { "girder" } else { "erl" },
            if client_girder { "girder" } else { "erl" }
        );
    }
}
