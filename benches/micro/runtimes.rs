//! The runtimes under comparison, built the same way for every group, and
//! the criterion settings every group shares.

use std::time::Duration;

use criterion::BenchmarkGroup;

/// The aio runtimes to measure: io_uring, and epoll where the operation
/// depends on the backend (timers and sockets).
pub fn aio_runtimes(with_epoll: bool) -> Vec<(&'static str, aio::Runtime)> {
    let mut drivers = vec![("aio-uring", aio::Driver::IoUring)];
    if with_epoll {
        drivers.push(("aio-epoll", aio::Driver::Epoll));
    }
    drivers
        .into_iter()
        .filter_map(
            |(name, driver)| match aio::RuntimeBuilder::new().driver(driver).build() {
                Ok(rt) => Some((name, rt)),
                Err(e) => {
                    eprintln!("micro: skipping {name}: {e}");
                    None
                }
            },
        )
        .collect()
}

pub fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("building a tokio current_thread runtime")
}

pub fn monoio_runtime() -> monoio::Runtime<monoio::time::TimeDriver<monoio::IoUringDriver>> {
    monoio::RuntimeBuilder::<monoio::IoUringDriver>::new()
        .enable_timer()
        .build()
        .expect("building a monoio io_uring runtime")
}

/// Criterion settings shared by every group: short enough that the whole
/// suite runs in a few minutes.
pub fn configure<M: criterion::measurement::Measurement>(group: &mut BenchmarkGroup<'_, M>) {
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
}
