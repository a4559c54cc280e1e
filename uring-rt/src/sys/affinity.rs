//! CPU affinity: reading the process's affinity mask and pinning the calling
//! thread to one CPU (`sched_getaffinity` / `sched_setaffinity`).

use std::io;
use std::mem;

/// The CPUs in the process's affinity mask, ascending.
///
/// The mask read is the main thread's (`sched_getaffinity(getpid())`), so a
/// launcher called from an already pinned thread still sees every CPU the
/// process may use. CPUs numbered `CPU_SETSIZE` (1024) or above are not
/// reported.
pub(crate) fn allowed_cpus() -> io::Result<Vec<usize>> {
    // SAFETY: `cpu_set_t` is a plain bitmask of integers; all zero bits is a
    // valid, empty set.
    let mut set: libc::cpu_set_t = unsafe { mem::zeroed() };
    // SAFETY: `getpid` has no preconditions.
    let pid = unsafe { libc::getpid() };
    // SAFETY: `set` is a live, writable `cpu_set_t` and the size passed is
    // exactly its size, so the kernel writes only inside it.
    let rc = unsafe { libc::sched_getaffinity(pid, mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let max = 8 * mem::size_of::<libc::cpu_set_t>();
    Ok((0..max)
        // SAFETY: `cpu` is below the number of bits in `set`, so the bit
        // index stays inside the set.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect())
}

/// Pins the calling thread to exactly `cpu`.
///
/// # Errors
/// The errno of `sched_setaffinity` (e.g. `EINVAL` when `cpu` is not
/// allowed or offline), unchanged; `InvalidInput` when `cpu` does not fit in
/// a `cpu_set_t`.
pub(crate) fn pin_current_thread(cpu: usize) -> io::Result<()> {
    let max = 8 * mem::size_of::<libc::cpu_set_t>();
    if cpu >= max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("cpu {cpu} is beyond CPU_SETSIZE ({max})"),
        ));
    }
    // SAFETY: all zero bits is a valid, empty `cpu_set_t`.
    let mut set: libc::cpu_set_t = unsafe { mem::zeroed() };
    // SAFETY: `cpu < max` (checked above), so the bit lies inside `set`.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is a live, initialised `cpu_set_t` of the size passed;
    // pid 0 means the calling thread.
    let rc = unsafe { libc::sched_setaffinity(0, mem::size_of::<libc::cpu_set_t>(), &set) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
