//! The state both halves of a oneshot channel point at.

use std::cell::{Cell, RefCell};
use std::task::Waker;

/// Shared by one [`Sender`](super::Sender) and one
/// [`Receiver`](super::Receiver) through an `Rc`.
///
/// `value` is `Some` from a successful send until the receiver takes it.
/// `tx_gone` becomes `true` when the sender is consumed by `send` or
/// dropped; `rx_closed` when the receiver is closed or dropped. Neither
/// flag ever goes back. A send is accepted only while `rx_closed` is false.
pub(super) struct Shared<T> {
    pub(super) value: RefCell<Option<T>>,
    pub(super) tx_gone: Cell<bool>,
    pub(super) rx_closed: Cell<bool>,
    /// The receiver task waiting for the value.
    pub(super) rx_waker: Cell<Option<Waker>>,
    /// The sender task waiting in `Sender::closed`.
    pub(super) tx_waker: Cell<Option<Waker>>,
}

impl<T> Shared<T> {
    pub(super) fn new() -> Self {
        Shared {
            value: RefCell::new(None),
            tx_gone: Cell::new(false),
            rx_closed: Cell::new(false),
            rx_waker: Cell::new(None),
            tx_waker: Cell::new(None),
        }
    }
}

/// Stores `waker` in `slot` unless the one there already wakes the same
/// task.
pub(super) fn register(slot: &Cell<Option<Waker>>, waker: &Waker) {
    match slot.take() {
        Some(old) if old.will_wake(waker) => slot.set(Some(old)),
        _ => slot.set(Some(waker.clone())),
    }
}

/// Wakes and clears the waker in `slot`, if any.
pub(super) fn wake(slot: &Cell<Option<Waker>>) {
    if let Some(waker) = slot.take() {
        waker.wake();
    }
}
