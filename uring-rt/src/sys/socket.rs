//! Socket system calls: creation, options, bind/listen and addresses. The
//! asynchronous ones (connect, accept, send, recv) are driver ops instead.

use std::io;
use std::mem;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use super::addr::RawAddr;

/// Returns the last OS error if `ret` is -1.
fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// socket(2), close-on-exec, non-blocking if asked.
pub(crate) fn socket(domain: libc::c_int, ty: libc::c_int, nonblock: bool) -> io::Result<OwnedFd> {
    let flags = libc::SOCK_CLOEXEC | if nonblock { libc::SOCK_NONBLOCK } else { 0 };
    // SAFETY: plain syscall; the result is checked.
    let fd = cvt(unsafe { libc::socket(domain, ty | flags, 0) })?;
    // SAFETY: socket returned a fresh descriptor that we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// socketpair(2) of `AF_UNIX` sockets, close-on-exec, non-blocking if asked.
pub(crate) fn socketpair(ty: libc::c_int, nonblock: bool) -> io::Result<(OwnedFd, OwnedFd)> {
    let flags = libc::SOCK_CLOEXEC | if nonblock { libc::SOCK_NONBLOCK } else { 0 };
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: writes two descriptors into a live two-element array.
    cvt(unsafe { libc::socketpair(libc::AF_UNIX, ty | flags, 0, fds.as_mut_ptr()) })?;
    // SAFETY: socketpair returned two fresh descriptors that we own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Switches `fd` to non-blocking mode or back (FIONBIO).
pub(crate) fn set_nonblocking(fd: RawFd, nonblocking: bool) -> io::Result<()> {
    let mut on = libc::c_int::from(nonblocking);
    // SAFETY: FIONBIO reads an int through a valid pointer.
    cvt(unsafe { libc::ioctl(fd, libc::FIONBIO, &mut on) }).map(drop)
}

/// setsockopt(2) with a plain-data value.
pub(crate) fn set_opt<T: Copy>(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: T,
) -> io::Result<()> {
    // SAFETY: passes a pointer to a live T and its exact size.
    cvt(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const T).cast(),
            mem::size_of::<T>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// getsockopt(2) of a plain-data value.
pub(crate) fn get_opt<T: Copy + Default>(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
) -> io::Result<T> {
    get_opt_from(fd, level, name, T::default())
}

/// getsockopt(2) of a plain-data value, starting from `value` (for the
/// libc structs that have no `Default`, such as `linger` and `ucred`).
pub(crate) fn get_opt_from<T: Copy>(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    mut value: T,
) -> io::Result<T> {
    let mut len = mem::size_of::<T>() as libc::socklen_t;
    // SAFETY: passes a pointer to a live T with its size; the kernel writes
    // at most `len` bytes.
    cvt(unsafe { libc::getsockopt(fd, level, name, (&mut value as *mut T).cast(), &mut len) })?;
    Ok(value)
}

pub(crate) fn bind(fd: RawFd, addr: &RawAddr) -> io::Result<()> {
    // SAFETY: `addr` points to `len` valid bytes of sockaddr.
    cvt(unsafe { libc::bind(fd, addr.as_ptr(), addr.len) }).map(drop)
}

pub(crate) fn listen(fd: RawFd, backlog: u32) -> io::Result<()> {
    let backlog = backlog.min(i32::MAX as u32) as libc::c_int;
    // SAFETY: plain syscall on a descriptor.
    cvt(unsafe { libc::listen(fd, backlog) }).map(drop)
}

/// getsockname(2).
pub(crate) fn local_addr(fd: RawFd) -> io::Result<RawAddr> {
    let mut raw = RawAddr::empty();
    // SAFETY: the kernel writes at most `len` bytes into the storage.
    cvt(unsafe { libc::getsockname(fd, raw.as_mut_ptr(), &mut raw.len) })?;
    Ok(raw)
}

/// getpeername(2).
/// shutdown(2) of the write direction, now (it never blocks).
pub(crate) fn shutdown_write(fd: RawFd) -> io::Result<()> {
    // SAFETY: shutdown(2) takes no memory.
    cvt(unsafe { libc::shutdown(fd, libc::SHUT_WR) }).map(drop)
}

pub(crate) fn peer_addr(fd: RawFd) -> io::Result<RawAddr> {
    let mut raw = RawAddr::empty();
    // SAFETY: the kernel writes at most `len` bytes into the storage.
    cvt(unsafe { libc::getpeername(fd, raw.as_mut_ptr(), &mut raw.len) })?;
    Ok(raw)
}
