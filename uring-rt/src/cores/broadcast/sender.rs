//! [`Sender`], the sending side of a cross-core broadcast.

use std::fmt;
use std::sync::Arc;

use super::shared::Shared;
use super::{Receiver, SendError};

/// The sending side of a [`broadcast`](crate::cores::broadcast()) channel. Clone it
/// to have several producers; it is `Send + Sync`, so clones (or an
/// `Arc<Sender>`) may live on every core and on plain threads.
pub struct Sender<T> {
    pub(super) shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Sends `value` to every live receiver, never waiting: a full channel
    /// drops its oldest value, and receivers that had not seen it get
    /// [`Lagged`](super::RecvError::Lagged) on their next receive. Parked
    /// receivers are woken (each once per burst), on whichever core they
    /// run.
    ///
    /// Returns how many receivers the value was sent to. A receiver that
    /// is dropped before receiving it still counts.
    ///
    /// ```
    /// let (tx, rx) = aio::cores::broadcast::<String>(8);
    /// let rx2 = tx.subscribe();
    /// assert_eq!(tx.send("hi".to_string()).unwrap(), 2);
    /// drop((rx, rx2));
    /// // Nobody listens: the value comes back.
    /// assert_eq!(tx.send("lost".to_string()).unwrap_err().0, "lost");
    /// ```
    ///
    /// # Errors
    /// [`SendError`] with the value when there is no receiver. A later
    /// [`subscribe`](Self::subscribe) makes sends succeed again.
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let mut overwritten = None;
        let mut wake = Vec::new();
        let res = {
            let mut st = self.shared.lock();
            self.shared
                .send(&mut st, value, &mut overwritten, &mut wake)
        };
        // Outside the lock: the pushed-out value's `Drop` and the wakes
        // may run arbitrary code (even code using this channel).
        drop(overwritten);
        for w in wake {
            w.wake();
        }
        res.map_err(SendError)
    }

    /// A new receiver that sees every value sent from now on.
    ///
    /// ```
    /// let (tx, _rx) = aio::cores::broadcast::<u32>(8);
    /// tx.send(1).unwrap();
    /// let mut rx = tx.subscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(2));
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        Receiver {
            next: self.shared.subscribe(),
            shared: Arc::clone(&self.shared),
            key: None,
        }
    }

    /// How many receivers exist now (a [`send`](Self::send) now would
    /// reach that many).
    ///
    /// ```
    /// let (tx, rx) = aio::cores::broadcast::<u32>(8);
    /// let rx2 = rx.resubscribe();
    /// assert_eq!(tx.receiver_count(), 2);
    /// drop((rx, rx2));
    /// assert_eq!(tx.receiver_count(), 0);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.lock().receivers
    }

    /// The bound given to [`broadcast`](crate::cores::broadcast()).
    pub fn capacity(&self) -> usize {
        self.shared.capacity
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.lock().senders += 1;
        Sender {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let wake = {
            let mut st = self.shared.lock();
            st.senders -= 1;
            if st.senders == 0 {
                st.waiters.take_all()
            } else {
                Vec::new()
            }
        };
        // The last sender is gone: parked receivers must see `Closed`.
        for w in wake {
            w.wake();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Sender")
            .field("capacity", &self.shared.capacity)
            .finish_non_exhaustive()
    }
}
