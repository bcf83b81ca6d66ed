//! Distributed Erlang: what erts does natively for OTP's own `net_kernel`, `dist_util`,
//! `inet_tcp_dist`, `auth` and `erl_epmd`, which run unmodified.
//!
//! - The node's name and creation (`erlang:setnode/2`), `node/0,1`, `nodes/0,1`,
//!   `monitor_node/2,3`, the `erts_internal` calls `net_kernel` and `dist_util` make
//!   (`get_dflags/0`, `get_creation/0`, `new_connection/1`, `abort_pending_connection/2`,
//!   `create_dist_channel/3`, `dynamic_node_name/0,1`, `dist_spawn_request/4`).
//! - One connection per node: pending (sending to a node not connected queues the packet
//!   and asks `net_kernel` to connect, `{auto_connect, Node, ConnId}`, as erts does), then up
//!   on its controller port (`inet_tcp_dist`'s socket, handed over by `create_dist_channel`):
//!   the port's packets with `{deliver, port}` come here (`input`), ours go out through
//!   `inet::dist_write`.
//! - Packets: no distribution header and no atom cache (girder offers neither
//!   `DFLAG_DIST_HDR_ATOM_CACHE` nor `DFLAG_FRAGMENTS`, so each packet is `112` (pass
//!   through), a control message, and for messages the payload, in the external format).
//! - Monitors of remote processes (`MONITOR_P`, `DEMONITOR_P`, `MONITOR_P_EXIT`), remote
//!   processes monitoring local ones, `spawn_request` both ways (`SPAWN_REQUEST`,
//!   `SPAWN_REPLY`), sends (`SEND_SENDER`, `REG_SEND`, `ALIAS_SEND`); a lost connection
//!   gives `noconnection` to monitors and spawn requests and `{nodedown, Node}` to
//!   `monitor_node` watchers; links across nodes (`LINK`, `UNLINK`, `EXIT`, `EXIT2`, kept
//!   here, not in the processes' link sets: `process_info(P, links)` does not list them)
//!   get `noconnection`.
//!
//! Locks: `STATE` is never held while a port's lock is taken (a port that closes calls
//! [`port_closed`] with its own lock held); packets are written through the connection's
//! `Out`, whose lock orders them.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use girder_format::Term as F;
use girder_format::etf;
use girder_runtime::bif::{BifError, BifResult};
use girder_runtime::port::inet;
use girder_runtime::sched::table::Owned;
use girder_runtime::{Process, module, sched};
use girder_term::heap::LiteralArea;
use girder_term::object as obj;
use girder_term::{Atom, Term, convert};

use crate::Entry;

pub const BIFS: &[Entry] = &[
    ("erlang", "node", 0, |_, _| {
        Ok(Term::atom(obj::this_node().0))
    }),
    ("erlang", "node", 1, node1),
    ("erlang", "setnode", 2, setnode2),
    ("erlang", "nodes", 0, |p, _| nodes(p, &[Kind::Visible])),
    ("erlang", "nodes", 1, nodes1),
    ("erlang", "nodes", 2, nodes2),
    ("erlang", "monitor_node", 2, |p, a| {
        monitor_node(p, a[0], a[1])
    }),
    ("erlang", "monitor_node", 3, |p, a| {
        crate::util::list_arg(a[2])?;
        monitor_node(p, a[0], a[1])
    }),
    ("erlang", "dist_get_stat", 1, dist_get_stat),
    ("erlang", "dist_ctrl_put_data", 2, dist_ctrl_put_data),
    ("erlang", "dist_ctrl_get_data", 1, dist_ctrl_get_data),
    (
        "erlang",
        "dist_ctrl_get_data_notification",
        1,
        dist_ctrl_get_data_notification,
    ),
    (
        "erlang",
        "dist_ctrl_input_handler",
        2,
        dist_ctrl_input_handler,
    ),
    ("erlang", "dist_ctrl_get_opt", 2, |p, a| {
        dist_ctrl_opt(p, a[0], a[1], None)
    }),
    ("erlang", "dist_ctrl_set_opt", 3, |p, a| {
        dist_ctrl_opt(p, a[0], a[1], Some(a[2]))
    }),
    ("erts_internal", "get_dflags", 0, get_dflags),
    ("erts_internal", "get_creation", 0, |_, _| {
        Ok(Term::small(i64::from(obj::this_node().1)))
    }),
    ("erts_internal", "dynamic_node_name", 0, |_, _| {
        Ok(Term::boolean(DYNAMIC_NAME.load(Ordering::Relaxed)))
    }),
    ("erts_internal", "dynamic_node_name", 1, |_, a| {
        let on = a[0].as_atom() == Some(Atom::TRUE);
        if !on && a[0].as_atom() != Some(Atom::FALSE) {
            return Err(BifError::BADARG);
        }
        DYNAMIC_NAME.store(on, Ordering::Relaxed);
        Ok(Term::boolean(true))
    }),
    ("erts_internal", "new_connection", 1, new_connection),
    (
        "erts_internal",
        "abort_pending_connection",
        2,
        abort_pending,
    ),
    (
        "erts_internal",
        "create_dist_channel",
        3,
        create_dist_channel,
    ),
    ("erts_internal", "dist_spawn_request", 4, dist_spawn_request),
    ("erlang", "spawn_request_abandon", 1, spawn_request_abandon),
];

// Control message operations.
const LINK: i64 = 1;
const SEND: i64 = 2;
const EXIT: i64 = 3;
const UNLINK: i64 = 4;
const REG_SEND: i64 = 6;
const GROUP_LEADER: i64 = 7;
const EXIT2: i64 = 8;
const SEND_TT: i64 = 12;
const REG_SEND_TT: i64 = 16;
const MONITOR_P: i64 = 19;
const DEMONITOR_P: i64 = 20;
const MONITOR_P_EXIT: i64 = 21;
const SEND_SENDER: i64 = 22;
const SEND_SENDER_TT: i64 = 23;
const SPAWN_REQUEST: i64 = 29;
const SPAWN_REQUEST_TT: i64 = 30;
const SPAWN_REPLY: i64 = 31;
const SPAWN_REPLY_TT: i64 = 32;
const ALIAS_SEND: i64 = 33;
const ALIAS_SEND_TT: i64 = 34;
const UNLINK_ID: i64 = 35;

// Distribution flags (OTP's dist.hrl).
const DFLAG_PUBLISHED: u64 = 0x1;
const DFLAG_EXTENDED_REFERENCES: u64 = 0x4;
const DFLAG_DIST_MONITOR: u64 = 0x8;
const DFLAG_FUN_TAGS: u64 = 0x10;
const DFLAG_DIST_MONITOR_NAME: u64 = 0x20;
const DFLAG_NEW_FUN_TAGS: u64 = 0x80;
const DFLAG_EXTENDED_PIDS_PORTS: u64 = 0x100;
const DFLAG_EXPORT_PTR_TAG: u64 = 0x200;
const DFLAG_BIT_BINARIES: u64 = 0x400;
const DFLAG_NEW_FLOATS: u64 = 0x800;
const DFLAG_UNICODE_IO: u64 = 0x1000;
const DFLAG_SMALL_ATOM_TAGS: u64 = 0x4000;
const DFLAG_UTF8_ATOMS: u64 = 0x10000;
const DFLAG_MAP_TAG: u64 = 0x20000;
const DFLAG_BIG_CREATION: u64 = 0x40000;
const DFLAG_SEND_SENDER: u64 = 0x80000;
const DFLAG_HANDSHAKE_23: u64 = 0x100_0000;
const DFLAG_SPAWN: u64 = 1 << 32;
const DFLAG_ALIAS: u64 = 1 << 35;

/// What OTP 25 requires of every peer.
const MANDATORY: u64 = DFLAG_EXTENDED_REFERENCES
    | DFLAG_FUN_TAGS
    | DFLAG_EXTENDED_PIDS_PORTS
    | DFLAG_UTF8_ATOMS
    | DFLAG_NEW_FUN_TAGS
    | DFLAG_BIG_CREATION
    | DFLAG_NEW_FLOATS
    | DFLAG_MAP_TAG
    | DFLAG_EXPORT_PTR_TAG
    | DFLAG_BIT_BINARIES
    | DFLAG_HANDSHAKE_23;

/// What girder offers: the mandatory set and what this module implements
/// (`dist_util` adds `DFLAG_PUBLISHED` unless the node is hidden).
const DEFAULT: u64 = MANDATORY
    | DFLAG_DIST_MONITOR
    | DFLAG_DIST_MONITOR_NAME
    | DFLAG_UNICODE_IO
    | DFLAG_SMALL_ATOM_TAGS
    | DFLAG_SEND_SENDER
    | DFLAG_SPAWN
    | DFLAG_ALIAS;

