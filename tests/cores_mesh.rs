//! `aio::cores::mesh`: one inbox per core and a sender to every core,
//! handed out by `Cores::run_with`; all-to-all traffic arrives complete,
//! addressed right and in order per sender, and inboxes end when every
//! core is done sending.

mod support;

use std::io;
use std::time::Instant;

use aio::cores::{channel, mesh, Cores, MeshEnd, TryRecvError};

fn two_cores() -> Option<Cores> {
    match Cores::first(2).cpus() {
        Ok(_) => Some(Cores::first(2)),
        Err(e) => {
            eprintln!("note: skipping, this test needs 2 CPUs: {e}");
            None
        }
    }
}

/// A message: who sent it, to whom, and its number in that pair's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Msg {
    from: usize,
    to: usize,
    seq: u64,
}

/// Each core sends `per_pair` messages to every core (itself included),
/// round-robin, while a spawned task drains its inbox; returns per core
/// how many it got from each sender, after checking address and order.
fn all_to_all(cores: Cores, per_pair: u64, capacity: usize) -> Vec<Vec<u64>> {
    let n = cores.cpus().unwrap().len();
    cores
        .run_with(mesh::<Msg>(n, capacity), move |core, end| async move {
            let me = core.index();
            let MeshEnd { mut inbox, peers } = end;
            assert_eq!(peers.len(), n);
            let receiving = aio::spawn(async move {
                let mut next = vec![0u64; n];
                while let Some(m) = inbox.recv().await {
                    assert_eq!(m.to, me, "message for core {} arrived at core {me}", m.to);
                    assert_eq!(
                        m.seq, next[m.from],
                        "core {}'s stream to {me} out of order",
                        m.from
                    );
                    next[m.from] += 1;
                }
                next
            });
            for seq in 0..per_pair {
                for (to, peer) in peers.iter().enumerate() {
                    peer.send(Msg { from: me, to, seq })
                        .await
                        .expect("inbox gone");
                }
            }
            drop(peers);
            receiving.await.expect("receiving task failed")
        })
        .unwrap()
}

/// 10,000 messages between every pair of cores (both directions and each
/// core to itself) through small inboxes, on both drivers.
#[test]
fn all_to_all_ten_thousand_messages_per_pair_arrive_complete_and_in_order() {
    let Some(cores) = two_cores() else { return };
    const PER_PAIR: u64 = 10_000;
    for driver in support::drivers() {
        let start = Instant::now();
        let cores = cores
            .clone()
            .runtime(aio::RuntimeBuilder::new().driver(driver));
        let got = all_to_all(cores, PER_PAIR, 64);
        assert_eq!(got, vec![vec![PER_PAIR; 2]; 2], "{driver:?}");
        println!(
            "mesh {driver:?}: {} messages all-to-all on 2 cores in {:?}",
            4 * PER_PAIR,
            start.elapsed()
        );
    }
}

/// Every core of the process (whatever their number) sends one message to
/// every peer and receives one from each: the documented pattern with
/// `Cores::all()` and `cpus()?.len()`.
#[test]
fn every_core_hears_once_from_every_core() {
    let cores = Cores::all();
    let n = cores.cpus().unwrap().len();
    let got = all_to_all(cores, 1, 1);
    assert_eq!(got, vec![vec![1; n]; n]);
}

/// The layout without any runtime: `peers[i]` of every end reaches end
/// `i`'s inbox; each inbox has its own capacity; an inbox ends only once
/// every end dropped its peers (its own end's included).
#[test]
fn peers_are_indexed_by_core_and_inboxes_end_when_every_core_is_done() {
    let mut ends = mesh::<(usize, usize)>(3, 3);
    assert_eq!(ends.len(), 3);
    for (from, end) in ends.iter().enumerate() {
        assert_eq!(end.peers.len(), 3);
        for (to, peer) in end.peers.iter().enumerate() {
            peer.try_send((from, to)).unwrap();
            assert_eq!(peer.capacity(), 3);
        }
    }
    for (to, end) in ends.iter_mut().enumerate() {
        let mut got: Vec<_> = (0..3).map(|_| end.inbox.try_recv().unwrap()).collect();
        got.sort();
        assert_eq!(got, vec![(0, to), (1, to), (2, to)]);
        assert_eq!(end.inbox.try_recv(), Err(TryRecvError::Empty));
    }
    // Capacity is per inbox: three messages fill core 0's, not the others.
    ends[0].peers[0].try_send((0, 0)).unwrap();
    ends[1].peers[0].try_send((1, 0)).unwrap();
    ends[2].peers[0].try_send((2, 0)).unwrap();
    assert!(ends[1].peers[0].try_send((1, 0)).unwrap_err().is_full());
    ends[0].peers[1].try_send((0, 1)).unwrap();

    let mut inboxes: Vec<_> = ends
        .into_iter()
        .map(|end| {
            let MeshEnd { inbox, peers } = end;
            (inbox, Some(peers))
        })
        .collect();
    for done in 0..3 {
        inboxes[done].1 = None;
        for (inbox, _) in &mut inboxes {
            while inbox.try_recv().is_ok() {}
            let want = if done == 2 {
                TryRecvError::Disconnected
            } else {
                TryRecvError::Empty
            };
            assert_eq!(
                inbox.try_recv(),
                Err(want),
                "after {} cores dropped their peers",
                done + 1
            );
        }
    }
}

#[test]
fn an_empty_mesh_has_no_ends() {
    assert!(mesh::<u8>(0, 1).is_empty());
}

#[test]
#[should_panic(expected = "mesh capacity must be at least 1")]
fn zero_capacity_panics() {
    let _ = mesh::<u8>(2, 0);
}

/// A mesh sized for another number of cores is refused by `run_with`
/// before any thread starts.
#[test]
fn a_mesh_of_the_wrong_size_is_refused() {
    let n = Cores::all().cpus().unwrap().len();
    let err = Cores::all()
        .run_with(mesh::<u8>(n + 1, 4), |_, _end| async {})
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
}

/// An end is `Send` (it moves to its core) and its parts are the plain
/// cross-core channel types.
#[test]
fn an_end_is_send_and_made_of_channel_halves() {
    fn send<T: Send>() {}
    send::<MeshEnd<String>>();
    let (tx, rx) = channel::<u8>(1);
    let end = MeshEnd {
        inbox: rx,
        peers: vec![tx],
    };
    end.peers[0].try_send(5).unwrap();
    let MeshEnd { mut inbox, peers } = end;
    drop(peers);
    assert_eq!(inbox.try_recv(), Ok(5));
    assert_eq!(
        format!(
            "{:?}",
            MeshEnd {
                inbox,
                peers: Vec::new()
            }
        ),
        "MeshEnd { peers: 0, .. }"
    );
}
