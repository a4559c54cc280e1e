//! Running a [`Call`] as the plain system call it describes.
//!
//! The epoll backend has no kernel-side operation queue: it runs each call
//! itself, either right away on the runtime thread (sockets, pipes and other
//! pollable descriptors, which the backend keeps nonblocking) or on the
//! blocking pool (files and path operations). Both paths share this one
//! function, so every op still has a single definition: its `Call`.
//!
//! Results follow io_uring's convention so the driver cannot tell the
//! backends apart: a non-negative value on success, `-errno` on failure.

use super::{Call, CURRENT_POS};

/// Runs `call` as a system call and returns its result, or `-errno`.
///
/// Whether the call blocks depends on the descriptor (and on flags such as
/// `MSG_DONTWAIT` that the caller put in the call); this function adds
/// nothing. `EINTR` is returned as is: the caller decides whether to
/// restart (see [`run_restarting`]).
///
/// # Panics
///
/// `Timeout` and `Cancel` are not system calls; the backend handles them
/// itself and never passes them here.
pub(crate) fn run(call: Call) -> i32 {
    // SAFETY (for every arm below): by `Call`'s contract, each pointer in it
    // points into memory owned by the op (its buffer, iovecs, msghdr,
    // sockaddr, path or statx buffer), valid for the lengths given and kept
    // alive and unmoved by the driver until this call's completion has been
    // reported; the descriptors belong to the op for the same time. So each
    // call hands the kernel exactly the memory the op offered it, as the
    // io_uring backend does with the same pointers.
    let ret: isize = match call {
        Call::Nop => 0,
        // The same memory through its address: the plain read or write.
        Call::ReadFixed { .. } | Call::WriteFixed { .. } => return run(call.unfixed()),
        Call::Read {
            fd,
            buf,
            len,
            offset,
        } => {
            if offset == CURRENT_POS {
                // SAFETY: see above; `buf` is writable for `len` bytes.
                unsafe { libc::read(fd, buf.cast(), len as usize) }
            } else {
                // SAFETY: see above; `buf` is writable for `len` bytes.
                unsafe { libc::pread64(fd, buf.cast(), len as usize, offset as libc::off64_t) }
            }
        }
        Call::Write {
            fd,
            buf,
            len,
            offset,
        } => {
            if offset == CURRENT_POS {
                // SAFETY: see above; `buf` is readable for `len` bytes.
                unsafe { libc::write(fd, buf.cast(), len as usize) }
            } else {
                // SAFETY: see above; `buf` is readable for `len` bytes.
                unsafe { libc::pwrite64(fd, buf.cast(), len as usize, offset as libc::off64_t) }
            }
        }
        Call::Readv {
            fd,
            iov,
            iovcnt,
            offset,
        } => {
            let cnt = iovcnt as libc::c_int;
            if offset == CURRENT_POS {
                // SAFETY: see above; `iov` holds `iovcnt` writable regions.
                unsafe { libc::readv(fd, iov, cnt) }
            } else {
                // SAFETY: see above; `iov` holds `iovcnt` writable regions.
                unsafe { libc::preadv64(fd, iov, cnt, offset as libc::off64_t) }
            }
        }
        Call::Writev {
            fd,
            iov,
            iovcnt,
            offset,
        } => {
            let cnt = iovcnt as libc::c_int;
            if offset == CURRENT_POS {
                // SAFETY: see above; `iov` holds `iovcnt` readable regions.
                unsafe { libc::writev(fd, iov, cnt) }
            } else {
                // SAFETY: see above; `iov` holds `iovcnt` readable regions.
                unsafe { libc::pwritev64(fd, iov, cnt, offset as libc::off64_t) }
            }
        }
        Call::Recv {
            fd,
            buf,
            len,
            flags,
        } => {
            // SAFETY: see above; `buf` is writable for `len` bytes.
            unsafe { libc::recv(fd, buf.cast(), len as usize, flags) }
        }
        Call::Send {
            fd,
            buf,
            len,
            flags,
        } => {
            // SAFETY: see above; `buf` is readable for `len` bytes.
            unsafe { libc::send(fd, buf.cast(), len as usize, flags) }
        }
        // SAFETY: see above; `msg` and everything it points to are the op's.
        Call::RecvMsg { fd, msg, flags } => unsafe { libc::recvmsg(fd, msg, flags as libc::c_int) },
        // SAFETY: see above; `msg` and everything it points to are the op's.
        Call::SendMsg { fd, msg, flags } => unsafe { libc::sendmsg(fd, msg, flags as libc::c_int) },
        Call::RecvMmsg {
            fd,
            msgs,
            vlen,
            flags,
        } => {
            // SAFETY: see above; `msgs` holds `vlen` headers, each with its
            // own iovecs and address room, all the op's. No timeout.
            (unsafe { libc::recvmmsg(fd, msgs, vlen, flags as _, std::ptr::null_mut()) }) as isize
        }
        Call::SendMmsg {
            fd,
            msgs,
            vlen,
            flags,
        } => {
            // SAFETY: see above; `msgs` holds `vlen` headers, each with its
            // own iovecs and destination address, all the op's.
            (unsafe { libc::sendmmsg(fd, msgs, vlen, flags as _) }) as isize
        }
        Call::Accept {
            fd,
            addr,
            addrlen,
            flags,
        } => {
            // SAFETY: see above; `addr` has room for `*addrlen` bytes.
            (unsafe { libc::accept4(fd, addr, addrlen, flags) }) as isize
        }
        Call::Connect { fd, addr, addrlen } => {
            // SAFETY: see above; `addr` holds `addrlen` bytes.
            (unsafe { libc::connect(fd, addr, addrlen) }) as isize
        }
        Call::PollAdd { fd, mask } => {
            let mut pfd = libc::pollfd {
                fd,
                events: mask as libc::c_short,
                revents: 0,
            };
            // A zero timeout: never blocks. Nothing pending is EAGAIN, so
            // the epoll backend parks the call like any other.
            // SAFETY: `pfd` is one live pollfd.
            match unsafe { libc::poll(&mut pfd, 1, 0) } {
                0 => return -libc::EAGAIN,
                1 => pfd.revents as u16 as isize,
                r => r as isize,
            }
        }
        // SAFETY: no memory is passed.
        Call::Shutdown { fd, how } => (unsafe { libc::shutdown(fd, how) }) as isize,
        // SAFETY: the op owns `fd` and gives it up with this call; close(2)
        // releases the number even when it reports an error.
        Call::Close { fd } => (unsafe { libc::close(fd) }) as isize,
        Call::OpenAt {
            dirfd,
            path,
            flags,
            mode,
        } => {
            // SAFETY: see above; `path` is NUL-terminated.
            (unsafe { libc::openat(dirfd, path, flags, mode as libc::c_uint) }) as isize
        }
        Call::Fsync { fd, datasync } => {
            // SAFETY: no memory is passed.
            (unsafe {
                if datasync {
                    libc::fdatasync(fd)
                } else {
                    libc::fsync(fd)
                }
            }) as isize
        }
        Call::Statx {
            dirfd,
            path,
            flags,
            mask,
            buf,
        } => {
            // Through syscall(2) so no particular glibc version is needed.
            // SAFETY: see above; `path` is NUL-terminated and `buf` is a
            // writable `struct statx`.
            (unsafe { libc::syscall(libc::SYS_statx, dirfd, path, flags, mask, buf) }) as isize
        }
        Call::UnlinkAt { dirfd, path, flags } => {
            // SAFETY: see above; `path` is NUL-terminated.
            (unsafe { libc::unlinkat(dirfd, path, flags) }) as isize
        }
        Call::RenameAt {
            olddirfd,
            oldpath,
            newdirfd,
            newpath,
            flags,
        } => {
            // renameat2 (3.15+; what IORING_OP_RENAMEAT runs) carries the
            // flags; through syscall(2) so no glibc version is needed.
            // SAFETY: see above; both paths are NUL-terminated.
            (unsafe {
                libc::syscall(
                    libc::SYS_renameat2,
                    olddirfd,
                    oldpath,
                    newdirfd,
                    newpath,
                    flags,
                )
            }) as isize
        }
        Call::MkdirAt { dirfd, path, mode } => {
            // SAFETY: see above; `path` is NUL-terminated.
            (unsafe { libc::mkdirat(dirfd, path, mode as libc::mode_t) }) as isize
        }
        Call::LinkAt {
            olddirfd,
            oldpath,
            newdirfd,
            newpath,
            flags,
        } => {
            // SAFETY: see above; both paths are NUL-terminated.
            (unsafe { libc::linkat(olddirfd, oldpath, newdirfd, newpath, flags) }) as isize
        }
        Call::SymlinkAt {
            target,
            newdirfd,
            linkpath,
        } => {
            // SAFETY: see above; both strings are NUL-terminated.
            (unsafe { libc::symlinkat(target, newdirfd, linkpath) }) as isize
        }
        Call::Splice {
            fd_in,
            off_in,
            fd_out,
            off_out,
            len,
            flags,
        } => {
            let mut off_in = off_in;
            let mut off_out = off_out;
            let off_in_ptr: *mut libc::loff_t = if off_in < 0 {
                std::ptr::null_mut()
            } else {
                &mut off_in
            };
            let off_out_ptr: *mut libc::loff_t = if off_out < 0 {
                std::ptr::null_mut()
            } else {
                &mut off_out
            };
            // SAFETY: the offsets point to locals (or are null for a
            // descriptor's own position); no other memory is involved.
            (unsafe { libc::splice(fd_in, off_in_ptr, fd_out, off_out_ptr, len as usize, flags) })
                as isize
        }
        Call::Sendfile {
            out_fd,
            in_fd,
            offset,
            len,
        } => {
            // SAFETY: see above; `offset` points to the op's live offset,
            // which the kernel advances by what it sent.
            (unsafe { libc::sendfile64(out_fd, in_fd, offset, len as usize) }) as isize
        }
        Call::AcceptMulti { fd, flags } => {
            // SAFETY: accept4(2) with no address buffer.
            (unsafe { libc::accept4(fd, std::ptr::null_mut(), std::ptr::null_mut(), flags) })
                as isize
        }
        Call::SendZc { .. } | Call::SendMsgZc { .. } => run(call.copying()) as isize,
        Call::RecvSelect { .. } | Call::RecvMulti { .. } | Call::RecvMsgSelect { .. } => {
            unreachable!("a call that picks its buffer is run by the backend with one")
        }
        Call::Timeout { .. } | Call::Cancel { .. } => {
            unreachable!("Timeout and Cancel are run by the backend, not as system calls")
        }
    };
    if ret < 0 {
        -errno()
    } else {
        // Linux caps a single transfer at `INT_MAX & PAGE_MASK` bytes, and
        // descriptors are ints, so every success fits.
        ret as i32
    }
}

