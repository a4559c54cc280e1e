//! Buffer groups for the epoll backend: io_uring's provided buffers,
//! emulated. A call that lets the backend pick its buffer
//! ([`Call::RecvSelect`](crate::driver::Call) and friends) takes one from
//! its group's free list when it runs, gives it back if the call would
//! block (so a parked receive holds no buffer), and reports the pick in the
//! completion flags exactly as the kernel does.

/// A buffer handed to a group: `len` bytes at `addr`, id `bid`.
#[derive(Debug, Clone, Copy)]
pub(super) struct GroupBuf {
    pub(super) addr: *mut u8,
    pub(super) len: u32,
    pub(super) bid: u16,
}

/// Free lists by group id.
#[derive(Default)]
pub(super) struct Groups {
    lists: Vec<Option<Vec<GroupBuf>>>,
}

impl Groups {
    pub(super) fn add(&mut self, group: u16) {
        let index = usize::from(group);
        if self.lists.len() <= index {
            self.lists.resize_with(index + 1, || None);
        }
        self.lists[index] = Some(Vec::new());
    }

    pub(super) fn remove(&mut self, group: u16) {
        if let Some(list) = self.lists.get_mut(usize::from(group)) {
            *list = None;
        }
    }

    /// Adds a buffer to the group (a no-op for an unknown group).
    pub(super) fn provide(&mut self, group: u16, buf: GroupBuf) {
        if let Some(Some(list)) = self.lists.get_mut(usize::from(group)) {
            list.push(buf);
        }
    }

    /// Takes a buffer; `Err(-ENOBUFS)` if the group has none (as io_uring
    /// answers), `Err(-ENOENT)` for an unknown group.
    pub(super) fn take(&mut self, group: u16) -> Result<GroupBuf, i32> {
        match self.lists.get_mut(usize::from(group)) {
            Some(Some(list)) => list.pop().ok_or(-libc::ENOBUFS),
            _ => Err(-libc::ENOENT),
        }
    }
}
