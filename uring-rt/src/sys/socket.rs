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

/// setsockopt(2) with a byte string (`SO_BINDTODEVICE`'s interface name).
pub(crate) fn set_opt_bytes(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &[u8],
) -> io::Result<()> {
    let len = libc::socklen_t::try_from(value.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "socket option too long"))?;
    // SAFETY: passes a pointer to `len` live bytes.
    cvt(unsafe { libc::setsockopt(fd, level, name, value.as_ptr().cast(), len) }).map(drop)
}

/// getsockopt(2) into a byte buffer; returns the length the kernel wrote.
pub(crate) fn get_opt_bytes(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &mut [u8],
) -> io::Result<usize> {
    let mut len = libc::socklen_t::try_from(value.len()).unwrap_or(libc::socklen_t::MAX);
    // SAFETY: passes a pointer to `len` writable bytes; the kernel writes at
    // most `len` and stores the length it wrote.
    cvt(unsafe { libc::getsockopt(fd, level, name, value.as_mut_ptr().cast(), &mut len) })?;
    Ok(len as usize)
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

/// recv(2) with `MSG_DONTWAIT`: never blocks, whatever the socket's mode
/// (io_uring keeps sockets blocking); `WouldBlock` when nothing is queued.
pub(crate) fn recv_now(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is writable for `buf.len()` bytes for the whole call.
    let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) };
    cvt_size(n)
}

/// send(2) with `MSG_DONTWAIT | MSG_NOSIGNAL`: never blocks and never
/// raises SIGPIPE; `WouldBlock` when the send buffer is full.
pub(crate) fn send_now(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    let flags = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;
    // SAFETY: `buf` is readable for `buf.len()` bytes for the whole call.
    let n = unsafe { libc::send(fd, buf.as_ptr().cast(), buf.len(), flags) };
    cvt_size(n)
}

/// recvfrom(2) with `MSG_DONTWAIT`, and the sender's address.
pub(crate) fn recv_from_now(fd: RawFd, buf: &mut [u8]) -> io::Result<(usize, RawAddr)> {
    let mut raw = RawAddr::empty();
    // SAFETY: `buf` is writable for `buf.len()` bytes; the kernel writes at
    // most `raw.len` bytes of address into the storage.
    let n = unsafe {
        libc::recvfrom(
            fd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            libc::MSG_DONTWAIT,
            raw.as_mut_ptr(),
            &mut raw.len,
        )
    };
    Ok((cvt_size(n)?, raw))
}

/// sendto(2) with `MSG_DONTWAIT | MSG_NOSIGNAL`.
pub(crate) fn send_to_now(fd: RawFd, buf: &[u8], addr: &RawAddr) -> io::Result<usize> {
    let flags = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;
    // SAFETY: `buf` is readable for `buf.len()` bytes and `addr` points to
    // `addr.len` valid bytes of sockaddr.
    let n = unsafe {
        libc::sendto(
            fd,
            buf.as_ptr().cast(),
            buf.len(),
            flags,
            addr.as_ptr(),
            addr.len,
        )
    };
    cvt_size(n)
}

/// Returns the last OS error if `ret` is -1, the byte count otherwise.
fn cvt_size(ret: isize) -> io::Result<usize> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret as usize)
    }
}