/// The pass-through byte that starts a packet without a distribution header.
const PASS_THROUGH: u8 = 112;

/// The connection id of this node's own `nodeup` (`undefined` in the info).
const NO_CONN_ID: u64 = u64::MAX;

static DYNAMIC_NAME: AtomicBool = AtomicBool::new(false);
/// Set once this node has had a connection: until then a process's exit has nothing here.
static USED: AtomicBool = AtomicBool::new(false);
static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// Where a connection's packets go: queued while it is pending, then its port.
#[derive(Default)]
struct Out {
    /// Set when the connection is gone (without taking `out`, whose holder may be waiting
    /// for the port's lock).
    closed: AtomicBool,
    out: Mutex<OutQueue>,
}

#[derive(Default)]
struct OutQueue {
    port: Option<u64>,
    /// A process controller (`erlang:setnode/3` with a pid): packets wait in `queue` until
    /// it takes them with `dist_ctrl_get_data/1`.
    ctrl: Option<u64>,
    /// The controller asked to be told when a packet is queued
    /// (`dist_ctrl_get_data_notification/1`): it then gets `dist_data`, once.
    notify: bool,
    queue: VecDeque<Vec<u8>>,
    /// The bytes in `queue` (what `dist_get_stat/1` reports as pending).
    bytes: usize,
    /// Packets the controller process took (what `dist_get_stat/1` reports as written).
    taken: u64,
}

