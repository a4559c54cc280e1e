//! seccomp filters for child processes that simulate a hostile kernel
//! interface: chosen syscalls fail with a chosen errno (Docker's default
//! profile answers io_uring with `EPERM`; a kernel short of memory answers
//! `io_uring_enter` with `ENOMEM`). A filter cannot be removed, so only a
//! re-executed child (`run_child`) may install one.

use std::io;

/// x86_64 syscall numbers (<asm/unistd_64.h>).
pub const SYS_IO_URING_SETUP: u32 = 425;
pub const SYS_IO_URING_ENTER: u32 = 426;

/// Installs a seccomp filter on every thread of this process (TSYNC) that
/// makes each syscall in `blocked` fail with `errno` and allows everything
/// else.
pub fn fail_syscalls(blocked: &[u32], errno: i32) {
    const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
    const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
    const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
    const SECCOMP_SET_MODE_FILTER: libc::c_long = 1;
    const SECCOMP_FILTER_FLAG_TSYNC: libc::c_long = 1;
    // Offsets in struct seccomp_data { int nr; u32 arch; u64 ip; u64 args[6]; }.
    const NR: u32 = 0;
    const ARCH: u32 = 4;
    let ld = |k| libc::sock_filter {
        code: (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16,
        jt: 0,
        jf: 0,
        k,
    };
    let jeq = |k, jt, jf| libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt,
        jf,
        k,
    };
    let ret = |k| libc::sock_filter {
        code: (libc::BPF_RET | libc::BPF_K) as u16,
        jt: 0,
        jf: 0,
        k,
    };

    let mut prog = vec![
        ld(ARCH),
        // Another ABI (i386, x32 numbering): not ours to judge, allow.
        jeq(AUDIT_ARCH_X86_64, 1, 0),
        ret(SECCOMP_RET_ALLOW),
        ld(NR),
    ];
    for &nr in blocked {
        prog.push(jeq(nr, 0, 1));
        prog.push(ret(SECCOMP_RET_ERRNO | errno as u32));
    }
    prog.push(ret(SECCOMP_RET_ALLOW));
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_mut_ptr(),
    };

    // SAFETY: PR_SET_NO_NEW_PRIVS takes integer arguments only; it lets an
    // unprivileged process install a filter.
    let r = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    assert_eq!(r, 0, "PR_SET_NO_NEW_PRIVS: {}", io::Error::last_os_error());
    // SAFETY: `fprog` points to `prog`, a live array of `len` instructions
    // that the kernel copies during the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            SECCOMP_SET_MODE_FILTER,
            SECCOMP_FILTER_FLAG_TSYNC,
            &fprog as *const libc::sock_fprog,
        )
    };
    assert_eq!(
        r,
        0,
        "installing the seccomp filter: {}",
        io::Error::last_os_error()
    );
}
