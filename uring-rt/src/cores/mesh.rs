//! [`mesh`]: one inbox per core and a sender to every core's inbox, built
//! from cross-core [`channel`](super::channel())s and handed out with
//! [`Cores::run_with`](super::Cores::run_with).

use std::fmt;

use super::{channel, Receiver, Sender};

/// One core's end of a [`mesh`]: its own inbox and a sender to every
/// core's inbox, indexed by core position ([`CoreId::index`]).
///
/// `peers[i]` sends to core `i`'s inbox, including `peers[me]`, a sender
/// to this core's own inbox: code can address "core `i`" without a special
/// case for itself (e.g. `peers[hash % n]` for sharding).
///
/// # Ending
/// An inbox has one sender in every end's `peers`, its own end included,
/// so `inbox.recv()` returns `None` once **every** core has dropped its
/// `peers`: drop them when this core is done sending, then drain the
/// inbox. A core that keeps its `peers` keeps every inbox open.
///
/// [`CoreId::index`]: super::CoreId::index
pub struct MeshEnd<T> {
    /// Messages sent to this core, from any core (itself included).
    pub inbox: Receiver<T>,
    /// `peers[i]` sends to core `i`'s inbox; `peers.len()` is the number
    /// of cores.
    pub peers: Vec<Sender<T>>,
}

impl<T> fmt::Debug for MeshEnd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MeshEnd")
            .field("peers", &self.peers.len())
            .finish_non_exhaustive()
    }
}

/// Builds an all-to-all mesh of bounded channels for `cores` cores: one
/// [`MeshEnd`] per core, in core order, each inbox holding up to
/// `capacity` messages. Hand them out with
/// [`Cores::run_with`](super::Cores::run_with); size it with
/// [`Cores::cpus`](super::Cores::cpus)`()?.len()`.
///
/// Sends wait while the target inbox is full, so a core should keep
/// receiving while it sends (e.g. in a spawned task, as below), or two
/// cores sending to each other's full inbox wait for each other.
///
/// ```
/// use aio::cores::{mesh, Cores};
///
/// # fn main() -> std::io::Result<()> {
/// let cores = Cores::all();
/// let n = cores.cpus()?.len();
/// let got = cores.run_with(mesh::<(usize, u64)>(n, 1024), |core, end| async move {
///     let mut inbox = end.inbox;
///     // Receive while sending: a full inbox makes its senders wait.
///     let receiving = aio::spawn(async move {
///         let mut from = Vec::new();
///         while let Some((sender, _msg)) = inbox.recv().await {
///             from.push(sender);
///         }
///         from
///     });
///     for peer in &end.peers {
///         peer.send((core.index(), 42)).await.expect("peer gone");
///     }
///     // Done sending; every inbox ends once every core is done.
///     drop(end.peers);
///     let mut from = receiving.await.expect("receiver panicked");
///     from.sort();
///     from
/// })?;
/// // Every core heard from every core, itself included.
/// for from in got {
///     assert_eq!(from, (0..n).collect::<Vec<_>>());
/// }
/// # Ok(())
/// # }
/// ```
///
/// # Panics
/// If `capacity` is 0. `cores == 0` gives an empty mesh.
#[track_caller]
pub fn mesh<T: Send>(cores: usize, capacity: usize) -> Vec<MeshEnd<T>> {
    assert!(capacity > 0, "mesh capacity must be at least 1");
    let (senders, inboxes): (Vec<Sender<T>>, Vec<Receiver<T>>) =
        (0..cores).map(|_| channel(capacity)).unzip();
    inboxes
        .into_iter()
        .map(|inbox| MeshEnd {
            inbox,
            peers: senders.clone(),
        })
        .collect()
}