impl Out {
    fn lock(&self) -> std::sync::MutexGuard<'_, OutQueue> {
        self.out.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A monitor a local process holds on a process of another node.
struct OutMonitor {
    /// The first element of its `DOWN` message (`'DOWN'`, or the monitor's `{tag, Tag}`).
    tag: F,
    watcher: u64,
    node: Atom,
    /// The monitor's reference.
    reference: F,
    /// What the `DOWN` message names: the pid, or `{Name, Node}`.
    shown: F,
    /// What `MONITOR_P` named: the pid or the name.
    target: F,
}

/// A monitor a process of another node holds on a local process.
struct InMonitor {
    node: Atom,
    watcher: F,
    reference: F,
    /// The pid or name the monitor was set on (what `MONITOR_P_EXIT` names).
    target: F,
}

/// A `spawn_request` to another node waiting for its reply.
struct PendingSpawn {
    node: Atom,
    requester: u64,
    reference: F,
    tag: F,
    reply_ok: bool,
    reply_error: bool,
    monitor: bool,
    monitor_tag: F,
    link: bool,
}

struct Conn {
    id: u64,
    up: bool,
    port: Option<u64>,
    /// The controller process, when the controller is not a port.
    ctrl: Option<u64>,
    /// Who may call `dist_ctrl_put_data/2` (the controller unless it named another).
    input_handler: u64,
    /// `dist_ctrl_get_data/1` answers `{Size, Data}` (`dist_ctrl_set_opt/3`'s `get_size`).
    get_size: bool,
    flags: u64,
    /// The other node's creation (from the handshake).
    creation: u32,
    out: Arc<Out>,
    received: u64,
    sent: u64,
}

impl Conn {
    /// A connection not yet up, with the next connection id.
    fn pending() -> Conn {
        Conn {
            id: NEXT_CONN.fetch_add(1, Ordering::Relaxed),
            up: false,
            port: None,
            ctrl: None,
            input_handler: 0,
            get_size: false,
            flags: 0,
            creation: 0,
            out: Arc::new(Out::default()),
            received: 0,
            sent: 0,
        }
    }
}

#[derive(Default)]
struct State {
    conns: HashMap<Atom, Conn>,
    by_port: HashMap<u64, Atom>,
    /// Controller processes and the node each serves.
    by_ctrl: HashMap<u64, Atom>,
    /// By the encoded reference.
    out_monitors: HashMap<Vec<u8>, OutMonitor>,
    /// By the local process monitored.
    in_monitors: HashMap<u64, Vec<InMonitor>>,
    spawns: HashMap<Vec<u8>, PendingSpawn>,
    /// Spawn requests abandoned before their reply came (`spawn_request_abandon/1`): the
    /// reply undoes the link and monitor the new process got.
    abandoned: HashMap<Vec<u8>, PendingSpawn>,
    /// `monitor_node/2` watchers per node (a watcher once per call).
    node_watchers: HashMap<Atom, Vec<u64>>,
    /// `net_kernel:monitor_nodes/1,2` subscriptions, in order.
    node_monitors: Vec<NodeMonitor>,
    /// Links between local processes and processes of other nodes, by local pid and the
    /// encoded remote pid.
    links: HashMap<(u64, Vec<u8>), (Atom, F)>,
}

/// A `process_flag(monitor_nodes, true)` or `process_flag({monitor_nodes, Opts}, true)`.
#[derive(Clone, PartialEq)]
struct NodeMonitor {
    watcher: u64,
    /// The options given (`None` for the plain flag): messages carry an info map, or an info
    /// list with `list` (net_kernel's list form of the options).
    info: bool,
    list: bool,
    /// 0 visible, 1 hidden, 2 all.
    node_type: u8,
    /// Whether `node_type` was given (the info then names the node's type).
    type_given: bool,
    connection_id: bool,
    nodedown_reason: bool,
}

static STATE: LazyLock<Mutex<State>> = LazyLock::new(|| Mutex::new(State::default()));

fn state() -> std::sync::MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The hooks the runtime calls.
pub fn hooks() -> girder_runtime::dist::Hooks {
    girder_runtime::dist::Hooks {
        send: hook_send,
        input,
        port_closed,
        exited,
    }
}

fn atom(s: &str) -> F {
    F::Atom(s.to_string())
}

fn key(t: &F) -> Vec<u8> {
    etf::encode(t)
}

fn this_pid(id: u64) -> F {
    convert::to_format(Term::pid(id))
}

fn alive() -> bool {
    obj::this_node().0 != Atom::NONODE
}

/// A packet: pass-through, the control message, and the payload if any.
fn packet(ctrl: &F, payload: Option<&F>) -> Option<Vec<u8>> {
    let opts = etf::EncodeOptions { utf8_atoms: true };
    let mut out = vec![PASS_THROUGH];
    out.extend(etf::try_encode_with(ctrl, opts).ok()?);
    if let Some(p) = payload {
        out.extend(etf::try_encode_with(p, opts).ok()?);
    }
    Some(out)
}

/// Build `t` as a message owned by nobody yet.
fn owned(t: &F) -> Option<Owned> {
    let mut area = LiteralArea::new();
    let term =
        convert::from_format_with(&mut area, t, &mut crate::external::Resolver { safe: false })
            .ok()?;
    Some(Owned { term, area })
}

fn deliver(to: u64, msg: &F) {
    if let Some(m) = owned(msg) {
        sched::deliver(to, m);
    }
}

/// The node's connection (asking `net_kernel` for one when there is none); `None` when this
/// node is not alive or `node` is this node.
fn conn_out(node: Atom) -> Option<Arc<Out>> {
    if !alive() || node == obj::this_node().0 {
        return None;
    }
    let mut s = state();
    if let Some(c) = s.conns.get_mut(&node) {
        c.sent += 1;
        return Some(c.out.clone());
    }
    let kernel = sched::registered_id(Atom::intern("net_kernel"))?;
    let conn = Conn {
        sent: 1,
        ..Conn::pending()
    };
    let (id, out) = (conn.id, conn.out.clone());
    s.conns.insert(node, conn);
    USED.store(true, Ordering::Relaxed);
    drop(s);
    let msg = F::Tuple(vec![
        atom("auto_connect"),
        F::Atom(node.name().to_string()),
        F::Int(id as i64),
    ]);
    deliver(kernel, &msg);
    Some(out)
}

/// Send a packet to `node` (queued while the connection is pending); false when there is
/// no connection to be had.
fn send_to(node: Atom, ctrl: &F, payload: Option<&F>) -> bool {
    let Some(out) = conn_out(node) else {
        return false;
    };
    let Some(bytes) = packet(ctrl, payload) else {
        return false;
    };
    write(&out, bytes);
    true
}

fn write(out: &Out, bytes: Vec<u8>) {
    if out.closed.load(Ordering::Acquire) {
        return;
    }
    let mut o = out.lock();
    if let Some(port) = o.port {
        inet::dist_write(port, &bytes);
        return;
    }
    o.bytes += bytes.len();
    o.queue.push_back(bytes);
    if let Some(ctrl) = o.ctrl
        && o.notify
    {
        o.notify = false;
        drop(o);
        deliver(ctrl, &atom("dist_data"));
    }
}

fn node_of(t: Term) -> Option<Atom> {
    obj::ident(t).map(|i| i.node)
}

/// `!` to a pid or alias of another node, or `{Name, Node}`.
fn hook_send(p: &mut Process, to: Term, msg: Term) -> bool {
    let from = this_pid(p.id);
    let (node, ctrl) = if obj::is_pid(to) && !to.is_local_pid() {
        let node = node_of(to).expect("a pid");
        (
            node,
            F::Tuple(vec![F::Int(SEND_SENDER), from, convert::to_format(to)]),
        )
    } else if obj::is_ref(to) && !obj::is_local_ref(to) {
        let node = node_of(to).expect("a reference");
        (
            node,
            F::Tuple(vec![F::Int(ALIAS_SEND), from, convert::to_format(to)]),
        )
    } else if obj::is_tuple(to) && obj::tuple_arity(to) == 2 {
        let (Some(name), Some(node)) = (
            obj::tuple_element(to, 0).as_atom(),
            obj::tuple_element(to, 1).as_atom(),
        ) else {
            return false;
        };
        if node == obj::this_node().0 {
            return false;
        }
        (
            node,
            F::Tuple(vec![
                F::Int(REG_SEND),
                from,
                atom(""),
                F::Atom(name.name().to_string()),
            ]),
        )
    } else {
        return false;
    };
    // To a node that cannot be reached the message is dropped, as in OTP.
    let payload = convert::to_format(msg);
    send_to(node, &ctrl, Some(&payload));
    convert::dispose(payload);
    true
}

fn node1(_: &mut Process, a: &[Term]) -> BifResult {
    let t = a[0];
    if obj::is_pid(t) || obj::is_port(t) || obj::is_ref(t) {
        Ok(Term::atom(node_of(t).expect("an identifier")))
    } else {
        Err(BifError::BADARG)
    }
}

fn setnode2(_: &mut Process, a: &[Term]) -> BifResult {
    let node = a[0].as_atom().ok_or(BifError::BADARG)?;
    let creation = obj::integer_to_i64(a[1])
        .and_then(|c| u32::try_from(c).ok())
        .ok_or(BifError::BADARG)?;
    if alive() || !node.name().contains('@') || node == Atom::NONODE {
        return Err(BifError::BADARG);
    }
    obj::set_this_node(node, creation);
    // As erts: `monitor_nodes` subscribers learn that this node is up (global renames
    // itself on it).
    notify_nodes(true, node, true, NO_CONN_ID, F::Nil);
    Ok(Term::boolean(true))
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Visible,
    Hidden,
    Connected,
    This,
    Known,
}

fn nodes1(p: &mut Process, a: &[Term]) -> BifResult {
    let kinds = kinds_arg(a[0])?;
    nodes(p, &kinds)
}

fn kinds_arg(t: Term) -> Result<Vec<Kind>, BifError> {
    let kind = |t: Term| match t.as_atom().map(|a| a.name()) {
        Some("visible") => Ok(Kind::Visible),
        Some("hidden") => Ok(Kind::Hidden),
        Some("connected") => Ok(Kind::Connected),
        Some("this") => Ok(Kind::This),
        Some("known") => Ok(Kind::Known),
        _ => Err(BifError::BADARG),
    };
    if t.is_atom() {
        Ok(vec![kind(t)?])
    } else {
        crate::util::list_arg(t)?.into_iter().map(kind).collect()
    }
}

/// `nodes(Arg, #{connection_id => boolean(), node_type => boolean()})`: `[{Node, Info}]`.
fn nodes2(p: &mut Process, a: &[Term]) -> BifResult {
    let kinds = kinds_arg(a[0])?;
    if !obj::is_map(a[1]) {
        return Err(BifError::BADARG);
    }
    let (mut want_id, mut want_type) = (false, false);
    for (k, v) in obj::map_pairs(a[1]) {
        let on = match v.as_atom() {
            Some(Atom::TRUE) => true,
            Some(Atom::FALSE) => false,
            _ => return Err(BifError::BADARG),
        };
        match k.as_atom().map(|a| a.name()) {
            Some("connection_id") => want_id = on,
            Some("node_type") => want_type = on,
            _ => return Err(BifError::BADARG),
        }
    }
    let found = listed(&kinds);
    let items: Vec<F> = found
        .into_iter()
        .map(|(node, conn)| {
            let mut info = Vec::new();
            if want_id {
                let id = conn.map_or(atom("undefined"), |(id, _)| F::Int(id as i64));
                info.push((atom("connection_id"), id));
            }
            if want_type {
                let t = match conn {
                    None => "this",
                    Some((_, true)) => "visible",
                    Some((_, false)) => "hidden",
                };
                info.push((atom("node_type"), atom(t)));
            }
            F::Tuple(vec![F::Atom(node.name().to_string()), F::Map(info)])
        })
        .collect();
    let list = list(items);
    convert::from_format(&mut p.heap, &list).map_err(|_| BifError::BADARG)
}

/// The nodes `nodes/1,2` list for `kinds`: connected ones in connection order with their
/// connection id and visibility, then this node (`None`) where asked, as erts lists them.
fn listed(kinds: &[Kind]) -> Vec<(Atom, Option<(u64, bool)>)> {
    let mut out = Vec::new();
    {
        let s = state();
        let mut up: Vec<(&Atom, &Conn)> = s.conns.iter().filter(|(_, c)| c.up).collect();
        up.sort_by_key(|(_, c)| c.id);
        for (n, c) in up {
            let visible = c.flags & DFLAG_PUBLISHED != 0;
            let want = kinds.iter().any(|k| match k {
                Kind::Visible => visible,
                Kind::Hidden => !visible,
                Kind::Connected | Kind::Known => true,
                Kind::This => false,
            });
            if want {
                out.push((*n, Some((c.id, visible))));
            }
        }
    }
    if alive() && kinds.iter().any(|k| matches!(k, Kind::This | Kind::Known)) {
        out.push((obj::this_node().0, None));
    }
    out
}

/// `erlang:system_info(dist_ctrl)`: `{Node, Controller}` for each connected node, the
/// controller a port or a pid, visible nodes before hidden ones, each oldest first (as
/// erts lists them).
pub fn controllers(p: &mut Process) -> Term {
    let mut up: Vec<(Atom, u64, bool, Term)> = {
        let s = state();
        s.conns
            .iter()
            .filter(|(_, c)| c.up)
            .filter_map(|(n, c)| {
                let ctrl = match (c.port, c.ctrl) {
                    (Some(port), _) => Term::port(port),
                    (None, Some(pid)) => Term::pid(pid),
                    (None, None) => return None,
                };
                Some((*n, c.id, c.flags & DFLAG_PUBLISHED == 0, ctrl))
            })
            .collect()
    };
    up.sort_by_key(|&(_, id, hidden, _)| (hidden, id));
    let items: Vec<Term> = up
        .into_iter()
        .map(|(n, _, _, ctrl)| obj::tuple(&mut p.heap, &[Term::atom(n), ctrl]))
        .collect();
    obj::list_from_slice(&mut p.heap, &items, Term::NIL)
}

/// The connected node whose channel number (its name's atom index, as `pid_to_list/1`
/// prints it) is `channel`, and its creation.
pub fn connected_by_channel(channel: u32) -> Option<(Atom, u32)> {
    let s = state();
    s.conns
        .iter()
        .find(|(n, c)| c.up && n.index() == channel)
        .map(|(n, c)| (*n, c.creation))
}

/// The processes of other nodes linked to local process `id`.
pub fn remote_links(id: u64) -> Vec<F> {
    let s = state();
    s.links
        .iter()
        .filter(|((l, _), _)| *l == id)
        .map(|(_, (_, remote))| remote.clone())
        .collect()
}

/// `{process, PidOrName}` for each monitor local process `id` holds on another node.
pub fn remote_monitors(id: u64) -> Vec<F> {
    let s = state();
    s.out_monitors
        .values()
        .filter(|m| m.watcher == id)
        .map(|m| F::Tuple(vec![atom("process"), m.shown.clone()]))
        .collect()
}

/// The processes of other nodes monitoring local process `id`.
pub fn remote_monitored_by(id: u64) -> Vec<F> {
    let s = state();
    s.in_monitors
        .get(&id)
        .map(|l| l.iter().map(|m| m.watcher.clone()).collect())
        .unwrap_or_default()
}

fn nodes(p: &mut Process, kinds: &[Kind]) -> BifResult {
    let terms: Vec<Term> = listed(kinds)
        .into_iter()
        .map(|(n, _)| Term::atom(n))
        .collect();
    Ok(obj::list_from_slice(&mut p.heap, &terms, Term::NIL))
}

fn monitor_node(p: &mut Process, node: Term, flag: Term) -> BifResult {
    let node = node.as_atom().ok_or(BifError::BADARG)?;
    let on = match flag.as_atom() {
        Some(Atom::TRUE) => true,
        Some(Atom::FALSE) => false,
        _ => return Err(BifError::BADARG),
    };
    if node == obj::this_node().0 {
        return Ok(Term::boolean(true));
    }
    if !on {
        let mut s = state();
        if let Some(w) = s.node_watchers.get_mut(&node)
            && let Some(i) = w.iter().position(|&x| x == p.id)
        {
            w.remove(i);
        }
        return Ok(Term::boolean(true));
    }
    if conn_out(node).is_none() {
        // No connection to be had: the node is down at once.
        let msg = F::Tuple(vec![atom("nodedown"), F::Atom(node.name().to_string())]);
        deliver(p.id, &msg);
        return Ok(Term::boolean(true));
    }
    state().node_watchers.entry(node).or_default().push(p.id);
    Ok(Term::boolean(true))
}

/// `erlang:dist_get_stat/1`: packets received and sent on the connection, and the bytes
/// queued for a process controller to take.
fn dist_get_stat(p: &mut Process, a: &[Term]) -> BifResult {
    let id = a[0].as_small().ok_or(BifError::BADARG)?;
    let s = state();
    let c = s
        .conns
        .values()
        .find(|c| c.id as i64 == id && c.up)
        .ok_or(BifError::BADARG)?;
    let (r, mut w, out, by_process) = (c.received, c.sent, c.out.clone(), c.ctrl.is_some());
    drop(s);
    let o = out.lock();
    let pending = o.bytes as i64;
    if by_process {
        w = o.taken;
    }
    drop(o);
    let (r, w) = (r as i64, w as i64);
    Ok(obj::tuple(
        &mut p.heap,
        &[
            Term::atom(Atom::OK),
            Term::small(r),
            Term::small(w),
            Term::small(pending),
        ],
    ))
}

/// The connection of distribution handle `handle`, if it is up.
fn by_handle(s: &mut State, handle: Term) -> Option<(Atom, &mut Conn)> {
    let id = handle.as_small()?;
    s.conns
        .iter_mut()
        .find(|(_, c)| c.id as i64 == id && c.up)
        .map(|(n, c)| (*n, c))
}

/// The connection `p` controls, named by `handle`: `notsup` when `p` controls none,
/// `badarg` when `handle` names another (as erts checks them).
fn controlled(p: &Process, handle: Term) -> Result<(Atom, Arc<Out>), BifError> {
    let mut s = state();
    let Some(&node) = s.by_ctrl.get(&p.id) else {
        return Err(BifError::Fail(Term::atom(Atom::intern("notsup"))));
    };
    match by_handle(&mut s, handle) {
        Some((n, c)) if n == node && c.ctrl == Some(p.id) => Ok((node, c.out.clone())),
        _ => Err(BifError::BADARG),
    }
}

/// `erlang:dist_ctrl_put_data/2`: a packet the controller received from the other node (an
/// empty one is a tick). A packet that does not decode takes the connection down: its
/// controller is killed, as erts kills it.
fn dist_ctrl_put_data(p: &mut Process, a: &[Term]) -> BifResult {
    let data = a[1];
    let mut bytes = Vec::new();
    if !(obj::is_binary(data) || data.is_list() || data.is_nil()) {
        return Err(BifError::BADARG);
    }
    crate::binaries::iolist_bytes(data, &mut bytes)?;
    let (node, ctrl) = {
        let mut s = state();
        let Some((node, c)) = by_handle(&mut s, a[0]) else {
            return Err(BifError::BADARG);
        };
        if c.ctrl.is_none() || c.input_handler != p.id {
            return Err(BifError::Fail(Term::atom(Atom::intern("notsup"))));
        }
        c.received += 1;
        (node, c.ctrl)
    };
    if !bytes.is_empty()
        && handle(node, &bytes).is_none()
        && let Some(ctrl) = ctrl
    {
        let _ = sched::send_signal(
            ctrl,
            girder_runtime::sched::table::Signal::Exit {
                from: ctrl,
                reason: Owned::copy(Term::atom(Atom::intern("kill"))),
                linked: false,
            },
        );
    }
    Ok(Term::atom(Atom::OK))
}

/// `erlang:dist_ctrl_get_data/1`: the next packet for the controller to send (without
/// its length), `{Size, Packet}` with `get_size`, or `none`.
fn dist_ctrl_get_data(p: &mut Process, a: &[Term]) -> BifResult {
    let (node, out) = controlled(p, a[0])?;
    let Some(bytes) = ({
        let mut o = out.lock();
        let b = o.queue.pop_front();
        if let Some(b) = &b {
            o.bytes -= b.len();
            o.taken += 1;
        }
        b
    }) else {
        return Ok(Term::atom(Atom::intern("none")));
    };
    let get_size = state().conns.get(&node).is_some_and(|c| c.get_size);
    let bin = obj::binary_from_bytes(&mut p.heap, &bytes);
    if get_size {
        let size = Term::small(bytes.len() as i64);
        return Ok(obj::tuple(&mut p.heap, &[size, bin]));
    }
    Ok(bin)
}

/// `erlang:dist_ctrl_get_data_notification/1`: `dist_data` to the controller once a
/// packet waits (at once if one does already).
fn dist_ctrl_get_data_notification(p: &mut Process, a: &[Term]) -> BifResult {
    let (_, out) = controlled(p, a[0])?;
    let now = {
        let mut o = out.lock();
        if o.queue.is_empty() {
            o.notify = true;
            false
        } else {
            o.notify = false;
            true
        }
    };
    if now {
        let msg = Term::atom(Atom::intern("dist_data"));
        sched::send(p, p.id, msg);
    }
    Ok(Term::atom(Atom::OK))
}

/// `erlang:dist_ctrl_input_handler/2`: who may put the connection's received packets.
fn dist_ctrl_input_handler(p: &mut Process, a: &[Term]) -> BifResult {
    let (node, _) = controlled(p, a[0])?;
    if !a[1].is_local_pid() {
        return Err(BifError::BADARG);
    }
    if let Some(c) = state().conns.get_mut(&node) {
        c.input_handler = a[1].immediate_id();
    }
    Ok(Term::atom(Atom::OK))
}

/// `erlang:dist_ctrl_get_opt/2` and `dist_ctrl_set_opt/3` (with `set`): `get_size`, the
/// only option; both answer its value before the call.
fn dist_ctrl_opt(p: &mut Process, handle: Term, opt: Term, set: Option<Term>) -> BifResult {
    let (node, _) = controlled(p, handle)?;
    if opt.as_atom() != Some(Atom::intern("get_size")) {
        return Err(BifError::BADARG);
    }
    let new = match set {
        None => None,
        Some(v) if v.as_atom() == Some(Atom::TRUE) => Some(true),
        Some(v) if v.as_atom() == Some(Atom::FALSE) => Some(false),
        Some(_) => return Err(BifError::BADARG),
    };
    let mut s = state();
    let c = s.conns.get_mut(&node).ok_or(BifError::BADARG)?;
    let old = c.get_size;
    if let Some(v) = new {
        c.get_size = v;
    }
    Ok(Term::boolean(old))
}

fn get_dflags(p: &mut Process, _: &[Term]) -> BifResult {
    let int = |p: &mut Process, v: u64| obj::integer_from_i128(&mut p.heap, i128::from(v));
    let items = [
        Term::atom(Atom::intern("erts_dflags")),
        int(p, DEFAULT),
        int(p, MANDATORY),
        int(p, DEFAULT),
        int(p, DEFAULT & !MANDATORY),
        int(p, 0),
    ];
    Ok(obj::tuple(&mut p.heap, &items))
}

fn new_connection(_: &mut Process, a: &[Term]) -> BifResult {
    let node = a[0].as_atom().ok_or(BifError::BADARG)?;
    if !alive() || node == obj::this_node().0 {
        return Err(BifError::BADARG);
    }
    let mut s = state();
    USED.store(true, Ordering::Relaxed);
    let c = s.conns.entry(node).or_insert_with(Conn::pending);
    Ok(Term::small(c.id as i64))
}

fn abort_pending(_: &mut Process, a: &[Term]) -> BifResult {
    let node = a[0].as_atom().ok_or(BifError::BADARG)?;
    let id = a[1].as_small();
    let pending = {
        let s = state();
        s.conns
            .get(&node)
            .is_some_and(|c| !c.up && Some(c.id as i64) == id)
    };
    if pending {
        node_down(node, atom("connection_setup_failed"));
    }
    Ok(Term::boolean(pending))
}

fn create_dist_channel(p: &mut Process, a: &[Term]) -> BifResult {
    let node = a[0].as_atom().ok_or(BifError::BADARG)?;
    let opts = a[2];
    let is_port = a[1].is_local_port();
    if !(is_port || a[1].is_local_pid()) || !obj::is_tuple(opts) || obj::tuple_arity(opts) != 2 {
        return Err(BifError::BADARG);
    }
    let flags = obj::integer_to_i64(obj::tuple_element(opts, 0)).ok_or(BifError::BADARG)? as u64;
    let creation = obj::integer_to_i64(obj::tuple_element(opts, 1))
        .and_then(|c| u32::try_from(c).ok())
        .ok_or(BifError::BADARG)?;
    let ctrlr = a[1].immediate_id();
    if is_port && !inet::set_dist(ctrlr) {
        return Ok(Term::atom(Atom::BADARG));
    }
    let (id, out) = {
        let mut s = state();
        // A process serves one connection, and must be alive to serve it.
        if !is_port && (s.by_ctrl.contains_key(&ctrlr) || !sched::exists(ctrlr)) {
            return Ok(Term::atom(Atom::BADARG));
        }
        USED.store(true, Ordering::Relaxed);
        let c = s.conns.entry(node).or_insert_with(Conn::pending);
        c.up = true;
        if is_port {
            c.port = Some(ctrlr);
        } else {
            c.ctrl = Some(ctrlr);
            c.input_handler = ctrlr;
        }
        c.flags = flags;
        c.creation = creation;
        let r = (c.id, c.out.clone());
        if is_port {
            s.by_port.insert(ctrlr, node);
        } else {
            s.by_ctrl.insert(ctrlr, node);
        }
        r
    };
    {
        let mut o = out.lock();
        if is_port {
            for bytes in std::mem::take(&mut o.queue) {
                inet::dist_write(ctrlr, &bytes);
            }
            o.bytes = 0;
            o.port = Some(ctrlr);
        } else {
            // The packets queued so far wait for the controller's first
            // `dist_ctrl_get_data/1`.
            o.ctrl = Some(ctrlr);
        }
    }
    notify_nodes(true, node, flags & DFLAG_PUBLISHED != 0, id, F::Nil);
    // As erts: net_kernel learns the controller (and links to it) before the caller's
    // `nodeup`.
    if let Some(kernel) = sched::registered_id(Atom::intern("net_kernel")) {
        let msg = obj::tuple(
            &mut p.heap,
            &[
                Term::atom(Atom::intern("dist_ctrlr")),
                a[1],
                a[0],
                Term::pid(p.id),
            ],
        );
        sched::send(p, kernel, msg);
    }
    Ok(obj::tuple(
        &mut p.heap,
        &[Term::atom(Atom::OK), Term::small(id as i64)],
    ))
}

/// The connection to `node` is gone (its port closed, or the pending connection was
/// given up): monitors and spawn requests get `noconnection`, `monitor_node` watchers
/// `{nodedown, Node}`.
fn node_down(node: Atom, reason: F) {
    let (downs, spawns, watchers, was_up, broken) = {
        let mut s = state();
        let Some(c) = s.conns.remove(&node) else {
            return;
        };
        let was_up = c.up.then_some((c.flags & DFLAG_PUBLISHED != 0, c.id));
        if let Some(port) = c.port {
            s.by_port.remove(&port);
        }
        if let Some(ctrl) = c.ctrl {
            s.by_ctrl.remove(&ctrl);
        }
        c.out.closed.store(true, Ordering::Release);
        let keys: Vec<Vec<u8>> = s
            .out_monitors
            .iter()
            .filter(|(_, m)| m.node == node)
            .map(|(k, _)| k.clone())
            .collect();
        let downs: Vec<OutMonitor> = keys
            .iter()
            .filter_map(|k| s.out_monitors.remove(k))
            .collect();
        for list in s.in_monitors.values_mut() {
            list.retain(|m| m.node != node);
        }
        let keys: Vec<Vec<u8>> = s
            .spawns
            .iter()
            .filter(|(_, r)| r.node == node)
            .map(|(k, _)| k.clone())
            .collect();
        let spawns: Vec<PendingSpawn> = keys.iter().filter_map(|k| s.spawns.remove(k)).collect();
        s.abandoned.retain(|_, r| r.node != node);
        let watchers = s.node_watchers.remove(&node).unwrap_or_default();
        let broken: Vec<(u64, F)> = s
            .links
            .iter()
            .filter(|(_, (n, _))| *n == node)
            .map(|((local, _), (_, remote))| (*local, remote.clone()))
            .collect();
        s.links.retain(|_, (n, _)| *n != node);
        (downs, spawns, watchers, was_up, broken)
    };
    for (local, remote) in broken {
        exit_signal(local, &remote, &atom("noconnection"), true);
    }
    for m in downs {
        deliver_down(m, atom("noconnection"));
    }
    if let Some((visible, id)) = was_up {
        notify_nodes(false, node, visible, id, reason);
    }
    for r in spawns {
        if r.reply_error {
            let msg = F::Tuple(vec![
                r.tag,
                r.reference,
                atom("error"),
                atom("noconnection"),
            ]);
            deliver(r.requester, &msg);
        }
    }
    let msg = F::Tuple(vec![atom("nodedown"), F::Atom(node.name().to_string())]);
    for w in watchers {
        deliver(w, &msg);
    }
}

fn deliver_down(m: OutMonitor, reason: F) {
    // The monitor is over: so is an alias made with it (`{alias, demonitor}`).
    let mut area = LiteralArea::new();
    if let Ok(r) = convert::from_format(&mut area, &m.reference) {
        sched::end_monitor_alias(r);
    }
    let msg = F::Tuple(vec![m.tag, m.reference, atom("process"), m.shown, reason]);
    deliver(m.watcher, &msg);
}

fn port_closed(port: u64, reason: Term) {
    let node = state().by_port.get(&port).copied();
    if let Some(node) = node {
        node_down(node, convert::to_format(reason));
    }
}

/// `monitor(process, Target)` for a pid of another node or `{Name, Node}` with `Node` not
/// this one, its `DOWN` message tagged with `tag` if given; `None` for other targets.
pub fn monitor(p: &mut Process, target: Term, tag: Option<Term>) -> Option<Term> {
    let (node, shown, what) = if obj::is_pid(target) && !target.is_local_pid() {
        let f = convert::to_format(target);
        (node_of(target)?, f.clone(), f)
    } else if obj::is_tuple(target) && obj::tuple_arity(target) == 2 {
        let name = obj::tuple_element(target, 0).as_atom()?;
        let node = obj::tuple_element(target, 1).as_atom()?;
        if node == obj::this_node().0 {
            return None;
        }
        (
            node,
            convert::to_format(target),
            F::Atom(name.name().to_string()),
        )
    } else {
        return None;
    };
    let r = obj::make_ref(&mut p.heap);
    let reference = convert::to_format(r);
    let m = OutMonitor {
        tag: tag.map_or_else(|| atom("DOWN"), convert::to_format),
        watcher: p.id,
        node,
        reference: reference.clone(),
        shown,
        target: what.clone(),
    };
    let ctrl = F::Tuple(vec![
        F::Int(MONITOR_P),
        this_pid(p.id),
        what,
        reference.clone(),
    ]);
    // Registered before the request leaves, so that an answer finds it.
    state().out_monitors.insert(key(&reference), m);
    if !send_to(node, &ctrl, None) {
        let m = state().out_monitors.remove(&key(&reference));
        if let Some(m) = m {
            deliver_down(m, atom("noconnection"));
        }
    }
    Some(r)
}

/// `demonitor(Ref)` of a monitor on a process of another node; false if `r` is none.
pub fn demonitor(p: &mut Process, r: Term) -> bool {
    let k = key(&convert::to_format(r));
    let m = {
        let mut s = state();
        match s.out_monitors.get(&k) {
            Some(m) if m.watcher == p.id => s.out_monitors.remove(&k),
            _ => None,
        }
    };
    let Some(m) = m else {
        return false;
    };
    sched::end_monitor_alias(r);
    let ctrl = F::Tuple(vec![
        F::Int(DEMONITOR_P),
        this_pid(p.id),
        m.target,
        m.reference,
    ]);
    send_to(m.node, &ctrl, None);
    true
}

/// `erts_internal:dist_spawn_request(Node, {M, F, A}, Opts, Kind)`.
fn dist_spawn_request(p: &mut Process, a: &[Term]) -> BifResult {
    let node = a[0].as_atom().ok_or(BifError::BADARG)?;
    let mfa = a[1];
    if !obj::is_tuple(mfa) || obj::tuple_arity(mfa) != 3 {
        return Ok(Term::atom(Atom::BADARG));
    }
    let (m, f, args) = (
        obj::tuple_element(mfa, 0),
        obj::tuple_element(mfa, 1),
        obj::tuple_element(mfa, 2),
    );
    let Some(arity) = obj::list_length(args) else {
        return Ok(Term::atom(Atom::BADARG));
    };
    let (Some(_), Some(_)) = (m.as_atom(), f.as_atom()) else {
        return Ok(Term::atom(Atom::BADARG));
    };
    let Ok(opts) = crate::util::list_arg(a[2]) else {
        return Ok(Term::atom(Atom::BADARG));
    };
    let kind = a[3].as_atom().map(|k| k.name());
    let (mut monitor, mut link, mut reply_ok, mut reply_error) = (false, false, true, true);
    let mut tag = atom("spawn_reply");
    let mut monitor_tag = atom("DOWN");
    let mut sent = Vec::new();
    for o in opts {
        match o.as_atom().map(|a| a.name()) {
            Some("monitor") => {
                monitor = true;
                sent.push(convert::to_format(o));
                continue;
            }
            Some("link") => {
                link = true;
                sent.push(convert::to_format(o));
                continue;
            }
            _ => {}
        }
        if obj::is_tuple(o) && obj::tuple_arity(o) == 2 {
            let v = obj::tuple_element(o, 1);
            match obj::tuple_element(o, 0).as_atom().map(|a| a.name()) {
                Some("reply_tag") if kind == Some("spawn_request") => {
                    tag = convert::to_format(v);
                    continue;
                }
                Some("reply") if kind == Some("spawn_request") => {
                    (reply_ok, reply_error) = match v.as_atom().map(|a| a.name()) {
                        Some("yes") => (true, true),
                        Some("no") => (false, false),
                        Some("error_only") => (false, true),
                        Some("success_only") => (true, false),
                        _ => return Ok(Term::atom(Atom::BADARG)),
                    };
                    continue;
                }
                Some("monitor") => {
                    // `{monitor, [{tag, Tag}]}`; monitor aliases are not supported here.
                    let Ok(mopts) = crate::util::list_arg(v) else {
                        return Ok(Term::atom(Atom::BADARG));
                    };
                    for mo in mopts {
                        if obj::is_tuple(mo)
                            && obj::tuple_arity(mo) == 2
                            && obj::tuple_element(mo, 0).as_atom() == Some(Atom::intern("tag"))
                        {
                            monitor_tag = convert::to_format(obj::tuple_element(mo, 1));
                        } else {
                            return Ok(Term::atom(Atom::BADARG));
                        }
                    }
                    monitor = true;
                    sent.push(atom("monitor"));
                    continue;
                }
                _ => {}
            }
        }
        sent.push(convert::to_format(o));
    }
    let r = obj::make_ref(&mut p.heap);
    let reference = convert::to_format(r);
    let leader = sched::leader_term(&mut p.heap, p.group_leader);
    let ctrl = F::Tuple(vec![
        F::Int(SPAWN_REQUEST),
        reference.clone(),
        this_pid(p.id),
        convert::to_format(leader),
        F::Tuple(vec![
            convert::to_format(m),
            convert::to_format(f),
            F::Int(arity as i64),
        ]),
        list(sent),
    ]);
    state().spawns.insert(
        key(&reference),
        PendingSpawn {
            node,
            requester: p.id,
            reference: reference.clone(),
            tag: tag.clone(),
            reply_ok,
            reply_error,
            monitor,
            monitor_tag,
            link,
        },
    );
    let payload = convert::to_format(args);
    if !send_to(node, &ctrl, Some(&payload)) {
        state().spawns.remove(&key(&reference));
        let msg = F::Tuple(vec![tag, reference, atom("error"), atom("noconnection")]);
        deliver(p.id, &msg);
    }
    if kind == Some("spawn_request") {
        Ok(r)
    } else {
        Ok(obj::tuple(&mut p.heap, &[r, Term::boolean(monitor)]))
    }
}

/// `erlang:spawn_request_abandon(ReqId)`: true when `ReqId` is a spawn request of the caller
/// to another node still waiting for its reply (no reply will come, and the new process, if
/// any, is unlinked with reason `abandoned` and unmonitored); false otherwise (a request to
/// this node is answered at once).
fn spawn_request_abandon(p: &mut Process, a: &[Term]) -> BifResult {
    if !obj::is_ref(a[0]) {
        return Err(BifError::BADARG);
    }
    let k = key(&convert::to_format(a[0]));
    let mut s = state();
    match s.spawns.get(&k) {
        Some(r) if r.requester == p.id => {
            let r = s.spawns.remove(&k).expect("present");
            s.abandoned.insert(k, r);
            Ok(Term::boolean(true))
        }
        _ => Ok(Term::boolean(false)),
    }
}

fn list(items: Vec<F>) -> F {
    if items.is_empty() {
        F::Nil
    } else {
        F::List(items, Box::new(F::Nil))
    }
}

/// A process exited: the monitors other nodes hold on it fire, and the monitors it held
/// on other nodes' processes are removed there.
fn exited(p: &Process, reason: Term) {
    if !USED.load(Ordering::Relaxed) {
        return;
    }
    // A controller process that exits takes its connection down.
    let served = state().by_ctrl.get(&p.id).copied();
    if let Some(node) = served {
        node_down(node, convert::to_format(reason));
    }
    let links: Vec<(Atom, F)>;
    let (ins, outs) = {
        let mut s = state();
        s.node_monitors.retain(|m| m.watcher != p.id);
        for w in s.node_watchers.values_mut() {
            w.retain(|&x| x != p.id);
        }
        let ins = s.in_monitors.remove(&p.id).unwrap_or_default();
        let keys: Vec<(u64, Vec<u8>)> = s
            .links
            .keys()
            .filter(|(l, _)| *l == p.id)
            .cloned()
            .collect();
        links = keys.iter().filter_map(|k| s.links.remove(k)).collect();
        let keys: Vec<Vec<u8>> = s
            .out_monitors
            .iter()
            .filter(|(_, m)| m.watcher == p.id)
            .map(|(k, _)| k.clone())
            .collect();
        let outs: Vec<OutMonitor> = keys
            .iter()
            .filter_map(|k| s.out_monitors.remove(k))
            .collect();
        (ins, outs)
    };
    if ins.is_empty() && outs.is_empty() && links.is_empty() {
        return;
    }
    let reason = convert::to_format(reason);
    for (node, remote) in links {
        let ctrl = F::Tuple(vec![F::Int(EXIT), this_pid(p.id), remote, reason.clone()]);
        send_to(node, &ctrl, None);
    }
    for m in ins {
        let ctrl = F::Tuple(vec![
            F::Int(MONITOR_P_EXIT),
            m.target,
            m.watcher,
            m.reference,
            reason.clone(),
        ]);
        send_to(m.node, &ctrl, None);
    }
    for m in outs {
        let ctrl = F::Tuple(vec![
            F::Int(DEMONITOR_P),
            this_pid(p.id),
            m.target,
            m.reference,
        ]);
        send_to(m.node, &ctrl, None);
    }
}

/// A packet from the node on `port`. A malformed one drops the connection.
fn input(port: u64, packet: Vec<u8>) {
    if packet.is_empty() {
        return; // a tick
    }
    let node = {
        let mut s = state();
        let Some(&node) = s.by_port.get(&port) else {
            return;
        };
        if let Some(c) = s.conns.get_mut(&node) {
            c.received += 1;
        }
        node
    };
    if handle(node, &packet).is_none() {
        girder_runtime::port::close(port);
    }
}

fn decode_one(bytes: &[u8]) -> Option<(F, usize)> {
    etf::decode_prefix(bytes).ok()
}

fn int(t: &F) -> Option<i64> {
    match t {
        F::Int(n) => Some(*n),
        _ => None,
    }
}

fn is_pid(t: &F) -> bool {
    matches!(t, F::Pid { .. })
}

/// The local process a pid of this node names.
fn local_id(t: &F) -> Option<u64> {
    let mut area = LiteralArea::new();
    let term = convert::from_format(&mut area, t).ok()?;
    term.is_local_pid().then(|| term.immediate_id())
}

/// The process whose active alias the reference `t` (of this node) is.
fn alias_owner(t: &F) -> Option<u64> {
    let mut area = LiteralArea::new();
    let term = convert::from_format(&mut area, t).ok()?;
    if !obj::is_local_ref(term) {
        return None;
    }
    let id = sched::alias_target(term);
    (id != sched::NOBODY).then_some(id)
}

fn handle(node: Atom, packet: &[u8]) -> Option<()> {
    if packet.first() != Some(&PASS_THROUGH) {
        return None;
    }
    let (ctrl, used) = decode_one(&packet[1..])?;
    let rest = &packet[1 + used..];
    let payload = || -> Option<F> {
        let (f, n) = decode_one(rest)?;
        (n == rest.len()).then_some(f)
    };
    let F::Tuple(ctrl) = ctrl else {
        return None;
    };
    let op = int(ctrl.first()?)?;
    match (op, ctrl.len()) {
        (SEND, 3) | (SEND_TT, 4) | (SEND_SENDER, 3) | (SEND_SENDER_TT, 4) => {
            let msg = payload()?;
            if let Some(id) = local_id(&ctrl[2]) {
                deliver(id, &msg);
            }
        }
        (REG_SEND, 4) | (REG_SEND_TT, 5) => {
            let msg = payload()?;
            let F::Atom(name) = &ctrl[3] else {
                return None;
            };
            if let Some(id) = Atom::existing(name).and_then(sched::registered_id) {
                deliver(id, &msg);
            }
        }
        (ALIAS_SEND, 3) | (ALIAS_SEND_TT, 4) => {
            let msg = payload()?;
            if let Some(id) = alias_owner(&ctrl[2]) {
                deliver(id, &msg);
            }
        }
        (MONITOR_P, 4) => monitor_p(node, &ctrl[1], &ctrl[2], &ctrl[3])?,
        (DEMONITOR_P, 4) => {
            let target = match &ctrl[2] {
                F::Atom(name) => Atom::existing(name).and_then(sched::registered_id),
                t => local_id(t),
            };
            let k = key(&ctrl[3]);
            if let Some(id) = target {
                let mut s = state();
                if let Some(list) = s.in_monitors.get_mut(&id) {
                    list.retain(|m| key(&m.reference) != k);
                }
            }
        }
        (MONITOR_P_EXIT, 5) => {
            let m = state().out_monitors.remove(&key(&ctrl[3]));
            if let Some(m) = m {
                deliver_down(m, ctrl[4].clone());
            }
        }
        (SPAWN_REQUEST, 6) | (SPAWN_REQUEST_TT, 7) => {
            let args = payload()?;
            spawn_request_in(node, &ctrl, args)?;
        }
        (SPAWN_REPLY, 5) | (SPAWN_REPLY_TT, 6) => spawn_reply_in(node, &ctrl)?,
        (LINK, 3) => {
            let (from, to) = (&ctrl[1], &ctrl[2]);
            let linked = local_id(to).is_some_and(|id| {
                let mut s = state();
                let alive = sched::exists(id);
                if alive {
                    s.links.insert((id, key(from)), (node, from.clone()));
                }
                alive
            });
            if !linked {
                let ctrl = F::Tuple(vec![F::Int(EXIT), to.clone(), from.clone(), atom("noproc")]);
                send_to(node, &ctrl, None);
            }
        }
        (UNLINK, 3) => {
            if let Some(id) = local_id(&ctrl[2]) {
                state().links.remove(&(id, key(&ctrl[1])));
            }
        }
        (EXIT, 4) => {
            if let Some(id) = local_id(&ctrl[2])
                && state().links.remove(&(id, key(&ctrl[1]))).is_some()
            {
                exit_signal(id, &ctrl[1], &ctrl[3], true);
            }
        }
        (EXIT2, 4) => {
            if let Some(id) = local_id(&ctrl[2]) {
                exit_signal(id, &ctrl[1], &ctrl[3], false);
            }
        }
        (UNLINK_ID, 4) | (GROUP_LEADER, 3) => {}
        _ => return None,
    }
    Some(())
}

fn monitor_p(node: Atom, watcher: &F, target: &F, reference: &F) -> Option<()> {
    let id = match target {
        F::Atom(name) => Atom::existing(name).and_then(sched::registered_id),
        t if is_pid(t) => local_id(t),
        _ => return None,
    };
    let registered = id.is_some_and(|id| {
        let mut s = state();
        let ok = sched::exists(id);
        if ok {
            s.in_monitors.entry(id).or_default().push(InMonitor {
                node,
                watcher: watcher.clone(),
                reference: reference.clone(),
                target: target.clone(),
            });
        }
        ok
    });
    if !registered {
        let ctrl = F::Tuple(vec![
            F::Int(MONITOR_P_EXIT),
            target.clone(),
            watcher.clone(),
            reference.clone(),
            atom("noproc"),
        ]);
        send_to(node, &ctrl, None);
    }
    Some(())
}

fn spawn_request_in(node: Atom, ctrl: &[F], args: F) -> Option<()> {
    let (reference, from, gl, mfa, opts) = (&ctrl[1], &ctrl[2], &ctrl[3], &ctrl[4], &ctrl[5]);
    let F::Tuple(mfa) = mfa else {
        return None;
    };
    let (F::Atom(m), F::Atom(f), Some(arity)) = (&mfa[0], &mfa[1], mfa.get(2).and_then(int)) else {
        return None;
    };
    let opts: Vec<F> = match opts {
        F::Nil => vec![],
        F::List(items, tail) if **tail == F::Nil => items.clone(),
        _ => return None,
    };
    let (mut monitor, mut link) = (false, false);
    for o in &opts {
        match o {
            F::Atom(a) if a == "monitor" => monitor = true,
            F::Atom(a) if a == "link" => link = true,
            _ => {}
        }
    }
    let reply = |result: F, flags: i64| {
        let ctrl = F::Tuple(vec![
            F::Int(SPAWN_REPLY),
            reference.clone(),
            from.clone(),
            F::Int(flags),
            result,
        ]);
        send_to(node, &ctrl, None);
    };
    let export = module::export(Atom::intern(m), Atom::intern(f), arity as u32);
    let mut p = Box::new(Process::with_heap(
        sched::new_id(),
        girder_runtime::process::MIN_HEAP_WORDS,
    ));
    let argv = convert::from_format_with(
        &mut p.heap,
        &args,
        &mut crate::external::Resolver { safe: false },
    )
    .ok()?;
    let argv: Vec<Term> = obj::list_to_vec(argv)?;
    if argv.len() as i64 != arity {
        return None;
    }
    if p.start_call(export, &argv).is_err() {
        let apply = module::export(Atom::ERLANG, Atom::intern("apply"), 3);
        let list = obj::list_from_slice(&mut p.heap, &argv, Term::NIL);
        let call = [Term::atom(export.module), Term::atom(export.function), list];
        p.start_call(apply, &call).ok()?;
    }
    p.initial_call = (export.module, export.function, export.arity);
    // The requester's group leader, as in erts: the new process's output goes to the
    // requesting node. (This node's `user` if the request names no pid.)
    let leader = convert::from_format_with(
        &mut p.heap,
        gl,
        &mut crate::external::Resolver { safe: false },
    )
    .ok()
    .filter(|t| obj::is_pid(*t));
    match leader {
        Some(t) => p.group_leader = sched::leader_id(t),
        None => {
            if let Some(user) = sched::registered_id(Atom::intern("user")) {
                p.group_leader = user;
            }
        }
    }
    let id = p.id;
    let pid = this_pid(id);
    if monitor {
        state().in_monitors.entry(id).or_default().push(InMonitor {
            node,
            watcher: from.clone(),
            reference: reference.clone(),
            target: pid.clone(),
        });
    }
    if link {
        state().links.insert((id, key(from)), (node, from.clone()));
    }
    reply(pid, i64::from(link) | if monitor { 2 } else { 0 });
    sched::add(p);
    Some(())
}

fn spawn_reply_in(node: Atom, ctrl: &[F]) -> Option<()> {
    let (reference, flags, result) = (&ctrl[1], int(&ctrl[3])?, &ctrl[4]);
    let (pending, abandoned) = {
        let mut s = state();
        let k = key(reference);
        let pending = s.spawns.remove(&k);
        let abandoned = if pending.is_none() {
            s.abandoned.remove(&k)
        } else {
            None
        };
        (pending, abandoned)
    };
    let Some(r) = pending else {
        // An abandoned request: the new process loses the link and monitor it got. A reply
        // to no request is ignored.
        if let Some(a) = abandoned
            && is_pid(result)
        {
            if a.link && flags & 1 != 0 {
                let ctrl = F::Tuple(vec![
                    F::Int(EXIT),
                    this_pid(a.requester),
                    result.clone(),
                    atom("abandoned"),
                ]);
                send_to(node, &ctrl, None);
            }
            if a.monitor && flags & 2 != 0 {
                let ctrl = F::Tuple(vec![
                    F::Int(DEMONITOR_P),
                    this_pid(a.requester),
                    result.clone(),
                    a.reference,
                ]);
                send_to(node, &ctrl, None);
            }
        }
        return Some(());
    };
    if is_pid(result) {
        if r.monitor && flags & 2 != 0 {
            let node = match result {
                F::Pid { node, .. } => Atom::intern(node),
                _ => unreachable!(),
            };
            let m = OutMonitor {
                tag: r.monitor_tag.clone(),
                watcher: r.requester,
                node,
                reference: r.reference.clone(),
                shown: result.clone(),
                target: result.clone(),
            };
            state().out_monitors.insert(key(&r.reference), m);
        }
        if r.link
            && flags & 1 != 0
            && let F::Pid { node, .. } = result
        {
            let node = Atom::intern(node);
            if sched::exists(r.requester) {
                state()
                    .links
                    .insert((r.requester, key(result)), (node, result.clone()));
            } else {
                // The requester is gone: the new process gets its exit signal.
                let ctrl = F::Tuple(vec![
                    F::Int(EXIT),
                    this_pid(r.requester),
                    result.clone(),
                    atom("noproc"),
                ]);
                send_to(node, &ctrl, None);
            }
        }
        if r.reply_ok {
            let msg = F::Tuple(vec![r.tag, r.reference, atom("ok"), result.clone()]);
            deliver(r.requester, &msg);
        }
    } else if r.reply_error {
        let msg = F::Tuple(vec![r.tag, r.reference, atom("error"), result.clone()]);
        deliver(r.requester, &msg);
    }
    Some(())
}

/// `process_flag(monitor_nodes, Flag)` (`opts` `None`) or `process_flag({monitor_nodes,
/// Opts}, Flag)`: the options are a map of `connection_id`, `node_type` and
/// `nodedown_reason` (net_kernel turns its list form into one). Answers how many such
/// subscriptions the process held before.
pub fn monitor_nodes(p: &mut Process, opts: Option<Term>, on: bool) -> BifResult {
    let mut m = NodeMonitor {
        watcher: p.id,
        info: opts.is_some(),
        list: false,
        node_type: 0,
        type_given: false,
        connection_id: false,
        nodedown_reason: false,
    };
    if let Some(opts) = opts {
        if !obj::is_map(opts) {
            return Err(BifError::BADARG);
        }
        for (k, v) in obj::map_pairs(opts) {
            let flag = || match v.as_atom() {
                Some(Atom::TRUE) => Ok(true),
                Some(Atom::FALSE) => Ok(false),
                _ => Err(BifError::BADARG),
            };
            match k.as_atom().map(|a| a.name()) {
                Some("connection_id") => m.connection_id = flag()?,
                Some("nodedown_reason") => m.nodedown_reason = flag()?,
                Some("list") => m.list = flag()?,
                Some("node_type") => {
                    m.type_given = true;
                    m.node_type = match v.as_atom().map(|a| a.name()) {
                        Some("visible") => 0,
                        Some("hidden") => 1,
                        Some("all") => 2,
                        _ => return Err(BifError::BADARG),
                    }
                }
                _ => return Err(BifError::BADARG),
            }
        }
    }
    USED.store(true, Ordering::Relaxed);
    let mut s = state();
    let before = s.node_monitors.iter().filter(|x| **x == m).count();
    if on {
        s.node_monitors.push(m);
    } else if let Some(i) = s.node_monitors.iter().position(|x| *x == m) {
        s.node_monitors.remove(i);
    }
    Ok(Term::small(before as i64))
}

/// `{nodeup, Node}` or `{nodedown, Node}` (with an info list where asked) to the
/// `monitor_nodes` subscribers that want a node of this kind.
fn notify_nodes(up: bool, node: Atom, visible: bool, conn_id: u64, reason: F) {
    let subs: Vec<NodeMonitor> = state().node_monitors.clone();
    let tag = atom(if up { "nodeup" } else { "nodedown" });
    let name = F::Atom(node.name().to_string());
    for m in subs {
        let wanted = match m.node_type {
            0 => visible,
            1 => !visible,
            _ => true,
        };
        if !wanted {
            continue;
        }
        let msg = if m.info {
            let mut info = Vec::new();
            if m.connection_id {
                let id = if conn_id == NO_CONN_ID {
                    atom("undefined")
                } else {
                    F::Int(conn_id as i64)
                };
                info.push(F::Tuple(vec![atom("connection_id"), id]));
            }
            if m.nodedown_reason && !up {
                info.push(F::Tuple(vec![atom("nodedown_reason"), reason.clone()]));
            }
            if m.type_given {
                let t = if visible { "visible" } else { "hidden" };
                info.push(F::Tuple(vec![atom("node_type"), atom(t)]));
            }
            let info = if m.list {
                if info.is_empty() {
                    // `monitor_nodes(true, [])` is the plain flag.
                    deliver(m.watcher, &F::Tuple(vec![tag.clone(), name.clone()]));
                    continue;
                }
                list(info)
            } else {
                F::Map(
                    info.into_iter()
                        .map(|kv| match kv {
                            F::Tuple(mut kv) => {
                                let v = kv.pop().expect("a pair");
                                (kv.pop().expect("a pair"), v)
                            }
                            _ => unreachable!("info items are pairs"),
                        })
                        .collect(),
                )
            };
            F::Tuple(vec![tag.clone(), name.clone(), info])
        } else {
            F::Tuple(vec![tag.clone(), name.clone()])
        };
        deliver(m.watcher, &msg);
    }
}

/// False when `to` is a pid, alias or `{Name, Node}` of another node with no connection,
/// up or being set up (`erlang:send/3`'s `noconnect`).
pub fn reachable(to: Term) -> bool {
    let node = if obj::is_tuple(to) && obj::tuple_arity(to) == 2 {
        obj::tuple_element(to, 1).as_atom()
    } else if (obj::is_pid(to) && !to.is_local_pid()) || (obj::is_ref(to) && !obj::is_local_ref(to))
    {
        node_of(to)
    } else {
        None
    };
    match node {
        // A connection being set up counts: the message waits for it, as in erts.
        Some(n) if n != obj::this_node().0 => state().conns.contains_key(&n),
        _ => true,
    }
}

/// An exit signal from `from`, a process of another node, to local process `to`.
fn exit_signal(to: u64, from: &F, reason: &F, linked: bool) {
    let (Some(from), Some(reason)) = (owned(from), owned(reason)) else {
        return;
    };
    let _ = sched::send_signal(
        to,
        girder_runtime::sched::table::Signal::RemoteExit {
            from,
            reason,
            linked,
        },
    );
}

/// Whether `t` is a pid of another node.
pub fn is_remote_pid(t: Term) -> bool {
    obj::is_pid(t) && !t.is_local_pid() && node_of(t) != Some(obj::this_node().0)
}

/// `link(Pid)` to a process of another node; false when there is no connection to be had
/// (the caller then gets `noconnection`).
pub fn link(p: &mut Process, pid: Term) -> bool {
    let Some(node) = node_of(pid) else {
        return false;
    };
    let remote = convert::to_format(pid);
    let k = (p.id, key(&remote));
    if state().links.contains_key(&k) {
        return true;
    }
    let ctrl = F::Tuple(vec![F::Int(LINK), this_pid(p.id), remote.clone()]);
    state().links.insert(k.clone(), (node, remote));
    if !send_to(node, &ctrl, None) {
        state().links.remove(&k);
        return false;
    }
    true
}

/// `unlink(Pid)` of a process of another node.
pub fn unlink(p: &mut Process, pid: Term) {
    let remote = convert::to_format(pid);
    let removed = state().links.remove(&(p.id, key(&remote)));
    if let Some((node, remote)) = removed {
        let ctrl = F::Tuple(vec![F::Int(UNLINK), this_pid(p.id), remote]);
        send_to(node, &ctrl, None);
    }
}

/// `exit(Pid, Reason)` to a process of another node.
pub fn exit2(p: &mut Process, pid: Term, reason: Term) {
    let Some(node) = node_of(pid) else {
        return;
    };
    let ctrl = F::Tuple(vec![
        F::Int(EXIT2),
        this_pid(p.id),
        convert::to_format(pid),
        convert::to_format(reason),
    ]);
    send_to(node, &ctrl, None);
}

/// The nodes connected now, for the BREAK menu's `d`: name, whether visible, the port of
/// the connection and the other node's creation, in connection order.
pub fn connections() -> Vec<(Atom, bool, Option<u64>, u32)> {
    let s = state();
    let mut up: Vec<(&Atom, &Conn)> = s.conns.iter().filter(|(_, c)| c.up).collect();
    up.sort_by_key(|(_, c)| c.id);
    up.into_iter()
        .map(|(n, c)| (*n, c.flags & DFLAG_PUBLISHED != 0, c.port, c.creation))
        .collect()
}
