//! The queue shared by every handle of one mpsc channel.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use super::error::TryRecvError;
use crate::sync::{Notify, Semaphore};

/// Shared by the senders and the receiver through an `Rc`.
///
/// Bounded channels keep one semaphore permit per free slot: a sender
/// takes a permit (waiting FIFO if there is none) and forgets it when it
/// pushes; the receiver returns one each time it pops. So
/// `queue.len() + slots.available_permits() + permits held by reserving
/// senders == capacity` while the channel is open.
///
/// `rx_closed` goes from false to true once (receiver closed or dropped);
/// from then on pushes fail and the semaphore is closed so waiting
/// senders fail too. `senders` counts live sender handles; when it drops
/// to zero the receiver is woken to see the end of the stream.
pub(super) struct Chan<T> {
    queue: RefCell<VecDeque<T>>,
    /// Free slots of a bounded channel; `None` when unbounded.
    slots: Option<Semaphore>,
    capacity: usize,
    senders: Cell<usize>,
    rx_closed: Cell<bool>,
    /// The receiver task waiting for a message.
    rx_waker: Cell<Option<Waker>>,
    /// Notified (to all) when the receiver closes; for `Sender::closed`.
    closed: Notify,
}

impl<T> Chan<T> {
    pub(super) fn bounded(capacity: usize) -> Self {
        Chan::with_slots(Some(Semaphore::new(capacity)), capacity)
    }

    pub(super) fn unbounded() -> Self {
        Chan::with_slots(None, usize::MAX)
    }

    fn with_slots(slots: Option<Semaphore>, capacity: usize) -> Self {
        Chan {
            queue: RefCell::new(VecDeque::new()),
            slots,
            capacity,
            senders: Cell::new(1),
            rx_closed: Cell::new(false),
            rx_waker: Cell::new(None),
            closed: Notify::new(),
        }
    }

    /// The slot semaphore of a bounded channel.
    pub(super) fn slots(&self) -> &Semaphore {
        match &self.slots {
            Some(slots) => slots,
            None => unreachable!("only bounded channels have slots"),
        }
    }

    /// The capacity a bounded channel was created with.
    pub(super) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Queues `value` and wakes the receiver, or gives `value` back if the
    /// receiver is closed. A bounded sender must hold (and then forget) a
    /// slot permit first.
    pub(super) fn push(&self, value: T) -> Result<(), T> {
        if self.rx_closed.get() {
            return Err(value);
        }
        self.queue.borrow_mut().push_back(value);
        if let Some(waker) = self.rx_waker.take() {
            waker.wake();
        }
        Ok(())
    }

    pub(super) fn try_recv(&self) -> Result<T, TryRecvError> {
        let popped = self.queue.borrow_mut().pop_front();
        match popped {
            Some(value) => {
                if let Some(slots) = &self.slots {
                    slots.add_permits(1);
                }
                Ok(value)
            }
            None if self.senders.get() == 0 || self.rx_closed.get() => {
                Err(TryRecvError::Disconnected)
            }
            None => Err(TryRecvError::Empty),
        }
    }

    /// Within the cooperative budget: a receiver that keeps finding
    /// messages yields to the other tasks now and then.
    pub(super) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if crate::coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        match self.try_recv() {
            Ok(value) => Poll::Ready(Some(value)),
            Err(TryRecvError::Disconnected) => Poll::Ready(None),
            Err(TryRecvError::Empty) => {
                match self.rx_waker.take() {
                    Some(old) if old.will_wake(cx.waker()) => self.rx_waker.set(Some(old)),
                    _ => self.rx_waker.set(Some(cx.waker().clone())),
                }
                crate::coop::refund();
                Poll::Pending
            }
        }
    }

    /// Closes the receiving side: later pushes fail, waiting bounded
    /// senders fail, `closed()` waiters wake. Queued messages stay.
    pub(super) fn close_rx(&self) {
        if self.rx_closed.replace(true) {
            return;
        }
        if let Some(slots) = &self.slots {
            slots.close();
        }
        self.closed.notify_waiters();
    }

    /// Called when the receiver is dropped: close, then drop what is left.
    pub(super) fn drop_rx(&self) {
        self.close_rx();
        let rest = std::mem::take(&mut *self.queue.borrow_mut());
        // Dropped outside the borrow: a message may own a sender of this
        // very channel.
        drop(rest);
    }

    pub(super) fn is_closed(&self) -> bool {
        self.rx_closed.get()
    }

    pub(super) fn len(&self) -> usize {
        self.queue.borrow().len()
    }

    pub(super) fn add_sender(&self) {
        self.senders.set(self.senders.get() + 1);
    }

    pub(super) fn drop_sender(&self) {
        let left = self.senders.get() - 1;
        self.senders.set(left);
        if left == 0 {
            if let Some(waker) = self.rx_waker.take() {
                waker.wake();
            }
        }
    }

    /// Waits until the receiver is closed or dropped.
    pub(super) async fn closed(&self) {
        loop {
            // Created before the check, so a close in between is seen.
            let notified = self.closed.notified();
            if self.rx_closed.get() {
                return;
            }
            notified.await;
        }
    }
}