/// [`run`], restarted while it fails with `EINTR` (a signal arrived before
/// anything was transferred). `close` and `connect` are never restarted:
/// after `EINTR` the descriptor is already gone, or the connection attempt
/// goes on in the background.
pub(crate) fn run_restarting(call: Call) -> i32 {
    loop {
        let res = run(call);
        if res != -libc::EINTR || matches!(call, Call::Close { .. } | Call::Connect { .. }) {
            return res;
        }
    }
}

/// The calling thread's `errno`.
pub(crate) use crate::sys::errno;

#[cfg(test)]
mod tests {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;

    use super::run;
    use crate::driver::Call;

    fn cpath(p: &std::path::Path) -> CString {
        CString::new(p.as_os_str().as_bytes()).unwrap()
    }

    #[test]
    fn file_calls_round_trip() {
        let dir = std::env::temp_dir().join(format!("aio-syscall-{}", std::process::id()));
        let dir_c = cpath(&dir);
        let (a, b) = (cpath(&dir.join("a")), cpath(&dir.join("b")));
        let at = libc::AT_FDCWD;
        assert_eq!(
            run(Call::MkdirAt {
                dirfd: at,
                path: dir_c.as_ptr(),
                mode: 0o755
            }),
            0
        );
        assert_eq!(
            run(Call::MkdirAt {
                dirfd: at,
                path: dir_c.as_ptr(),
                mode: 0o755
            }),
            -libc::EEXIST
        );

        let flags = libc::O_CREAT | libc::O_RDWR | libc::O_CLOEXEC;
        let fd = run(Call::OpenAt {
            dirfd: at,
            path: a.as_ptr(),
            flags,
            mode: 0o644,
        });
        assert!(fd >= 0, "openat: {fd}");
        let data = b"hello world";
        assert_eq!(
            run(Call::Write {
                fd,
                buf: data.as_ptr(),
                len: 11,
                offset: 0
            }),
            11
        );
        let mut head = [0u8; 5];
        let mut tail = [0u8; 5];
        let iov = [
            libc::iovec {
                iov_base: head.as_mut_ptr().cast(),
                iov_len: 5,
            },
            libc::iovec {
                iov_base: tail.as_mut_ptr().cast(),
                iov_len: 5,
            },
        ];
        assert_eq!(
            run(Call::Readv {
                fd,
                iov: iov.as_ptr(),
                iovcnt: 2,
                offset: 1
            }),
            10
        );
        assert_eq!((&head, &tail), (b"ello ", b"world"));
        assert_eq!(run(Call::Fsync { fd, datasync: true }), 0);

        // SAFETY: all-zero is a valid statx buffer.
        let mut stx: libc::statx = unsafe { std::mem::zeroed() };
        let empty = CString::new("").unwrap();
        let call = Call::Statx {
            dirfd: fd,
            path: empty.as_ptr(),
            flags: libc::AT_EMPTY_PATH,
            mask: libc::STATX_SIZE,
            buf: &mut stx,
        };
        assert_eq!(run(call), 0);
        assert_eq!(stx.stx_size, 11);
        assert_eq!(run(Call::Close { fd }), 0);
        assert_eq!(run(Call::Close { fd }), -libc::EBADF);

        let call = Call::RenameAt {
            olddirfd: at,
            oldpath: a.as_ptr(),
            newdirfd: at,
            newpath: b.as_ptr(),
            flags: 0,
        };
        assert_eq!(run(call), 0);
        assert_eq!(
            run(Call::UnlinkAt {
                dirfd: at,
                path: a.as_ptr(),
                flags: 0
            }),
            -libc::ENOENT
        );
        assert_eq!(
            run(Call::UnlinkAt {
                dirfd: at,
                path: b.as_ptr(),
                flags: 0
            }),
            0
        );
        assert_eq!(
            run(Call::UnlinkAt {
                dirfd: at,
                path: dir_c.as_ptr(),
                flags: libc::AT_REMOVEDIR
            }),
            0
        );
        assert_eq!(run(Call::Nop), 0);
    }
}
